package interop

import (
	"strings"
	"testing"
	"time"
)

// Scenarios driven by the official engine.io-client (npm, run by Node):
// interop/node/eio-*.js perform them and report JSON; the assertions live
// here, plus the server's own view through /admin/sessions.

// Generous: these bound a failure, not the run; on a loaded 2-core box a
// Node process can stall for seconds.
const (
	nodeScriptTimeout = 60 * time.Second
	scriptDeadlineMs  = 45000
)

type clientCase struct {
	name string
	fn   func(t *testing.T, tg *Target)
	// beat runs the case on the target with a short heartbeat; the others
	// use the library default (25 s) so that a starved Node process on a
	// loaded machine does not trip its own 500 ms ping watchdog mid-test.
	beat bool
}

var clientCases = []clientCase{
	{name: "echo/polling", fn: func(t *testing.T, tg *Target) { clientEcho(t, tg, []string{"polling"}, "", false) }},
	{name: "echo/polling-arraybuffer", fn: func(t *testing.T, tg *Target) { clientEcho(t, tg, []string{"polling"}, "arraybuffer", false) }},
	{name: "echo/websocket", fn: func(t *testing.T, tg *Target) { clientEcho(t, tg, []string{"websocket"}, "", false) }},
	{name: "echo/websocket-arraybuffer", fn: func(t *testing.T, tg *Target) {
		clientEcho(t, tg, []string{"websocket"}, "arraybuffer", false)
	}},
	{name: "echo/after-upgrade", fn: func(t *testing.T, tg *Target) { clientEcho(t, tg, []string{"polling", "websocket"}, "", true) }},
	{name: "upgrade/stream-500", fn: clientUpgradeStream},
	{name: "heartbeat/polling", beat: true, fn: func(t *testing.T, tg *Target) { clientHeartbeat(t, tg, []string{"polling"}, false) }},
	{name: "heartbeat/websocket", beat: true, fn: func(t *testing.T, tg *Target) { clientHeartbeat(t, tg, []string{"websocket"}, false) }},
	{name: "heartbeat/upgraded", beat: true, fn: func(t *testing.T, tg *Target) { clientHeartbeat(t, tg, []string{"polling", "websocket"}, true) }},
	{name: "max-payload/polling", fn: func(t *testing.T, tg *Target) { clientMaxPayload(t, tg, "polling", false) }},
	{name: "max-payload/websocket-text", fn: func(t *testing.T, tg *Target) { clientMaxPayload(t, tg, "websocket", false) }},
	{name: "max-payload/websocket-binary", fn: func(t *testing.T, tg *Target) { clientMaxPayload(t, tg, "websocket", true) }},
	{name: "ping-timeout/polling", beat: true, fn: func(t *testing.T, tg *Target) { clientSilent(t, tg, "polling") }},
	{name: "ping-timeout/websocket", beat: true, fn: func(t *testing.T, tg *Target) { clientSilent(t, tg, "websocket") }},
	{name: "server-close/polling", fn: func(t *testing.T, tg *Target) { clientServerClose(t, tg, []string{"polling"}, false) }},
	{name: "server-close/websocket", fn: func(t *testing.T, tg *Target) { clientServerClose(t, tg, []string{"websocket"}, false) }},
	{name: "server-close/upgraded", fn: func(t *testing.T, tg *Target) {
		clientServerClose(t, tg, []string{"polling", "websocket"}, true)
	}},
}

func TestEIOClient(t *testing.T) {
	requireNode(t)
	forKinds(t, kindsWithHTTP, func(t *testing.T, kind string) {
		for _, c := range clientCases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				flags := profileDefault
				if c.beat {
					flags = profileBeat
				}
				c.fn(t, StartTarget(t, kind, flags...))
			})
		}
	})
}

// ---- echo ----

type echoResult struct {
	SID             string `json:"sid"`
	TransportAtOpen string `json:"transportAtOpen"`
	TransportAtEcho string `json:"transportAtEcho"`
	Upgraded        bool   `json:"upgraded"`
	Results         []struct {
		I       int    `json:"i"`
		Sent    string `json:"sent"`
		Got     string `json:"got"`
		GotKind string `json:"gotKind"`
		OK      bool   `json:"ok"`
	} `json:"results"`
	Extra       int    `json:"extra"`
	CloseReason string `json:"closeReason"`
}

