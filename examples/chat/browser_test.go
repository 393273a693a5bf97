//go:build linux

package main

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sioloop/sioloop/internal/browsertest"
	"github.com/sioloop/sioloop/sio"
)

// TestBrowserChat runs the chat in two tabs of a real headless Chromium
// (Debian's chromium, `make deps` installs it), steered by playwright-core
// from interop/node/chat-browser.js: both tabs join a room, A's message
// reaches B and A, B's typing shows in A, a third tab cannot take a name in
// use (the join ack's error), closing B's tab shows a leave notice in A.
// The server checks which transport carried the messages. Once per
// transport: the default (polling, then the upgrade to WebSocket), polling
// only and WebSocket only.
//
// The test owns every process: the chat server runs in the test binary
// (so -race covers it), Chromium and node are started here and killed by
// PID. SIOLOOP_NO_BROWSER=1 skips the test; SIOLOOP_CHROMIUM and
// SIOLOOP_NODE name other binaries; SIOLOOP_CHAT_SHOTS=DIR keeps
// screenshots of both tabs.
func TestBrowserChat(t *testing.T) {
	browsertest.Skip(t)
	root := browsertest.RepoRoot(t)
	node := browsertest.RequireNode(t, root)
	dist := filepath.Join(root, filepath.FromSlash(clientRel))
	if _, err := os.Stat(filepath.Join(dist, "socket.io.min.js")); err != nil {
		t.Fatalf("the official browser client is missing (%v): run `make npm-deps`", err)
	}
	cdp := browsertest.StartChromium(t)

	for _, tc := range []struct{ name, transport, want string }{
		{"upgrade", "", "websocket"},
		{"polling", "polling", "polling"},
		{"websocket", "websocket", "websocket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			seen := map[string]int{} // server-side transport of each chat message
			url := startChat(t, dist, func(s *sio.Socket, _ string) {
				mu.Lock()
				seen[s.Session().Transport()]++
				mu.Unlock()
			})
			arg := map[string]any{
				"cdp": cdp, "url": url, "transport": tc.transport, "want": tc.want,
				"room": "lobby", "stepMs": 10000, "timeoutMs": scenarioTimeout.Milliseconds(),
			}
			if dir := os.Getenv("SIOLOOP_CHAT_SHOTS"); dir != "" {
				arg["shots"] = filepath.Join(dir, tc.name)
				if err := os.MkdirAll(arg["shots"].(string), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			var res struct {
				OK         bool              `json:"ok"`
				Transports map[string]string `json:"transports"`
				MS         int               `json:"ms"`
			}
			browsertest.RunScript(t, node, root, "chat-browser.js", scenarioTimeout, arg, &res)
			if !res.OK || res.Transports["A"] != tc.want || res.Transports["B"] != tc.want {
				t.Errorf("browser result %+v, want both tabs on %s", res, tc.want)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != 1 || seen[tc.want] != 2 {
				t.Errorf("the server got the chat messages over %v, want 2 over %s", seen, tc.want)
			}
			t.Logf("scenario done in %d ms in the browser", res.MS)
		})
	}
}

const (
	scenarioTimeout = 30 * time.Second // the node script's own deadline
	stopTimeout     = browsertest.StopTimeout
)

// ---- the chat server, in this process ----

// startChat serves the chat with srv.ListenAndServe on a free loopback port
// and returns its URL once it answers; it is shut down when t ends.
func startChat(t *testing.T, dist string, observe func(*sio.Socket, string)) string {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		addr := browsertest.FreeAddr(t)
		c := newChat(&sio.Options{ServeClient: os.DirFS(dist)})
		c.observe = observe
		done := make(chan error, 1)
		go func() { done <- c.srv.ListenAndServe(addr, newSite()) }()
		err := browsertest.WaitServing(addr, "/", done)
		if err == nil {
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
				defer cancel()
				if err := c.srv.Shutdown(ctx); err != nil {
					t.Errorf("chat server shutdown: %v", err)
				}
				select {
				case <-done:
				case <-time.After(stopTimeout):
					t.Errorf("chat server on %s still serving %v after Shutdown", addr, stopTimeout)
				}
			})
			return "http://" + addr
		}
		lastErr = err
		select {
		case <-done: // failed to listen (most likely the port was taken meanwhile): retry
			c.srv.Close()
		default: // serving but not answering
			ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
			_ = c.srv.Shutdown(ctx)
			cancel()
			t.Fatalf("chat server on %s: %v", addr, err)
		}
	}
	t.Fatalf("chat server: %v", lastErr)
	return ""
}
