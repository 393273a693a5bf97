package admin_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/sioloop/sioloop/admin"
	"github.com/sioloop/sioloop/client"
)

// nodeScript returns the absolute path of interop/node/name once the npm
// packages of interop/ are installed.
func nodeScript(t *testing.T, name string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node not found on $PATH: this test compares with the Node.js reference")
	}
	if _, err := os.Stat("../interop/node_modules/@socket.io/admin-ui/package.json"); err != nil {
		t.Fatalf("the npm packages of interop/ are missing (make npm-deps): %v", err)
	}
	p, _ := filepath.Abs("../interop/node/" + name)
	return p
}

// nodeReference starts interop/node/admin-ref-server.js (socket.io 4.8 +
// @socket.io/admin-ui 0.5.1's instrument, development mode) and returns
// its URL.
func nodeReference(t *testing.T, hash string) string {
	return nodeServer(t, map[string]string{"username": "admin", "hash": hash, "serverId": "ref"})
}

// nodeServer starts admin-ref-server.js with arg (see the script).
func nodeServer(t *testing.T, args map[string]string) string {
	t.Helper()
	arg, _ := json.Marshal(args)
	cmd := exec.Command("node", nodeScript(t, "admin-ref-server.js"), string(arg))
	cmd.Dir = filepath.Dir(cmd.Args[1])
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var hello struct{ Port int }
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || json.Unmarshal([]byte(line), &hello) != nil {
		t.Fatalf("Node.js reference: %q %v", line, err)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", hello.Port)
}

type wireReport struct {
	Shapes map[string]json.RawMessage `json:"shapes"`
	Values struct {
		Features     []string `json:"features"`
		ClientReason string   `json:"clientReason"`
		ServerReason string   `json:"serverReason"`
		Aggregated   []string `json:"aggregated"`
	} `json:"values"`
}

// runAdminClient runs interop/node/admin-client.js (the official
// socket.io-client 4.8 in the UI's role) against url.
func runAdminClient(t *testing.T, url string) wireReport {
	t.Helper()
	arg, _ := json.Marshal(map[string]any{"url": url, "username": "admin", "password": "s3cret", "timeoutMs": 20000})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", nodeScript(t, "admin-client.js"), string(arg))
	cmd.Dir = filepath.Dir(cmd.Args[1])
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	last := lines[len(lines)-1]
	var fail struct {
		Error string   `json:"error"`
		Trace []string `json:"trace"`
	}
	if json.Unmarshal([]byte(last), &fail) == nil && fail.Error != "" {
		t.Fatalf("admin-client.js against %s: %s\n  %s", url, fail.Error, strings.Join(fail.Trace, "\n  "))
	}
	var r wireReport
	if runErr != nil || json.Unmarshal([]byte(last), &r) != nil {
		t.Fatalf("admin-client.js: %v\nstdout: %s\nstderr: %s", runErr, stdout.String(), stderr.String())
	}
	return r
}

// TestSameWireAsNode: the official client in the UI's role gets the same
// events, with the same shapes (argument types and object keys), from
// package admin as from Node's @socket.io/admin-ui 0.5.1, in development
// mode: login and session, config, server_stats, all_sockets,
// socket_connected, event_received, room_joined and room_left,
// socket_disconnected after the "_disconnect" action.
func TestSameWireAsNode(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	ref := runAdminClient(t, nodeReference(t, string(hash)))

	srv, url := serve(t)
	a, err := admin.Instrument(srv, admin.Options{
		Auth: &admin.BasicAuth{Username: "admin", PasswordHash: string(hash)},
		Mode: admin.Development, ServerID: "ours", StatsInterval: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ours := runAdminClient(t, url)

	t.Logf("Node: %d events, values %+v", len(ref.Shapes), ref.Values)
	for ev, want := range ref.Shapes {
		got, ok := ours.Shapes[ev]
		if !ok {
			t.Errorf("%s: never sent by package admin", ev)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: shape\n%s\nwant (Node)\n%s", ev, got, want)
		}
	}
	for ev := range ours.Shapes {
		if _, ok := ref.Shapes[ev]; !ok {
			t.Errorf("%s: sent by package admin, not by Node", ev)
		}
	}
	if g, w := fmt.Sprint(ours.Values), fmt.Sprint(ref.Values); g != w {
		t.Errorf("values %s, want (Node) %s", g, w)
	}
}

// TestMixedClusterWithNode: a Go node instrumented by package admin and a
// Node.js node instrumented by @socket.io/admin-ui 0.5.1, on one Redis: a
// UI on either node gets both nodes' "server_stats", and the UI on the Go
// node disconnects a socket of the Node.js node.
func TestMixedClusterWithNode(t *testing.T) {
	rdb := goredis.NewClient(&goredis.Options{Addr: redisAddr})
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("Redis at %s: %v (make test starts one)", redisAddr, err)
	}
	t.Cleanup(func() { rdb.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	key := "sioloop-admin-test-" + hex.EncodeToString(b[:])

	goURL := clusterNode(t, rdb, key, "go-node", admin.Development)
	nodeURL := nodeServer(t, map[string]string{"serverId": "node-js", "redis": "redis://" + redisAddr, "key": key})

	_, onGo, ce := dialAdmin(t, goURL, nil)
	if ce != nil {
		t.Fatal(ce)
	}
	_, onNode, ce := dialAdmin(t, nodeURL, nil)
	if ce != nil {
		t.Fatal(ce)
	}
	for _, r := range []*recv{onGo, onNode} {
		for _, id := range []string{"go-node", "node-js"} {
			r.wait(t, "server_stats", func(a []json.RawMessage) bool { return decodeStats(a).ServerID == id })
		}
	}

	app := dialApp(t, nodeURL, &client.Options{Transports: []string{"websocket"}})
	id := app.ID()
	// The Node.js node announces it to the UI on the Go node.
	onGo.wait(t, "socket_connected", func(a []json.RawMessage) bool {
		var s struct{ ID, Transport string }
		_ = json.Unmarshal(a[0], &s)
		return s.ID == id && s.Transport == "websocket"
	})
	dis := make(chan string, 1)
	app.OnDisconnect(func(e *client.DisconnectEvent) { dis <- e.Reason })
	adm := onGo.sock
	_ = adm.Emit("_disconnect", "/", false, id)
	select {
	case reason := <-dis:
		if reason != "io server disconnect" {
			t.Errorf("disconnected with %q", reason)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the UI on the Go node could not disconnect a socket of the Node.js node")
	}
}
