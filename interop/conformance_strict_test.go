package interop

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// The cases of the public engine.io-protocol test-suite whose outcome
// depends on timing or on the order in which requests of one session are
// applied, written to the letter: the suite's exact sleeps and
// expectations, no tolerance added (TestConformance checks the same
// behaviours with slack, and many more). The suite's own bound on a case
// is mocha's 2 s timeout: suiteTimeout.
//
// Ours runs with 2 event loops (requests sent together land on different
// loops) and as an http.Handler. SIOLOOP_STRESS=N repeats every case N
// times and reports the failures per case (make conformance-stress).

const suiteTimeout = 2 * time.Second

type strictCase struct {
	name string
	fn   func(t *testing.T, tg *Target)
}

var strictCases = []strictCase{
	{"heartbeat/polling-ping", strictPollingPing},
	{"heartbeat/polling-timeout", strictPollingTimeout},
	{"heartbeat/ws-ping", strictWSPing},
	{"heartbeat/ws-timeout", strictWSTimeout},
	{"close/polling-forced", strictPollingForcedClose},
	{"close/polling-duplicate-get", strictDuplicateGet},
	{"close/ws-forced", strictWSForcedClose},
	{"upgrade/success", strictUpgrade},
	{"upgrade/http-after-upgrade", strictHTTPAfterUpgrade},
	{"upgrade/ws-after-upgrade", strictWSAfterUpgrade},
}

func stressCount(t *testing.T) int {
	v := os.Getenv("SIOLOOP_STRESS")
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("SIOLOOP_STRESS=%q: want a positive count", v)
	}
	return n
}

func TestConformanceStrict(t *testing.T) {
	reps := stressCount(t)
	forKinds(t, kindsWithHTTP, func(t *testing.T, kind string) {
		// One server per kind: the cases run one after another, like the
		// suite (whose sessions share one server too).
		tg := StartTarget(t, kind, append(append([]string{}, profileRef...), "-loops", "2")...)
		failed := map[string]int{}
		for _, c := range strictCases {
			if reps == 1 && kind == "node" && c.name == "heartbeat/polling-timeout" {
				// The suite's own race (its GET lands within ~1 ms of the
				// deadline): the Node reference loses it about 1 run in 20
				// on this machine, so a plain run would be flaky; make
				// conformance-stress runs it and reports the rate. Ours
				// closes at the deadline as the request's arrival sees it
				// (eio pollState.due), so it is held to it every run.
				continue
			}
			for i := 0; i < reps; i++ {
				name := c.name
				if reps > 1 {
					name = fmt.Sprintf("%s/%d", c.name, i)
				}
				if !t.Run(name, func(t *testing.T) { c.fn(t, tg) }) {
					failed[c.name]++
				}
			}
		}
		if reps > 1 {
			var b strings.Builder
			for _, c := range strictCases {
				fmt.Fprintf(&b, "\n  %-32s %d/%d failed", c.name, failed[c.name], reps)
			}
			t.Logf("%s: %d repetitions per case:%s", kind, reps, b.String())
		}
	})
}

// strictPollingPing: the first GET of a fresh session gets the ping.
func strictPollingPing(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	for i := 0; i < 3; i++ {
		r := tg.poll(t, sid)
		expectStatus(t, "GET", r, 200, "2")
		tg.push(t, sid, "3")
	}
}

// strictPollingTimeout: nobody polls; exactly pingInterval + pingTimeout
// after the handshake, a GET is refused.
func strictPollingTimeout(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	time.Sleep(pingInterval + pingTimeout)
	r := tg.poll(t, sid)
	if r.Status != 400 {
		t.Fatalf("GET %v after the handshake: %s, want 400", pingInterval+pingTimeout, r)
	}
}

// strictWSPing: three pings, each answered.
func strictWSPing(t *testing.T, tg *Target) {
	w, _ := tg.openWS(t)
	defer w.c.Close()
	for i := 0; i < 3; i++ {
		f := w.mustFrame(suiteTimeout)
		if f.Op != ws.OpText || string(f.Payload) != "2" {
			t.Fatalf("ping %d: got %v, want \"2\"", i, f)
		}
		w.sendText("3")
	}
}

// strictWSTimeout: a client that never answers is closed within the
// suite's timeout.
func strictWSTimeout(t *testing.T, tg *Target) {
	w, _ := tg.openWS(t)
	defer w.c.Close()
	deadline := time.Now().Add(suiteTimeout)
	for {
		f, err := w.readFrame(time.Until(deadline))
		if err != nil {
			if isTimeout(err) {
				t.Fatalf("not closed within %v", suiteTimeout)
			}
			return // closed
		}
		if f.Op == ws.OpClose {
			return
		}
	}
}

