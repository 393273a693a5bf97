package admin_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/sioloop/sioloop/admin"
	"github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/sio"
)

// serve runs an app on a free port: "hello" joins the room "lobby".
func serve(t *testing.T) (*sio.Server, string) {
	t.Helper()
	srv := sio.NewServer(nil)
	srv.OnConnection(func(s *sio.Socket) {
		s.On("hello", func(e *sio.Event) { s.Join("lobby"); _ = e.Ack("hi") })
	})
	go func() { _ = srv.ListenAndServe("127.0.0.1:0", nil) }()
	<-srv.Ready()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return srv, "http://" + srv.Addr().String()
}

// recv collects the events an admin client receives, by name.
type recv struct {
	sock *client.Socket
	mu   sync.Mutex
	got  map[string][][]json.RawMessage
	ch   chan struct{}
}

func newRecv() *recv {
	return &recv{got: make(map[string][][]json.RawMessage), ch: make(chan struct{}, 1)}
}

func (r *recv) on(e *client.Event) {
	args := make([]json.RawMessage, e.Len())
	for i := range args {
		args[i] = append(json.RawMessage(nil), e.Raw(i)...)
	}
	r.mu.Lock()
	r.got[e.Name()] = append(r.got[e.Name()], args)
	r.mu.Unlock()
	select {
	case r.ch <- struct{}{}:
	default:
	}
}

// wait returns the arguments of the first event name for which ok holds
// (nil ok: any).
func (r *recv) wait(t *testing.T, name string, ok func(args []json.RawMessage) bool) []json.RawMessage {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		r.mu.Lock()
		for _, a := range r.got[name] {
			if ok == nil || ok(a) {
				r.mu.Unlock()
				return a
			}
		}
		r.mu.Unlock()
		select {
		case <-r.ch:
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("no matching %q; got %d of them", name, len(r.got[name]))
		}
	}
}

func (r *recv) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got[name])
}

