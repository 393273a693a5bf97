package interop

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Targets of the Socket.IO client scenarios (sio_client_test.go): the
// application of the golden captures on either server.
const (
	// SIOKindNode is interop/node/sio-ref-server.js (npm socket.io 4.8.4).
	SIOKindNode = "node"
	// SIOKindOurs is examples/refapp -mode gnet (built and started by
	// startRefapp, golden_sio_test.go).
	SIOKindOurs = "ours"
	// SIOKindOursHTTP is examples/refapp -mode http.
	SIOKindOursHTTP = "ours-http"
)

// sioClientKinds: node, and the refapp's network layers selected by
// SIOLOOP_REFAPP_MODES (default "gnet"; "gnet,http" adds ours-http), as for
// the golden replays.
func sioClientKinds() []string {
	kinds := []string{SIOKindNode}
	modes := os.Getenv("SIOLOOP_REFAPP_MODES")
	if modes == "" {
		modes = "gnet"
	}
	for _, m := range strings.Split(modes, ",") {
		switch strings.TrimSpace(m) {
		case "gnet":
			kinds = append(kinds, SIOKindOurs)
		case "http":
			kinds = append(kinds, SIOKindOursHTTP)
		}
	}
	return kinds
}

// startSIOTarget starts the app of kind with a server option profile
// (default, ref, small, cors, cookie, recovery) on a free loopback port;
// the process is killed when t ends.
func startSIOTarget(t testing.TB, kind, profile string) *Target {
	t.Helper()
	switch kind {
	case SIOKindOurs:
		return startRefapp(t, KindRefapp, profile)
	case SIOKindOursHTTP:
		return startRefapp(t, KindRefappHTTP, profile)
	case SIOKindNode:
		requireNode(t)
	default:
		t.Fatalf("unknown Socket.IO target kind %q", kind)
	}
	script := filepath.Join(env.interopDir, "node", "sio-ref-server.js")
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		tg, err := launch(kind, env.node, []string{script, "-profile", profile, "-addr", "127.0.0.1:" + freePort(t)})
		if err == nil {
			t.Cleanup(func() { tg.stop(t) })
			return tg
		}
		lastErr = err
		if !errors.Is(err, errEarlyExit) {
			break // else most likely the port was taken meanwhile: retry
		}
	}
	t.Fatalf("start %s: %v", kind, lastErr)
	return nil
}

// serverEvents waits (at most timeout) until the target has reported at
// least n "server: <kind> ..." lines and returns all of them so far, in
// order. Both apps report what their handlers observe on stdout (see
// examples/refapp and sio-ref-server.js).
func serverEvents(t testing.TB, tg *Target, kind string, n int, timeout time.Duration) []*srvEvent {
	t.Helper()
	log := &eventLog{tg: tg}
	deadline := time.Now().Add(timeout)
	for {
		log.refresh()
		var out []*srvEvent
		for _, e := range log.events {
			if e.kind == kind {
				out = append(out, e)
			}
		}
		if len(out) >= n || time.Now().After(deadline) {
			if len(log.bad) > 0 {
				t.Errorf("%s: unparsable report lines: %s", tg.Kind, strings.Join(log.bad, "; "))
			}
			if len(out) < n {
				t.Errorf("%s: %d %q report lines within %v, want %d", tg.Kind, len(out), kind, timeout, n)
			}
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// eventsOf keeps the events whose field key has the JSON string value v.
func eventsOf(evs []*srvEvent, key, v string) []*srvEvent {
	var out []*srvEvent
	for _, e := range evs {
		if got, ok := e.get(key); ok && got == jsonString(v) {
			out = append(out, e)
		}
	}
	return out
}