// strictPollingForcedClose: a GET and a POST "1" sent together, the GET
// first, on two connections: the GET is released with a noop, and the
// session is gone afterwards.
func strictPollingForcedClose(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	get := dialRaw(t, tg.Addr)
	post := dialRaw(t, tg.Addr)
	get.send("GET", pollPath(sid), nil, nil)
	post.send("POST", pollPath(sid), postHeaders, []byte("1"))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = post.readResponse(ioTimeout) }()
	r := get.mustResponse(suiteTimeout)
	wg.Wait()
	expectStatus(t, "GET sent with the close", r, 200, "6")
	r = tg.poll(t, sid)
	if r.Status != 400 {
		t.Fatalf("GET after the close: %s, want 400", r)
	}
}

// strictDuplicateGet: a second GET 5 ms after the first ends the session:
// the first gets the close packet, the second 400 (or 500, the reference).
func strictDuplicateGet(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	first := tg.startPoll(t, sid)
	time.Sleep(5 * time.Millisecond)
	second := dialRaw(t, tg.Addr)
	second.send("GET", pollPath(sid)+"&t=burst", nil, nil)
	r1 := first.mustResponse(suiteTimeout)
	r2 := second.mustResponse(suiteTimeout)
	expectStatus(t, "first GET", r1, 200, "1")
	if r2.Status != 400 && r2.Status != 500 {
		t.Errorf("second GET: %s, want 400 or 500", r2)
	}
	if r := tg.poll(t, sid); r.Status != 400 {
		t.Fatalf("GET after: %s, want 400", r)
	}
}

// strictWSForcedClose: a close packet over WebSocket closes the connection.
func strictWSForcedClose(t *testing.T, tg *Target) {
	w, _ := tg.openWS(t)
	defer w.c.Close()
	w.sendText("1")
	deadline := time.Now().Add(suiteTimeout)
	for {
		f, err := w.readFrame(time.Until(deadline))
		if err != nil {
			if isTimeout(err) {
				t.Fatalf("not closed within %v", suiteTimeout)
			}
			return
		}
		if f.Op == ws.OpClose {
			return
		}
	}
}

// upgradeWS opens the WebSocket of an upgrade of session sid.
func upgradeWS(t *testing.T, tg *Target, sid string) *wsConn {
	w := tg.dialWS(t, "EIO=4&transport=websocket&sid="+sid)
	if w.Resp.Status != 101 {
		t.Fatalf("upgrade: %s", w.Resp)
	}
	return w
}

// strictUpgrade: probe, a GET released with a noop, the upgrade packet,
// then messages over WebSocket.
func strictUpgrade(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	w := upgradeWS(t, tg, sid)
	defer w.c.Close()
	w.sendText("2probe")
	if f := w.mustFrame(suiteTimeout); string(f.Payload) != "3probe" {
		t.Fatalf("probe answer %v, want 3probe", f)
	}
	r := tg.poll(t, sid)
	expectStatus(t, "GET during the upgrade", r, 200, "6")
	w.sendText("5")
	w.sendText("4hello")
	if f := w.mustFrame(suiteTimeout); string(f.Payload) != "4hello" {
		t.Fatalf("echo %v, want 4hello", f)
	}
}

// strictHTTPAfterUpgrade: probe and upgrade packet sent at once, then a
// GET: refused; the WebSocket works.
func strictHTTPAfterUpgrade(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	w := upgradeWS(t, tg, sid)
	defer w.c.Close()
	w.sendText("2probe")
	w.sendText("5")
	r := tg.poll(t, sid)
	if r.Status != 400 {
		t.Fatalf("GET after the upgrade packet: %s, want 400", r)
	}
	w.sendText("4hello")
	for {
		f := w.mustFrame(suiteTimeout)
		if string(f.Payload) == "3probe" {
			continue
		}
		if string(f.Payload) != "4hello" {
			t.Fatalf("echo %v, want 4hello", f)
		}
		return
	}
}

// strictWSAfterUpgrade: a second WebSocket with the sid of an upgraded
// session is closed.
func strictWSAfterUpgrade(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	w := upgradeWS(t, tg, sid)
	defer w.c.Close()
	w.sendText("2probe")
	w.sendText("5")
	w2 := tg.dialWS(t, "EIO=4&transport=websocket&sid="+sid)
	defer w2.c.Close()
	if w2.Resp.Status == 101 {
		deadline := time.Now().Add(suiteTimeout)
		for {
			f, err := w2.readFrame(time.Until(deadline))
			if err != nil {
				if isTimeout(err) {
					t.Fatalf("second WebSocket not closed within %v", suiteTimeout)
				}
				return
			}
			if f.Op == ws.OpClose {
				return
			}
		}
	}
}
