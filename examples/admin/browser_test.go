//go:build linux

package main

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/internal/browsertest"
	"github.com/sioloop/sioloop/sio"
)

const scenarioTimeout = 60 * time.Second // the node script's own deadline

// TestAdminUI opens the official Admin UI (the npm package's build, served
// by this example) in a real headless Chromium (Debian's chromium),
// steered by playwright-core from interop/node/admin-browser.js: a wrong
// password is refused, the login works, the Servers page shows this
// server, the Sockets page the application's sockets, the Rooms page
// their room, and the disconnect button of one socket disconnects it (the
// client is told "io server disconnect", the server "server namespace
// disconnect") and no other.
//
// The server and the application's sockets (Go clients) run in the test
// binary; Chromium and node are started here and killed by PID.
// SIOLOOP_NO_BROWSER=1 skips it; SIOLOOP_ADMIN_SHOTS=DIR keeps
// screenshots of the pages.
func TestAdminUI(t *testing.T) {
	browsertest.Skip(t)
	root := browsertest.RepoRoot(t)
	node := browsertest.RequireNode(t, root)
	ui := filepath.Join(root, filepath.FromSlash(uiRel))
	if _, err := os.Stat(filepath.Join(ui, "index.html")); err != nil {
		t.Fatalf("the Admin UI's build is missing (%v): run `make npm-deps`", err)
	}
	cdp := browsertest.StartChromium(t)

	var mu sync.Mutex
	serverReasons := map[string]string{}
	disconnected := make(chan string, 8)
	url := startApp(t, config{
		ui: ui, user: "admin", password: "s3cret", serverID: "sioloop-example", statsIntervalTests: true,
		onDisconnect: func(s *sio.Socket, reason string) {
			mu.Lock()
			serverReasons[s.ID()] = reason
			mu.Unlock()
			disconnected <- s.ID()
		},
	})

	// The application's sockets: three in the room "lobby".
	type sock struct {
		s       *client.Socket
		reasons chan string
	}
	var socks []sock
	var ids []string
	for range 3 {
		s, err := client.New(url, &client.Options{NoReconnection: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		reasons := make(chan string, 1)
		s.OnDisconnect(func(e *client.DisconnectEvent) { reasons <- e.Reason })
		connected := make(chan struct{})
		s.OnConnect(func(*client.ConnectEvent) { close(connected) })
		s.Connect()
		t.Cleanup(s.Disconnect)
		select {
		case <-connected:
		case <-time.After(10 * time.Second):
			t.Fatal("an application socket did not connect")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := s.EmitWithAck(ctx, "join", "lobby")
		cancel()
		if err != nil || string(res.Raw(0)) != "true" {
			t.Fatalf("join lobby: %v %v", res, err)
		}
		socks = append(socks, sock{s, reasons})
		ids = append(ids, s.ID())
	}
	victim, victimID := socks[1], ids[1] // the client forgets its id once disconnected

	arg := map[string]any{
		"cdp": cdp, "url": url, "username": "admin", "password": "s3cret",
		"serverId": "sioloop-example", "sockets": ids, "room": "lobby", "victim": victimID,
		"stepMs": 15000, "timeoutMs": scenarioTimeout.Milliseconds(),
	}
	if dir := os.Getenv("SIOLOOP_ADMIN_SHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		arg["shots"] = dir
	}
	var res struct {
		OK bool `json:"ok"`
		MS int  `json:"ms"`
	}
	browsertest.RunScript(t, node, root, "admin-browser.js", scenarioTimeout, arg, &res)
	if !res.OK {
		t.Fatalf("browser result %+v", res)
	}

	select {
	case r := <-victim.reasons:
		if r != "io server disconnect" {
			t.Errorf("the victim was disconnected with %q, want io server disconnect", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the victim was not disconnected")
	}
	// The server side: only the victim left, by the server's hand (the
	// admin socket may have come and gone too: its namespace is /admin).
	for {
		var id string
		select {
		case id = <-disconnected:
		case <-time.After(10 * time.Second):
			t.Fatal("the server saw no disconnection of the victim")
		}
		mu.Lock()
		reason := serverReasons[id]
		mu.Unlock()
		if id == victimID {
			if reason != sio.ReasonServerDisconnect {
				t.Errorf("server-side reason %q, want %q", reason, sio.ReasonServerDisconnect)
			}
			break
		}
		t.Errorf("socket %s disconnected (%s), not the victim", id, reason)
	}
	for i, s := range socks {
		if i != 1 && !s.s.Connected() {
			t.Errorf("socket %s was disconnected too", ids[i])
		}
	}
	t.Logf("scenario done in %d ms in the browser", res.MS)
}

// startApp serves the example on a free loopback port until t ends.
func startApp(t *testing.T, c config) string {
	t.Helper()
	a, err := newApp(c)
	if err != nil {
		t.Fatal(err)
	}
	addr := browsertest.FreeAddr(t)
	done := make(chan error, 1)
	go func() { done <- a.serve(addr) }()
	if err := browsertest.WaitServing(addr, "/", done); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a.admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), browsertest.StopTimeout)
		defer cancel()
		if err := a.srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		select {
		case <-done:
		case <-time.After(browsertest.StopTimeout):
			t.Error("still serving after Shutdown")
		}
	})
	return "http://" + addr
}
