package interop

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// The second half of the raw conformance cases (see conformance_test.go):
// heartbeat, close, upgrade and the contract's admin endpoints.

// ---- heartbeat ----

// within fails unless lo <= d <= hi.
func within(t testing.TB, what string, d, lo, hi time.Duration) {
	t.Helper()
	if d < lo || d > hi {
		t.Errorf("%s after %v, want between %v and %v", what, d.Round(time.Millisecond), lo, hi)
	}
}

func testHeartbeatPolling(t *testing.T, tg *Target) {
	last := time.Now()
	sid := tg.handshake(t)
	for i := 0; i < 3; i++ {
		r := tg.poll(t, sid)
		expectStatus(t, fmt.Sprintf("ping %d", i+1), r, 200, "2")
		within(t, fmt.Sprintf("ping %d", i+1), time.Since(last), pingInterval-early, pingInterval+lateSlack)
		last = time.Now() // the interval restarts when the pong arrives
		tg.push(t, sid, "3")
	}
	tg.ExpectOpen(t, sid)
}

func testHeartbeatPollingTimeout(t *testing.T, tg *Target) {
	start := time.Now()
	sid := tg.handshake(t)
	a := tg.startPoll(t, sid)
	expectStatus(t, "ping", a.mustResponse(ioTimeout), 200, "2")
	b := tg.startPoll(t, sid)
	rb := b.mustResponse(ioTimeout)
	elapsed := time.Since(start)
	if rb.Status == 400 && elapsed > pingInterval+pingTimeout {
		note(t, "the GET meant to be pending at the timeout was sent too late (%v)", elapsed)
	} else {
		expectStatus(t, "GET pending at the timeout", rb, 200, "1")
		within(t, "close packet", elapsed, pingInterval+pingTimeout-early, pingInterval+pingTimeout+lateSlack)
	}
	expectEIOError(t, "GET after the timeout", tg.poll(t, sid), 1, "Session ID unknown")
	tg.ExpectClosedWith(t, sid, "ping timeout", closeWait)

	// The test-suite's variant: nobody polls; a GET after the deadline is refused.
	sid = tg.handshake(t)
	time.Sleep(pingInterval + pingTimeout + 100*time.Millisecond)
	expectEIOError(t, "GET after pingInterval+pingTimeout", tg.poll(t, sid), 1, "Session ID unknown")
	tg.ExpectClosedWith(t, sid, "ping timeout", closeWait)
}

func testHeartbeatWS(t *testing.T, tg *Target) {
	last := time.Now()
	w, op := tg.openWS(t)
	defer w.c.Close()
	for i := 0; i < 3; i++ {
		w.expectText("2", ioTimeout)
		within(t, fmt.Sprintf("ping %d", i+1), time.Since(last), pingInterval-early, pingInterval+lateSlack)
		last = time.Now()
		w.sendText("3")
	}
	tg.ExpectOpen(t, op.SID)
}

func testHeartbeatWSTimeout(t *testing.T, tg *Target) {
	start := time.Now()
	w, op := tg.openWS(t)
	w.expectText("2", ioTimeout)
	w.expectCloseFrame(0, ioTimeout)
	within(t, "close frame", time.Since(start), pingInterval+pingTimeout-early, pingInterval+pingTimeout+lateSlack)
	tg.ExpectClosedWith(t, op.SID, "ping timeout", closeWait)
}

// After an upgrade the heartbeat runs over the WebSocket, and a silent
// client is still dropped.
func testHeartbeatAfterUpgrade(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	w := tg.dialWS(t, "EIO=4&transport=websocket&sid="+sid)
	if w.Resp.Status != 101 {
		t.Fatalf("upgrade: %s", w.Resp)
	}
	w.sendText("2probe")
	w.expectText("3probe", ioTimeout)
	tg.expectPoll(t, sid, nil, "6")
	w.sendText("5")
	for i := 0; i < 2; i++ {
		w.expectText("2", ioTimeout)
		w.sendText("3")
	}
	tg.ExpectOpen(t, sid)
	w.expectText("2", ioTimeout)
	w.expectCloseFrame(0, ioTimeout)
	tg.ExpectClosedWith(t, sid, "ping timeout", closeWait)
}