// dialAdmin connects to /admin with auth; it returns the socket, its
// events, and the connect error if refused.
func dialAdmin(t *testing.T, url string, auth any) (*client.Socket, *recv, *client.ConnectError) {
	t.Helper()
	s, err := client.New(url+"/admin", &client.Options{NoReconnection: true}, &client.SocketOptions{Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecv()
	r.sock = s
	s.OnAny(r.on)
	res := make(chan *client.ConnectError, 1)
	s.OnConnect(func(*client.ConnectEvent) { res <- nil })
	s.OnConnectError(func(e *client.ConnectError) { res <- e })
	s.Connect()
	t.Cleanup(s.Disconnect)
	select {
	case e := <-res:
		return s, r, e
	case <-time.After(15 * time.Second):
		t.Fatal("admin client neither connected nor refused")
	}
	return nil, nil, nil
}

func dialApp(t *testing.T, url string, o *client.Options) *client.Socket {
	t.Helper()
	s, err := client.New(url, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok := make(chan struct{})
	s.OnConnect(func(*client.ConnectEvent) { close(ok) })
	s.Connect()
	t.Cleanup(s.Disconnect)
	select {
	case <-ok:
	case <-time.After(15 * time.Second):
		t.Fatal("app client did not connect")
	}
	return s
}

func features(t *testing.T, r *recv) []string {
	var c struct {
		SupportedFeatures []string `json:"supportedFeatures"`
	}
	if err := json.Unmarshal(r.wait(t, "config", nil)[0], &c); err != nil {
		t.Fatal(err)
	}
	return c.SupportedFeatures
}

func TestOptionsChecked(t *testing.T) {
	srv := sio.NewServer(nil)
	defer srv.Close()
	if _, err := admin.Instrument(srv, admin.Options{}); err == nil {
		t.Error("no Auth and no NoAuth: accepted")
	}
	if _, err := admin.Instrument(srv, admin.Options{Auth: &admin.BasicAuth{Username: "a", PasswordHash: "plain"}}); err == nil {
		t.Error("a password that is not a bcrypt hash: accepted")
	}
}

// TestLogin: a wrong password is refused with "invalid credentials"; the
// right one gets a "session" id, which alone logs in again; the read-only
// UI is offered no action.
func TestLogin(t *testing.T) {
	srv, url := serve(t)
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	a, err := admin.Instrument(srv, admin.Options{Auth: &admin.BasicAuth{Username: "admin", PasswordHash: string(hash)}, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	if _, _, ce := dialAdmin(t, url, map[string]string{"username": "admin", "password": "nope"}); ce == nil || ce.Message != "invalid credentials" {
		t.Fatalf("wrong password: %v", ce)
	}
	_, r, ce := dialAdmin(t, url, map[string]string{"username": "admin", "password": "s3cret"})
	if ce != nil {
		t.Fatalf("right password refused: %v", ce)
	}
	var sid string
	if err := json.Unmarshal(r.wait(t, "session", nil)[0], &sid); err != nil || len(sid) != 16 {
		t.Fatalf("session id %q (%v)", sid, err)
	}
	if f := features(t, r); !slices.Equal(f, []string{"AGGREGATED_EVENTS"}) {
		t.Errorf("read-only features: %q", f)
	}
	_, r2, ce := dialAdmin(t, url, map[string]string{"sessionId": sid})
	if ce != nil {
		t.Fatalf("session id refused: %v", ce)
	}
	features(t, r2)
	if r2.count("session") != 0 {
		t.Error("a new session for a reused one")
	}
	if _, _, ce := dialAdmin(t, url, map[string]string{"sessionId": "0123456789abcdef"}); ce == nil {
		t.Error("an unknown session id logged in")
	}
}

// TestReadOnlyIgnoresActions: a read-only UI's actions change nothing.
// A "sync" handler the test adds answers after the socket's earlier
// events were handled (one socket's events run in order).
func TestReadOnlyIgnoresActions(t *testing.T) {
	srv, url := serve(t)
	a, err := admin.Instrument(srv, admin.Options{NoAuth: true, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.Namespace().OnConnection(func(s *sio.Socket) { s.On("sync", func(e *sio.Event) { _ = e.Ack() }) })
	app := dialApp(t, url, nil)
	id := app.ID()
	adm, _, ce := dialAdmin(t, url, nil)
	if ce != nil {
		t.Fatal(ce)
	}
	_ = adm.Emit("join", "/", "vip", id)
	_ = adm.Emit("_disconnect", "/", true, id)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := adm.EmitWithAck(ctx, "sync"); err != nil {
		t.Fatal(err)
	}
	s := srv.Of("/").Socket(id)
	if s == nil || !s.Connected() {
		t.Fatal("a read-only UI disconnected a socket")
	}
	if s.InRoom("vip") {
		t.Error("a read-only UI made a socket join a room")
	}
}

// TestSessionAcrossNodes: with a RedisStore, the session id given at a
// login on one node logs the UI in on another (a reload behind a load
// balancer).
func TestSessionAcrossNodes(t *testing.T) {
	rdb := goredis.NewClient(&goredis.Options{Addr: redisAddr})
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("Redis at %s: %v (make test starts one)", redisAddr, err)
	}
	t.Cleanup(func() { rdb.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "sioloop-admin-test-" + hex.EncodeToString(b[:])
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	var urls []string
	for range 2 {
		srv, url := serve(t)
		a, err := admin.Instrument(srv, admin.Options{
			Auth:  &admin.BasicAuth{Username: "admin", PasswordHash: string(hash)},
			Store: &admin.RedisStore{Client: rdb, Prefix: prefix},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.Close)
		urls = append(urls, url)
	}
	_, r, ce := dialAdmin(t, urls[0], map[string]string{"username": "admin", "password": "s3cret"})
	if ce != nil {
		t.Fatal(ce)
	}
	var sid string
	_ = json.Unmarshal(r.wait(t, "session", nil)[0], &sid)
	t.Cleanup(func() { rdb.Del(context.Background(), prefix+"#"+sid) })
	if _, _, ce := dialAdmin(t, urls[1], map[string]string{"sessionId": sid}); ce != nil {
		t.Fatalf("the other node refused the session id: %v", ce)
	}
}

type stats struct {
	ServerID            string `json:"serverId"`
	Hostname            string `json:"hostname"`
	PID                 int    `json:"pid"`
	ClientsCount        int    `json:"clientsCount"`
	PollingClientsCount int    `json:"pollingClientsCount"`
	AggregatedEvents    []struct {
		Timestamp int64  `json:"timestamp"`
		Type      string `json:"type"`
		SubType   string `json:"subType"`
		Count     int64  `json:"count"`
	} `json:"aggregatedEvents"`
	Namespaces []struct {
		Name         string `json:"name"`
		SocketsCount int    `json:"socketsCount"`
	} `json:"namespaces"`
}

func decodeStats(a []json.RawMessage) stats {
	var s stats
	_ = json.Unmarshal(a[0], &s)
	return s
}

// TestProductionStats: "server_stats" carries the server, its clients
// (one polling), its namespaces and the aggregated events (connections,
// disconnections with their reason, packets and bytes), which add up over
// the reports.
func TestProductionStats(t *testing.T) {
	srv, url := serve(t)
	a, err := admin.Instrument(srv, admin.Options{NoAuth: true, ServerID: "node-1", StatsInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, r, ce := dialAdmin(t, url, nil)
	if ce != nil {
		t.Fatal(ce)
	}
	if f := features(t, r); !slices.Equal(f, []string{"EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT", "AGGREGATED_EVENTS"}) {
		t.Errorf("features: %q", f)
	}
	app := dialApp(t, url, &client.Options{Transports: []string{"polling"}})
	if _, err := app.EmitWithAck(context.Background(), "hello"); err != nil {
		t.Fatal(err)
	}
	gone := dialApp(t, url, &client.Options{Transports: []string{"websocket"}})
	gone.Disconnect()

	// Sum the aggregated events of every report until all were seen.
	sums := map[string]int64{}
	r.wait(t, "server_stats", func(args []json.RawMessage) bool {
		s := decodeStats(args)
		if s.ServerID != "node-1" || s.PID == 0 || s.Hostname == "" {
			t.Fatalf("stats: %s", args[0])
		}
		for _, e := range s.AggregatedEvents {
			sums[e.Type+"/"+e.SubType] += e.Count
		}
		var main int
		for _, n := range s.Namespaces {
			if n.Name == "/" {
				main = n.SocketsCount
			}
		}
		return main == 1 && s.ClientsCount == 2 && s.PollingClientsCount == 1 &&
			sums["rawConnection/"] >= 3 && sums["rawDisconnection/transport close"] >= 1 &&
			sums["packetsIn/"] >= 4 && sums["packetsOut/"] >= 4 && sums["bytesIn/"] > 0 && sums["bytesOut/"] > 0
	})
}

// TestDevelopment: the UI is told every socket, room and event, and its
// actions (emit, join, leave, disconnect) reach the application's
// sockets.
func TestDevelopment(t *testing.T) {
	srv, url := serve(t)
	a, err := admin.Instrument(srv, admin.Options{NoAuth: true, Mode: admin.Development})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	first := dialApp(t, url, nil)
	adm, r, ce := dialAdmin(t, url, nil)
	if ce != nil {
		t.Fatal(ce)
	}
	if f := features(t, r); !slices.Contains(f, "ALL_EVENTS") {
		t.Errorf("features: %q", f)
	}
	type sock struct {
		ID        string   `json:"id"`
		ClientID  string   `json:"clientId"`
		Transport string   `json:"transport"`
		Nsp       string   `json:"nsp"`
		Rooms     []string `json:"rooms"`
		Handshake struct {
			Address string            `json:"address"`
			Headers map[string]string `json:"headers"`
			Query   map[string]string `json:"query"`
		} `json:"handshake"`
	}
	var all []sock
	if err := json.Unmarshal(r.wait(t, "all_sockets", nil)[0], &all); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(all, func(s sock) bool { return s.ID == first.ID() })
	if i < 0 || all[i].Nsp != "/" || len(all[i].ClientID) != 12 || all[i].Handshake.Query["EIO"] != "4" ||
		all[i].Handshake.Address == "" || all[i].Handshake.Headers["host"] == "" || !slices.Equal(all[i].Rooms, []string{first.ID()}) {
		t.Errorf("all_sockets: %+v, want %s", all, first.ID())
	}
	if !slices.ContainsFunc(all, func(s sock) bool { return s.Nsp == "/admin" }) {
		t.Error("all_sockets without the admin socket")
	}

	app := dialApp(t, url, nil)
	id := app.ID()
	str := func(m json.RawMessage) string { var s string; _ = json.Unmarshal(m, &s); return s }
	r.wait(t, "socket_connected", func(a []json.RawMessage) bool {
		var s sock
		_ = json.Unmarshal(a[0], &s)
		return s.ID == id && len(a) == 2 && strings.HasSuffix(str(a[1]), "Z")
	})
	if _, err := app.EmitWithAck(context.Background(), "hello", "x", 1); err != nil {
		t.Fatal(err)
	}
	r.wait(t, "event_received", func(a []json.RawMessage) bool {
		return str(a[0]) == "/" && str(a[1]) == id && string(a[2]) == `["hello","x",1]`
	})
	r.wait(t, "room_joined", func(a []json.RawMessage) bool {
		return str(a[0]) == "/" && str(a[1]) == "lobby" && str(a[2]) == id
	})

	// Actions, narrowed to the socket's id as the UI does.
	got := make(chan string, 4)
	app.On("note", func(e *client.Event) { s, _ := e.String(0); got <- s })
	_ = adm.Emit("emit", "/", id, "note", "from the UI")
	if s := <-got; s != "from the UI" {
		t.Errorf("emit action delivered %q", s)
	}
	_ = adm.Emit("join", "/", "vip", id)
	r.wait(t, "room_joined", func(a []json.RawMessage) bool { return str(a[1]) == "vip" && str(a[2]) == id })
	_ = adm.Emit("leave", "/", "vip", id)
	r.wait(t, "room_left", func(a []json.RawMessage) bool { return str(a[1]) == "vip" && str(a[2]) == id })
	dis := make(chan string, 1)
	app.OnDisconnect(func(e *client.DisconnectEvent) { dis <- e.Reason })
	_ = adm.Emit("_disconnect", "/", false, id)
	if reason := <-dis; reason != "io server disconnect" {
		t.Errorf("client disconnected with %q", reason)
	}
	r.wait(t, "socket_disconnected", func(a []json.RawMessage) bool {
		return str(a[0]) == "/" && str(a[1]) == id && str(a[2]) == "server namespace disconnect"
	})
	if first.Connected() != true {
		t.Error("the action disconnected another socket")
	}
}

// TestUpgradeUpdate: a polling socket that upgrades is reported with
// "socket_updated" {transport: "websocket"}.
func TestUpgradeUpdate(t *testing.T) {
	srv, url := serve(t)
	a, err := admin.Instrument(srv, admin.Options{NoAuth: true, Mode: admin.Development})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, r, ce := dialAdmin(t, url, nil)
	if ce != nil {
		t.Fatal(ce)
	}
	r.wait(t, "all_sockets", nil)
	app := dialApp(t, url, nil) // polling, then WebSocket
	var c struct{ ID, Transport string }
	_ = json.Unmarshal(r.wait(t, "socket_connected", func(a []json.RawMessage) bool {
		_ = json.Unmarshal(a[0], &c)
		return c.ID == app.ID()
	})[0], &c)
	if c.Transport == "websocket" {
		return // the upgrade came first: the socket was announced on WebSocket
	}
	r.wait(t, "socket_updated", func(a []json.RawMessage) bool {
		var u struct{ ID, Nsp, Transport string }
		_ = json.Unmarshal(a[0], &u)
		return u.ID == app.ID() && u.Nsp == "/" && u.Transport == "websocket"
	})
}