func clientEcho(t *testing.T, tg *Target, transports []string, binaryType string, waitUpgrade bool) {
	var res echoResult
	RunNode(t, nodeScriptTimeout, "eio-echo.js", map[string]any{
		"url": tg.URL, "transports": transports, "upgrade": waitUpgrade,
		"binaryType": binaryType, "waitUpgrade": waitUpgrade, "timeoutMs": scriptDeadlineMs,
	}, &res)
	wantEcho := transports[0]
	if waitUpgrade {
		wantEcho = "websocket"
	}
	if res.TransportAtOpen != transports[0] || res.TransportAtEcho != wantEcho {
		t.Errorf("transport at open %q, during the echo %q; want %q, %q", res.TransportAtOpen, res.TransportAtEcho, transports[0], wantEcho)
	}
	if !waitUpgrade && res.Upgraded {
		t.Errorf("the session was upgraded although the client allows only %v", transports)
	}
	wantBinary := "buffer"
	if binaryType == "arraybuffer" {
		wantBinary = "arraybuffer"
	}
	if len(res.Results) == 0 {
		t.Fatalf("no echo results")
	}
	for _, r := range res.Results {
		binary := !strings.HasPrefix(r.Sent, "string")
		switch {
		case !r.OK:
			t.Errorf("message %d: sent %s, got %s", r.I, r.Sent, r.Got)
		case binary && r.GotKind != wantBinary:
			t.Errorf("message %d: binary came back as %s, want %s", r.I, r.GotKind, wantBinary)
		case !binary && r.GotKind != "string" && !(r.Sent == `string ""` && r.GotKind == "undefined"):
			t.Errorf("message %d: text came back as %s", r.I, r.GotKind)
		}
	}
	if res.Extra != 0 {
		t.Errorf("%d unexpected extra messages", res.Extra)
	}
	tg.ExpectClosedWith(t, res.SID, "transport close", closeWait)
}

// ---- upgrade while messages flow ----

type streamResult struct {
	SID            string         `json:"sid"`
	Count          int            `json:"count"`
	SentOn         map[string]int `json:"sentOn"`
	UpgradingAfter int            `json:"upgradingAfter"`
	UpgradedAfter  int            `json:"upgradedAfter"`
	Received       int            `json:"received"`
	Duplicates     int            `json:"duplicates"`
	OutOfOrder     int            `json:"outOfOrder"`
	Missing        []int          `json:"missing"`
	WrongType      int            `json:"wrongType"`
	TransportAtEnd string         `json:"transportAtEnd"`
}

func clientUpgradeStream(t *testing.T, tg *Target) {
	var res streamResult
	RunNode(t, nodeScriptTimeout, "eio-upgrade-stream.js", map[string]any{"url": tg.URL, "count": 500, "timeoutMs": scriptDeadlineMs}, &res)
	if res.Received != res.Count || res.Duplicates != 0 || res.OutOfOrder != 0 || len(res.Missing) != 0 || res.WrongType != 0 {
		t.Errorf("stream of %d across the upgrade: received %d, duplicates %d, out of order %d, missing %v, wrong type %d",
			res.Count, res.Received, res.Duplicates, res.OutOfOrder, res.Missing, res.WrongType)
	}
	if res.SentOn["polling"] == 0 || res.SentOn["websocket"] == 0 || res.UpgradedAfter <= 0 || res.UpgradedAfter >= res.Count {
		t.Errorf("the upgrade did not happen mid-stream: sent on %v, upgraded after %d messages", res.SentOn, res.UpgradedAfter)
	}
	if res.TransportAtEnd != "websocket" {
		t.Errorf("transport at the end %q, want websocket", res.TransportAtEnd)
	}
	t.Logf("sent on %v; upgrade started after %d, completed after %d messages", res.SentOn, res.UpgradingAfter, res.UpgradedAfter)
	tg.ExpectClosedWith(t, res.SID, "transport close", closeWait)
}

// ---- heartbeat ----

type heartbeatResult struct {
	SID         string  `json:"sid"`
	Transport   string  `json:"transport"`
	Pings       int     `json:"pings"`
	PingGapsMs  []int64 `json:"pingGapsMs"`
	Echoed      bool    `json:"echoed"`
	OpenInAdmin bool    `json:"openInAdmin"`
}

func clientHeartbeat(t *testing.T, tg *Target, transports []string, upgrade bool) {
	var res heartbeatResult
	RunNode(t, nodeScriptTimeout, "eio-heartbeat.js", map[string]any{
		"url": tg.URL, "transports": transports, "upgrade": upgrade, "pings": 4, "timeoutMs": scriptDeadlineMs,
	}, &res)
	if !res.Echoed || !res.OpenInAdmin {
		t.Errorf("after %d pings: echoed %v, open in /admin/sessions %v", res.Pings, res.Echoed, res.OpenInAdmin)
	}
	want := transports[len(transports)-1]
	if res.Transport != want {
		t.Errorf("transport %q, want %q", res.Transport, want)
	}
	for i, gap := range res.PingGapsMs {
		d := time.Duration(gap) * time.Millisecond
		if i == 0 {
			continue // measured from the open event, not from a pong
		}
		within(t, "ping after the previous one", d, pingInterval-early, pingInterval+lateSlack)
	}
	tg.ExpectClosedWith(t, res.SID, "transport close", closeWait)
}

// ---- maxPayload ----

