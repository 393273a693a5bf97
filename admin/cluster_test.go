package admin_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sioloop/sioloop/adapter/redis"
	"github.com/sioloop/sioloop/admin"
	"github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/sio"
)

// redisAddr is the Redis server of the tests (make test starts one there
// if none answers).
const redisAddr = "127.0.0.1:6379"

// clusterNode serves an instrumented node with the Redis adapter under key.
func clusterNode(t *testing.T, rdb goredis.UniversalClient, key, id string, mode admin.Mode) string {
	t.Helper()
	srv := sio.NewServer(&sio.Options{Adapter: redis.New(rdb, &redis.Options{Key: key})})
	srv.OnConnection(func(*sio.Socket) {}) // the app
	a, err := admin.Instrument(srv, admin.Options{NoAuth: true, ServerID: id, StatsInterval: 50 * time.Millisecond, Mode: mode,
		Store: &admin.RedisStore{Client: rdb, Prefix: key}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ListenAndServe("127.0.0.1:0", nil) }()
	<-srv.Ready()
	t.Cleanup(func() { a.Close(); _ = srv.Shutdown(context.Background()) })
	return "http://" + srv.Addr().String()
}

// TestCluster: with the Redis adapter, a UI connected to one node gets
// every node's "server_stats" and the sockets of every node in
// "all_sockets", and its actions (emit, join, disconnect) reach the
// sockets of the other nodes.
func TestCluster(t *testing.T) {
	rdb := goredis.NewClient(&goredis.Options{Addr: redisAddr})
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("Redis at %s: %v (make test starts one)", redisAddr, err)
	}
	t.Cleanup(func() { rdb.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	key := "sioloop-admin-test-" + hex.EncodeToString(b[:])

	urlA := clusterNode(t, rdb, key, "node-a", admin.Development)
	urlB := clusterNode(t, rdb, key, "node-b", admin.Development)
	app := dialApp(t, urlA, nil) // on node A
	id := app.ID()
	adm, r, ce := dialAdmin(t, urlB, nil) // the UI on node B
	if ce != nil {
		t.Fatal(ce)
	}
	for _, sid := range []string{"node-a", "node-b"} {
		r.wait(t, "server_stats", func(a []json.RawMessage) bool { return decodeStats(a).ServerID == sid })
	}
	var all []struct {
		ID    string   `json:"id"`
		Nsp   string   `json:"nsp"`
		Rooms []string `json:"rooms"`
	}
	if err := json.Unmarshal(r.wait(t, "all_sockets", nil)[0], &all); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range all {
		found = found || s.ID == id && s.Nsp == "/"
	}
	if !found {
		t.Errorf("all_sockets on node B without node A's socket %s: %+v", id, all)
	}

	got := make(chan string, 1)
	app.On("note", func(e *client.Event) { s, _ := e.String(0); got <- s })
	_ = adm.Emit("emit", "/", nil, "note", "across nodes")
	select {
	case s := <-got:
		if s != "across nodes" {
			t.Errorf("got %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the emit action did not reach the other node")
	}
	// Node A reports the join to every UI, through Redis.
	_ = adm.Emit("join", "/", "vip", id)
	r.wait(t, "room_joined", func(a []json.RawMessage) bool {
		var nsp, room, sid string
		_ = json.Unmarshal(a[0], &nsp)
		_ = json.Unmarshal(a[1], &room)
		_ = json.Unmarshal(a[2], &sid)
		return nsp == "/" && room == "vip" && sid == id
	})
	dis := make(chan string, 1)
	app.OnDisconnect(func(e *client.DisconnectEvent) { dis <- e.Reason })
	_ = adm.Emit("_disconnect", "/", false, id)
	select {
	case reason := <-dis:
		if reason != "io server disconnect" {
			t.Errorf("disconnected with %q", reason)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the disconnect action did not reach the other node")
	}
}

// TestRedisStore: sessions are the keys Node's RedisStore uses
// ("<prefix>#<id>" = "1", with an expiry).
func TestRedisStore(t *testing.T) {
	rdb := goredis.NewClient(&goredis.Options{Addr: redisAddr})
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("Redis at %s: %v (make test starts one)", redisAddr, err)
	}
	t.Cleanup(func() { rdb.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "sioloop-admin-test-" + hex.EncodeToString(b[:])
	st := &admin.RedisStore{Client: rdb, Prefix: prefix, Duration: time.Minute}
	ctx := t.Context()
	if ok, err := st.SessionExists(ctx, "abc"); ok || err != nil {
		t.Fatalf("unknown session: %v %v", ok, err)
	}
	if err := st.SaveSession(ctx, "abc"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Del(context.Background(), prefix+"#abc") })
	if ok, err := st.SessionExists(ctx, "abc"); !ok || err != nil {
		t.Fatalf("saved session: %v %v", ok, err)
	}
	if v, _ := rdb.Get(ctx, prefix+"#abc").Result(); v != "1" {
		t.Errorf("value %q", v)
	}
	if ttl, _ := rdb.TTL(ctx, prefix+"#abc").Result(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("ttl %v", ttl)
	}
}