// Any packet received while a pong is awaited pushes the deadline back,
// once (eio-ping-timeout: "a message (not a pong) after the ping extends
// the deadline once"). On the "beat" target (pingTimeout 3 s): a message
// 400 ms after the ping moves the close to ~3 s after that message; a
// second message 400 ms later does not move it again.
func testHeartbeatDeadlineOnce(t *testing.T, tg *Target) {
	w, op := tg.openWS(t)
	w.expectText("2", ioTimeout)
	time.Sleep(400 * time.Millisecond)
	sentA := time.Now()
	w.sendText("4a")
	w.expectText("4a", ioTimeout)
	time.Sleep(time.Until(sentA.Add(400 * time.Millisecond)))
	sentB := time.Now()
	w.sendText("4b")
	w.expectText("4b", ioTimeout)
	w.expectCloseFrame(0, ioTimeout+beatTimeout)
	closed := time.Now()
	if d := closed.Sub(sentA); d < beatTimeout-early {
		t.Errorf("closed %v after the first message: the message did not push the deadline back (want >= %v)", d.Round(time.Millisecond), beatTimeout)
	}
	if d := closed.Sub(sentB); d >= beatTimeout-100*time.Millisecond {
		t.Errorf("closed %v after the second message: the deadline was pushed back more than once (want about %v)", d.Round(time.Millisecond), beatTimeout-400*time.Millisecond)
	}
	tg.ExpectClosedWith(t, op.SID, "ping timeout", closeWait)
}

// ---- close ----

func testClosePolling(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	a := tg.startPoll(t, sid)
	a.expectPending(50*time.Millisecond, "GET")
	tg.push(t, sid, "1")
	expectStatus(t, "pending GET", a.mustResponse(ioTimeout), 200, "6")
	expectEIOError(t, "GET after close", tg.poll(t, sid), 1, "Session ID unknown")
	tg.ExpectClosedWith(t, sid, "transport close", closeWait)

	// Packets after the close packet in the same payload are dropped.
	sid = tg.handshake(t)
	tg.push(t, sid, "4bye\x1e1\x1e4after-close")
	expectEIOError(t, "GET after close", tg.poll(t, sid), 1, "Session ID unknown")
	tg.ExpectClosedWith(t, sid, "transport close", closeWait)
}

// Over WebSocket the reference ignores a close packet: the session lives on
// (the test-suite's "forcefully closes" case only sees the close caused by
// the ping timeout that follows, as nobody answers pings).
func testCloseWSPacket(t *testing.T, tg *Target) {
	w, op := tg.openWS(t)
	w.sendText("1")
	w.sendText("4still open?")
	w.expectText("4still open?", ioTimeout)
	tg.ExpectOpen(t, op.SID)
	w.expectText("2", ioTimeout)
	w.expectCloseFrame(0, ioTimeout)
	tg.ExpectClosedWith(t, op.SID, "ping timeout", closeWait)
}

func testCloseWSFrame(t *testing.T, tg *Target) {
	w, op := tg.openWS(t)
	w.sendClose(1000)
	w.expectCloseReply(1000, ioTimeout)
	tg.ExpectClosedWith(t, op.SID, "transport close", closeWait)
	// TCP closed (FIN) without a close frame.
	w, op = tg.openWS(t)
	w.c.(*net.TCPConn).CloseWrite()
	tg.ExpectClosedWith(t, op.SID, "transport close", closeWait)
}

func testServerClosePolling(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	a := tg.startPoll(t, sid)
	a.expectPending(50*time.Millisecond, "GET")
	if st := tg.AdminClose(t, sid); st != 200 {
		t.Fatalf("POST /admin/close: %d", st)
	}
	expectStatus(t, "pending GET", a.mustResponse(ioTimeout), 200, "1")
	tg.ExpectClosedWith(t, sid, "forced close", closeWait)
	expectEIOError(t, "GET after close", tg.poll(t, sid), 1, "Session ID unknown")
}

func testServerCloseWS(t *testing.T, tg *Target) {
	w, op := tg.openWS(t)
	if st := tg.AdminClose(t, op.SID); st != 200 {
		t.Fatalf("POST /admin/close: %d", st)
	}
	w.expectCloseFrame(0, ioTimeout)
	tg.ExpectClosedWith(t, op.SID, "forced close", closeWait)
}

func testAbortedGet(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	a := tg.startPoll(t, sid)
	a.expectPending(50*time.Millisecond, "GET")
	a.c.Close()
	tg.ExpectClosedWith(t, sid, "transport error", closeWait)
	expectEIOError(t, "GET after", tg.poll(t, sid), 1, "Session ID unknown")
}

// ---- upgrade ----