type maxPayloadResult struct {
	SID         string `json:"sid"`
	UnderEchoed bool   `json:"underEchoed"`
	UnderLen    int    `json:"underLen"`
	OverEchoed  bool   `json:"overEchoed"`
	OverClose   struct {
		Reason  string `json:"reason"`
		Desc    string `json:"desc"`
		AfterMs int64  `json:"afterMs"`
	} `json:"overClose"`
}

func clientMaxPayload(t *testing.T, tg *Target, transport string, binary bool) {
	var res maxPayloadResult
	RunNode(t, nodeScriptTimeout, "eio-max-payload.js", map[string]any{
		"url": tg.URL, "transport": transport, "maxPayload": maxPayload, "binary": binary, "timeoutMs": scriptDeadlineMs,
	}, &res)
	if !res.UnderEchoed || res.OverEchoed {
		t.Errorf("maxPayload message echoed %v (%d), oversized echoed %v", res.UnderEchoed, res.UnderLen, res.OverEchoed)
	}
	switch transport {
	case "websocket":
		// The server closes the WebSocket (1009): the client sees a transport close.
		if res.OverClose.Reason != "transport close" {
			t.Errorf("client close after the oversized message: %q (%s), want \"transport close\"", res.OverClose.Reason, res.OverClose.Desc)
		}
		tg.ExpectClosedWith(t, res.SID, "transport error", closeWait)
	case "polling":
		// HTTP 413: the official client treats the failed POST as a
		// transport error and closes, sending a close packet.
		if res.OverClose.Reason != "transport error" || !strings.Contains(res.OverClose.Desc, "413") {
			t.Errorf("client close after the oversized POST: %q (%s), want \"transport error\" (xhr post error (413))", res.OverClose.Reason, res.OverClose.Desc)
		}
		tg.ExpectClosedWith(t, res.SID, "transport close", closeWait)
	}
}

// ---- silent client ----

type silentResult struct {
	SID              string `json:"sid"`
	Pings            int    `json:"pings"`
	CloseReason      string `json:"closeReason"`
	CloseDesc        string `json:"closeDesc"`
	ClosedAfterMs    int64  `json:"closedAfterMs"`
	FirstPingAfterMs int64  `json:"firstPingAfterMs"`
}

func clientSilent(t *testing.T, tg *Target, transport string) {
	var res silentResult
	RunNode(t, nodeScriptTimeout, "eio-silent.js", map[string]any{"url": tg.URL, "transport": transport, "timeoutMs": scriptDeadlineMs}, &res)
	if res.Pings != 1 {
		t.Errorf("the silent client got %d pings before the close, want 1", res.Pings)
	}
	switch {
	case res.CloseReason == "transport close":
	case transport == "polling" && res.CloseReason == "transport error" && strings.Contains(res.CloseDesc, "(400)"):
		// The client re-polled only after the server had dropped the session.
		note(t, "the client learnt of the close from a 400 on its next GET")
	default:
		t.Errorf("client close reason %q (%s), want \"transport close\"", res.CloseReason, res.CloseDesc)
	}
	// Measured from the client's open event, which comes after the server
	// started its interval (by the handshake's latency, 100 ms and more on
	// a loaded machine): only loose lower bounds hold here; the raw
	// heartbeat cases measure the server's timers exactly.
	const clientSkew = 300 * time.Millisecond
	within(t, "first ping", time.Duration(res.FirstPingAfterMs)*time.Millisecond, pingInterval-clientSkew, pingInterval+lateSlack)
	within(t, "drop of the silent client", time.Duration(res.ClosedAfterMs)*time.Millisecond, pingInterval+beatTimeout-clientSkew, pingInterval+beatTimeout+lateSlack)
	tg.ExpectClosedWith(t, res.SID, "ping timeout", closeWait)
}

// ---- server-side close ----

type serverCloseResult struct {
	SID           string `json:"sid"`
	Transport     string `json:"transport"`
	AdminStatus   int    `json:"adminStatus"`
	CloseReason   string `json:"closeReason"`
	CloseDesc     string `json:"closeDesc"`
	ClosedAfterMs int64  `json:"closedAfterMs"`
}

func clientServerClose(t *testing.T, tg *Target, transports []string, waitUpgrade bool) {
	var res serverCloseResult
	RunNode(t, nodeScriptTimeout, "eio-server-close.js", map[string]any{
		"url": tg.URL, "transports": transports, "waitUpgrade": waitUpgrade, "timeoutMs": scriptDeadlineMs,
	}, &res)
	if res.AdminStatus != 200 {
		t.Errorf("POST /admin/close: %d", res.AdminStatus)
	}
	if want := transports[len(transports)-1]; res.Transport != want {
		t.Errorf("closed while on %q, want %q", res.Transport, want)
	}
	if res.CloseReason != "transport close" {
		t.Errorf("client close reason %q (%s), want \"transport close\"", res.CloseReason, res.CloseDesc)
	}
	within(t, "client close after the admin request", time.Duration(res.ClosedAfterMs)*time.Millisecond, 0, lateSlack)
	tg.ExpectClosedWith(t, res.SID, "forced close", closeWait)
}