// upgradeSession upgrades a polling session to WebSocket (2probe, 3probe,
// 5) and proves the switch with an echo.
func upgradeSession(t *testing.T, tg *Target, sid string) *wsConn {
	t.Helper()
	w := tg.dialWS(t, "EIO=4&transport=websocket&sid="+sid)
	if w.Resp.Status != 101 {
		t.Fatalf("upgrade: %s", w.Resp)
	}
	w.sendText("2probe")
	w.expectText("3probe", ioTimeout)
	w.sendText("5")
	w.sendText("4upgraded")
	w.expectText("4upgraded", ioTimeout)
	return w
}

func testUpgrade(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	w := tg.dialWS(t, "EIO=4&transport=websocket&sid="+sid)
	defer w.c.Close()
	if w.Resp.Status != 101 {
		t.Fatalf("upgrade: %s", w.Resp)
	}
	wantHeaders(t, "101", w.Resp, map[string]string{"Sec-WebSocket-Accept": wsAccept, "Access-Control-Allow-Origin": "*"})
	w.sendText("2probe")
	w.expectText("3probe", ioTimeout) // no open packet on an upgrading WebSocket
	expectStatus(t, "GET during the upgrade", tg.poll(t, sid), 200, "6")
	w.sendText("5")
	w.sendText("4hello")
	w.expectText("4hello", ioTimeout)
	tg.ExpectOpen(t, sid) // heartbeat after the upgrade: heartbeat/after-upgrade
}

func testUpgradeNoopPending(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	held := tg.startPoll(t, sid)
	held.expectPending(50*time.Millisecond, "GET before the probe")
	w := tg.dialWS(t, "EIO=4&transport=websocket&sid="+sid)
	defer w.c.Close()
	w.sendText("2probe")
	w.expectText("3probe", ioTimeout)
	probed := time.Now()
	expectStatus(t, "pending GET", held.mustResponse(ioTimeout), 200, "6")
	// The reference checks every 100 ms for a pending GET and ends it
	// with a noop.
	within(t, "noop on the pending GET", time.Since(probed), 0, 100*time.Millisecond+lateSlack)
	w.sendText("5")
	w.sendText("4hello")
	w.expectText("4hello", ioTimeout)
}

func testUpgradeHTTPAfter(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	w := upgradeSession(t, tg, sid)
	defer w.c.Close()
	expectEIOError(t, "GET after the upgrade", tg.poll(t, sid), 3, "Bad request")
	expectEIOError(t, "POST after the upgrade", tg.post(t, pollPath(sid), "4late"), 3, "Bad request")
	w.sendText("4hello")
	w.expectText("4hello", ioTimeout)
	tg.ExpectOpen(t, sid)
}

func testUpgradeSecondWS(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	w := upgradeSession(t, tg, sid)
	defer w.c.Close()
	w2 := tg.dialWS(t, "EIO=4&transport=websocket&sid="+sid)
	if w2.Resp.Status != 101 {
		t.Errorf("second WebSocket: %q, the reference answers 101 then closes", w2.Resp.StatusLine)
	} else {
		w2.expectCloseFrame(0, ioTimeout)
	}
	w.sendText("4hello")
	w.expectText("4hello", ioTimeout)
	tg.ExpectOpen(t, sid)
}

func testUpgradeUnknownSID(t *testing.T, tg *Target) {
	w := tg.dialWS(t, "EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA")
	expectRawRefusal(t, "upgrade with unknown sid", w, "Session ID unknown")
}

func testUpgradeMismatch(t *testing.T, tg *Target) {
	sid := tg.handshake(t)
	expectEIOError(t, "transport=websocket without Upgrade on a polling sid", tg.get(t, eioPath("EIO=4&transport=websocket&sid="+sid)), 3, "Bad request")
	expectEIOError(t, "EIO=3 on an EIO=4 sid", tg.get(t, eioPath("EIO=3&transport=polling&sid="+sid)), 3, "Bad request")
	tg.push(t, sid, "4alive")
	tg.expectPoll(t, sid, nil, "4alive")
}

// ---- admin ----

func testAdmin(t *testing.T, tg *Target) {
	if st := tg.AdminClose(t, "AAAAAAAAAAAAAAAAAAAA"); st != 404 {
		t.Errorf("POST /admin/close with an unknown sid: %d, want 404", st)
	}
	if r := tg.get(t, "/definitely/not/here"); r.Status != 404 {
		t.Errorf("unknown path: %s, want 404", r)
	}
	if r := tg.get(t, "/engine.io?EIO=4&transport=polling"); r.Status != 404 {
		t.Errorf("path without trailing slash: %s, want 404 (not the Engine.IO endpoint)", r)
	}
	sid := tg.handshake(t)
	if s := tg.Sessions(t); !s.IsOpen(sid) {
		t.Errorf("/admin/sessions does not list the new session %s as open: %+v", sid, s)
	}
}
