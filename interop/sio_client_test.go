package interop

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// Socket.IO features driven by the official socket.io-client 4.8.4 (npm,
// run by Node): one interop/node/sio-<scenario>.js per feature performs it
// and prints what the client saw as JSON; the assertions live here, plus
// what the server's handlers observed (the "server: ..." lines the app
// prints on stdout). Every scenario runs against both targets of
// sio_target_test.go, each on a fresh server process: "node" (the npm
// socket.io server: a failure there is a bug of the scenario) and "ours"
// (examples/refapp; SIOLOOP_REFAPP_MODES=gnet,http adds "ours-http").

const (
	sioScriptTimeout    = 45 * time.Second // bounds a failure, not the run
	sioScriptDeadlineMs = 30000
	sioReportWait       = 3 * time.Second
)

type sioScenario struct {
	name    string
	profile string
	fn      func(t *testing.T, tg *Target)
}

var sioScenarios = []sioScenario{
	{"events-acks", "default", sioEvents},
	{"binary/websocket", "default", func(t *testing.T, tg *Target) { sioBinary(t, tg, "websocket") }},
	{"binary/polling", "default", func(t *testing.T, tg *Target) { sioBinary(t, tg, "polling") }},
	{"namespaces", "default", sioNamespaces},
	{"middleware-errors", "default", sioMiddleware},
	{"rooms-broadcast", "default", sioRooms},
	{"volatile", "default", sioVolatile},
	{"broadcast-ack", "default", sioBroadcastAck},
	{"reconnect", "default", sioReconnect},
	{"recovery/websocket", "recovery", func(t *testing.T, tg *Target) { sioRecovery(t, tg, "websocket") }},
	{"recovery/polling", "recovery", func(t *testing.T, tg *Target) { sioRecovery(t, tg, "polling") }},
	{"transport/polling-only", "default", func(t *testing.T, tg *Target) { sioTransport(t, tg, "polling") }},
	{"transport/websocket-only", "default", func(t *testing.T, tg *Target) { sioTransport(t, tg, "websocket") }},
	{"upgrade-stream", "default", sioUpgradeStream},
	{"multiplex/websocket", "default", func(t *testing.T, tg *Target) { sioMultiplex(t, tg, []string{"websocket"}) }},
	{"multiplex/polling", "default", func(t *testing.T, tg *Target) { sioMultiplex(t, tg, []string{"polling"}) }},
}

func TestSIOClient(t *testing.T) {
	requireNode(t)
	forKinds(t, sioClientKinds(), func(t *testing.T, kind string) {
		for _, sc := range sioScenarios {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				sc.fn(t, startSIOTarget(t, kind, sc.profile))
			})
		}
	})
}

// runSIO runs interop/node/<script> against tg with arg (url and deadline
// added) and decodes its result into out.
func runSIO(t *testing.T, tg *Target, script string, arg map[string]any, out any) {
	t.Helper()
	if arg == nil {
		arg = map[string]any{}
	}
	arg["url"] = tg.URL
	arg["timeoutMs"] = sioScriptDeadlineMs
	RunNode(t, sioScriptTimeout, script, arg, out)
}

// sameJSON compares got with the JSON text want as values (object key
// order and number spelling do not matter).
func sameJSON(t *testing.T, what string, got json.RawMessage, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: undecodable %q: %v", what, got, err)
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad expectation %q: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, compactJSON(got), compactJSON([]byte(want)))
		return false
	}
	return true
}

func compactJSON(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

// jsonString is s as a JSON string, without HTML escaping (as the apps
// write their reports).
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// field returns the raw JSON of an event's field ("" when absent).
func field(e *srvEvent, key string) string {
	v, _ := e.get(key)
	return v
}

// expectCallback checks an ask-callback / broadcast-ask-callback report:
// err null, or an error whose message says the operation timed out (the
// reference's text; ours may prefix it), and the answers.
func expectCallback(t *testing.T, what string, e *srvEvent, timedOut bool, answersKey, answers string, sorted bool) {
	t.Helper()
	errv := field(e, "err")
	if !timedOut && errv != "null" {
		t.Errorf("%s: callback error %s, want null (%s)", what, errv, e.text)
	}
	if timedOut {
		var x struct {
			Error string `json:"error"`
		}
		if json.Unmarshal([]byte(errv), &x) != nil || !strings.Contains(x.Error, "operation has timed out") {
			t.Errorf("%s: callback error %s, want {\"error\":\"operation has timed out\"} (%s)", what, errv, e.text)
		}
	}
	got := json.RawMessage(field(e, answersKey))
	if sorted {
		var list []any
		if json.Unmarshal(got, &list) == nil {
			slices.SortFunc(list, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
			got, _ = json.Marshal(list)
		}
	}
	sameJSON(t, what+": "+answersKey, got, answers)
}

// ---- events and acks ----

type sioEventsResult struct {
	Auth          json.RawMessage `json:"auth"`
	Echo          json.RawMessage `json:"echo"`
	AckEcho       json.RawMessage `json:"ackEcho"`
	AckEmpty      json.RawMessage `json:"ackEmpty"`
	Question      json.RawMessage `json:"question"`
	AfterLate     json.RawMessage `json:"afterLate"`
	Connected     bool            `json:"connected"`
	ClientTimeout json.RawMessage `json:"clientTimeout"`
}

const sioEventArgs = `["hello",42,{"a":[1,2,{"b":null}],"t":true},"café ☕",-1.5,[],{}]`

func sioEvents(t *testing.T, tg *Target) {
	var res sioEventsResult
	runSIO(t, tg, "sio-events.js", nil, &res)
	sameJSON(t, "auth event (handshake.auth)", res.Auth, `{"token":"abc","n":1}`)
	sameJSON(t, "message -> message-back", res.Echo, sioEventArgs)
	sameJSON(t, "message-with-ack: ack args", res.AckEcho, sioEventArgs)
	sameJSON(t, "message-with-ack without args", res.AckEmpty, `[]`)
	sameJSON(t, "question (server emit with ack)", res.Question, `["are you there?","<function>"]`)
	sameJSON(t, "echo after a late ack", res.AfterLate, `["still connected"]`)
	if !res.Connected {
		t.Errorf("client disconnected after a late ack")
	}
	sameJSON(t, "client-side ack timeout", res.ClientTimeout, `{"err":"operation has timed out","args":[]}`)

	cbs := serverEvents(t, tg, "ask-callback", 2, sioReportWait)
	if len(cbs) != 2 {
		t.Fatalf("server ask callbacks: %d, want 2 (answered, timed out): %v", len(cbs), texts(cbs))
	}
	expectCallback(t, "ask answered", cbs[0], false, "answers", `["yes",42]`, false)
	expectCallback(t, "ask not answered (300 ms)", cbs[1], true, "answers", `[]`, false)
}

func texts(evs []*srvEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.text
	}
	return out
}

// ---- binary ----

type sioBinaryResult struct {
	Transport      string          `json:"transport"`
	Echo           json.RawMessage `json:"echo"`
	AckEcho        json.RawMessage `json:"ackEcho"`
	Binary         json.RawMessage `json:"binary"`
	BinaryAck      json.RawMessage `json:"binaryAck"`
	After          json.RawMessage `json:"after"`
	TransportAtEnd string          `json:"transportAtEnd"`
}

func binJSON(b []byte) string {
	if len(b) > 64 {
		sum := sha256.Sum256(b)
		return fmt.Sprintf(`{"$len":%d,"$sha256":%q,"$kind":"buffer"}`, len(b), hex.EncodeToString(sum[:]))
	}
	return fmt.Sprintf(`{"$bin":%q,"$kind":"buffer"}`, hex.EncodeToString(b))
}

func sioBinary(t *testing.T, tg *Target, transport string) {
	var res sioBinaryResult
	runSIO(t, tg, "sio-binary.js", map[string]any{"transports": []string{transport}}, &res)
	if res.Transport != transport || res.TransportAtEnd != transport {
		t.Errorf("transport %q then %q, want %q", res.Transport, res.TransportAtEnd, transport)
	}
	echo := fmt.Sprintf(`["bin",%s,{"deep":{"buf":%s,"list":[%s,%s,"s"]},"n":1},[%s,[%s]],%s]`,
		binJSON([]byte{0, 1, 2}), binJSON([]byte{0xca, 0xfe}), binJSON(nil), binJSON([]byte{7}),
		binJSON([]byte{9, 9}), binJSON([]byte("hi")), binJSON(bytes.Repeat([]byte{0xab}, 3000)))
	sameJSON(t, "message with nested buffers -> message-back", res.Echo, echo)
	sameJSON(t, "message-with-ack with buffers: ack args", res.AckEcho,
		fmt.Sprintf(`[%s,{"b":[%s]}]`, binJSON([]byte("hello")), binJSON([]byte{1})))
	sameJSON(t, "send-binary -> binary", res.Binary,
		fmt.Sprintf(`[%s,{"nested":%s,"text":"x"}]`, binJSON([]byte{1, 2, 3}), binJSON([]byte{0xff})))
	sameJSON(t, "binary-ack: ack args", res.BinaryAck, fmt.Sprintf(`[%s,"text"]`, binJSON([]byte{0xde, 0xad, 0xbe, 0xef})))
	sameJSON(t, "text after binary", res.After, `["text again"]`)

	cbs := serverEvents(t, tg, "ask-callback", 1, sioReportWait)
	if len(cbs) == 1 {
		expectCallback(t, "ask answered with buffers", cbs[0], false, "answers", `["<Buffer cafe>",{"x":"<Buffer 01>"}]`, false)
	}
}

// ---- namespaces ----

func sioNamespaces(t *testing.T, tg *Target) {
	var res json.RawMessage
	runSIO(t, tg, "sio-namespaces.js", nil, &res)
	invalid := func(nsp string) string {
		return fmt.Sprintf(`{"nsp":%q,"message":"Invalid namespace","data":{"$undefined":true},"active":false,"connected":false}`, nsp)
	}
	sameJSON(t, "namespaces", res, `{
		"custom": {"nsp":"/custom","auth":{"who":"custom"},"echo":["on custom",1],"ack":["ack on custom"]},
		"dyn": [
			{"nsp":"/dyn-42","hello":["/dyn-42"],"hasID":true},
			{"nsp":"/dyn-7","hello":["/dyn-7"],"hasID":true},
			{"nsp":"/dyn-42","hello":["/dyn-42"],"hasID":true}],
		"invalid": [`+invalid("/nope")+`,`+invalid("/dyn-x")+`,`+invalid("/dyn-")+`,`+invalid("/custom/sub")+`]}`)
}

// ---- middleware ----

func sioMiddleware(t *testing.T, tg *Target) {
	var res json.RawMessage
	runSIO(t, tg, "sio-middleware.js", nil, &res)
	guarded := `{"message":"not authorized","data":{"content":"Please retry later"},"hasData":true,"active":false,"connected":false}`
	sameJSON(t, "connect_error of middleware refusals", res, `{
		"guarded": `+guarded+`,
		"plain": {"message":"plain refusal","data":{"$undefined":true},"hasData":false,"active":false,"connected":false},
		"shared": {"refusal": `+guarded+`,"rootConnected":true,"echo":["still here"],"sameEngine":true}}`)

	rejects := serverEvents(t, tg, "middleware-reject", 3, sioReportWait)
	if len(rejects) >= 1 {
		if len(eventsOf(rejects, "nsp", "/guarded")) != 2 || len(eventsOf(rejects, "nsp", "/guarded-plain")) != 1 {
			t.Errorf("middleware-reject reports %v, want 2 for /guarded and 1 for /guarded-plain", texts(rejects))
		}
		if a := field(rejects[0], "auth"); a != `{"token":"bad"}` {
			t.Errorf("the /guarded middleware saw auth %s, want {\"token\":\"bad\"}", a)
		}
	}
}

// ---- rooms and broadcast operators ----

type sioRoomsResult struct {
	Joins  json.RawMessage     `json:"joins"`
	OpEmit bool                `json:"opEmit"`
	Logs   map[string][]string `json:"logs"`
}

// sioRoomsWant is what each client must receive, in order, with
// A in r1, B in r1 and r2, C in r2 (all in "all"); see sio-rooms.js for
// the operator behind each message.
var sioRoomsWant = map[string][]string{
	"A": {"room-msg:A1", "op-msg:A7", "op-msg:A12", "op-msg:A13", "room-msg:fence-A",
		"bcast:B1", "room-msg:B2", "room-msg:B3", "op-msg:B5", "room-msg:fence-B",
		"bcast:C2", "op-msg:C3", "op-msg:C4", "room-msg:fence-C"},
	"B": {"room-msg:A1", "room-msg:A2", "room-msg:A3", "room-msg:A4", "bcast:A5", "op-msg:A7", "op-msg:A11", "op-msg:A12", "op-msg:A13", "room-msg:fence-A",
		"room-msg:B3", "room-msg:fence-B",
		"room-msg:C1", "bcast:C2", "op-msg:C4", "room-msg:fence-C"},
	"C": {"room-msg:A3", "room-msg:A4", "bcast:A5", "op-msg:A7", "op-msg:A8", "op-msg:A9", "op-msg:A11", "op-msg:A13", "room-msg:fence-A",
		"bcast:B1", "op-msg:B4", "op-msg:B5", "room-msg:fence-B",
		"op-msg:C4", "room-msg:fence-C"},
}

func sioRooms(t *testing.T, tg *Target) {
	var res sioRoomsResult
	runSIO(t, tg, "sio-rooms.js", nil, &res)
	sameJSON(t, "join acks", res.Joins, `{"A":["r1","all"],"B":["r1","r2","all"],"C":["r2","all"]}`)
	for _, c := range []string{"A", "B", "C"} {
		want := sioRoomsWant[c]
		if !res.OpEmit {
			want = slices.DeleteFunc(slices.Clone(want), func(s string) bool { return strings.HasPrefix(s, "op-msg:") })
		}
		if !slices.Equal(res.Logs[c], want) {
			t.Errorf("client %s received\n  %v\nwant\n  %v", c, res.Logs[c], want)
		}
	}
	if !res.OpEmit {
		t.Errorf("%s: no 'op-emit' handler (the app extension specified in interop/node/sio-ref-server.js): the several-rooms, except and volatile broadcasts were not tested", tg.Kind)
	}
}

// ---- volatile ----

type sioVolatileResult struct {
	Received       json.RawMessage `json:"received"`
	OpEmit         bool            `json:"opEmit"`
	ServerVolatile json.RawMessage `json:"serverVolatile"`
}

func sioVolatile(t *testing.T, tg *Target) {
	var res sioVolatileResult
	runSIO(t, tg, "sio-volatile.js", nil, &res)
	sameJSON(t, "echoes of client emits (the volatile one before connect dropped)", res.Received,
		`[["buffered-before-connect"],["volatile-connected"],["normal-after"]]`)
	if !res.OpEmit {
		t.Errorf("%s: no 'op-emit' handler (the app extension specified in interop/node/sio-ref-server.js): server-side volatile emits were not tested", tg.Kind)
		return
	}
	sameJSON(t, "server volatile emits received", res.ServerVolatile, `["socket-volatile","nsp-volatile"]`)
}

// ---- broadcast with acks ----

type sioBroadcastAckResult struct {
	Polls  json.RawMessage    `json:"polls"`
	AckIDs map[string][]int64 `json:"ackIDs"`
	After  json.RawMessage    `json:"after"`
}

func sioBroadcastAck(t *testing.T, tg *Target) {
	var res sioBroadcastAckResult
	runSIO(t, tg, "sio-broadcast-ack.js", nil, &res)
	two := `[["which one?"],["which one?"]]`
	sameJSON(t, "poll events received", res.Polls, `{"A":`+two+`,"B":`+two+`,"C":`+two+`}`)
	a, b, c := res.AckIDs["A"], res.AckIDs["B"], res.AckIDs["C"]
	if len(a) != 2 || !slices.Equal(a, b) || !slices.Equal(a, c) || a[0] == a[1] {
		t.Errorf("ack ids of the two broadcasts per client %v: want the same id for every recipient, a new one per broadcast", res.AckIDs)
	}
	sameJSON(t, "echoes afterwards", res.After, `[["after A"],["after B"],["after C"]]`)

	cbs := serverEvents(t, tg, "broadcast-ask-callback", 2, sioReportWait)
	if len(cbs) != 2 {
		t.Fatalf("broadcast-ask callbacks %v, want 2 (the late answer must not produce another)", texts(cbs))
	}
	expectCallback(t, "all three answer", cbs[0], false, "responses", `["A says hi (1)","B says hi (1)","C says hi (1)"]`, true)
	expectCallback(t, "C silent (400 ms)", cbs[1], true, "responses", `["A says hi (2)","B says hi (2)"]`, true)
}

// ---- reconnection ----

type sioReconnectResult struct {
	ConnClose struct {
		Reason        string          `json:"reason"`
		ReconnectedMs int64           `json:"reconnectedMs"`
		Attempts      []int           `json:"attempts"`
		Reconnects    int             `json:"reconnects"`
		NewID         bool            `json:"newID"`
		Recovered     bool            `json:"recovered"`
		Echo          json.RawMessage `json:"echo"`
	} `json:"connClose"`
	KickClose json.RawMessage `json:"kick-close"`
	Kick      json.RawMessage `json:"kick"`
	IDs       []string        `json:"ids"`
}

func sioReconnect(t *testing.T, tg *Target) {
	var res sioReconnectResult
	runSIO(t, tg, "sio-reconnect.js", nil, &res)
	cc := res.ConnClose
	if cc.Reason != "transport close" || !slices.Equal(cc.Attempts, []int{1}) || cc.Reconnects != 1 || !cc.NewID || cc.Recovered {
		t.Errorf("conn-close: client saw %q, reconnect attempts %v, reconnects %d, new id %v, recovered %v; want \"transport close\", [1], 1, true, false",
			cc.Reason, cc.Attempts, cc.Reconnects, cc.NewID, cc.Recovered)
	}
	sameJSON(t, "echo after the automatic reconnection", cc.Echo, `["after conn-close"]`)
	// "io server disconnect" is final for socket.io-client (no automatic
	// reconnection); the manual connect must work.
	sameJSON(t, "kick-close", res.KickClose, `{"reason":"io server disconnect","active":false,"attempts":[],"reconnects":0,"manualNewID":true,"echo":["after kick-close"]}`)
	sameJSON(t, "kick", res.Kick, `{"reason":"io server disconnect","active":false,"attempts":[],"reconnects":0,"manualNewID":true,"echo":["after kick"]}`)

	if len(res.IDs) != 4 {
		t.Fatalf("socket ids %v, want 4 connections", res.IDs)
	}
	evs := serverEvents(t, tg, "disconnect", 3, sioReportWait)
	for i, want := range []string{"forced close", "server namespace disconnect", "server namespace disconnect"} {
		got := eventsOf(evs, "id", res.IDs[i])
		if len(got) != 1 || field(got[0], "reason") != jsonString(want) {
			t.Errorf("server disconnect of connection %d (%s): %v, want reason %q", i+1, res.IDs[i], texts(got), want)
		}
	}
}

// ---- connection state recovery ----

type sioRecoveryResult struct {
	FirstID          string              `json:"firstID"`
	PID              string              `json:"pid"`
	Join             string              `json:"join"`
	OffsetBeforeDrop string              `json:"offsetBeforeDrop"`
	DropReason       string              `json:"dropReason"`
	Recovered        bool                `json:"recovered"`
	SameID           bool                `json:"sameID"`
	SamePid          bool                `json:"samePid"`
	DropReason2      string              `json:"dropReason2"`
	Recovered2       bool                `json:"recovered2"`
	SameID2          bool                `json:"sameID2"`
	Log              [][]json.RawMessage `json:"log"`
}

func sioRecovery(t *testing.T, tg *Target, transport string, msgpack ...bool) {
	var res sioRecoveryResult
	runSIO(t, tg, "sio-recovery.js", map[string]any{"transport": transport, "msgpack": len(msgpack) > 0 && msgpack[0]}, &res)
	if res.PID == "" || res.OffsetBeforeDrop == "" {
		t.Errorf("no pid (%q) or offset (%q) before the drop: recovery is not on", res.PID, res.OffsetBeforeDrop)
	}
	// The client's own reason: a dead WebSocket is a "transport close"; the
	// polling drop is the client's engine.close(), "forced close".
	dropped := "transport close"
	if transport == "polling" {
		dropped = "forced close"
	}
	if res.DropReason != dropped || res.DropReason2 != dropped {
		t.Errorf("client disconnect reasons %q, %q; want %q", res.DropReason, res.DropReason2, dropped)
	}
	if !res.Recovered || !res.SameID || !res.SamePid {
		t.Errorf("after the first reconnection: recovered %v, same id %v, same pid %v; want all true", res.Recovered, res.SameID, res.SamePid)
	}
	if !res.Recovered2 || !res.SameID2 {
		t.Errorf("after the automatic reconnection: recovered %v, same id %v; want both true", res.Recovered2, res.SameID2)
	}

	// A's log, offsets (the extra trailing argument of every event) checked
	// apart: <OFF> stands for any offset, distinct from all the others.
	want := []string{
		`["<connect>",false]`,
		`["auth",{},<OFF>]`,
		`["message-back","m1",<OFF>]`,
		`["<disconnect>","` + dropped + `"]`,
		`["bcast","missed-1",<OFF>]`,
		`["room-msg","missed-2",<OFF>]`,
		`["room-msg",` + binJSON([]byte{0xca, 0xfe}) + `,<OFF>]`,
		`["<connect>",true]`,
		`["auth",{"pid":"<PID>","offset":"<OFF m1>"},<OFF>]`,
		`["room-msg","live-1",<OFF>]`,
		`["<disconnect>","` + dropped + `"]`,
		`["<connect>",true]`,
		`["auth",{"pid":"<PID>","offset":"<OFF live-1>"},<OFF>]`,
	}
	var got []string
	offsets := map[string]string{} // offset -> entry that carried it
	var offM1, offLive string
	for _, entry := range res.Log {
		parts := make([]string, len(entry))
		for i, p := range entry {
			parts[i] = string(p)
		}
		name := strings.Trim(parts[0], `"`)
		if !strings.HasPrefix(name, "<") && len(parts) > 1 {
			off := parts[len(parts)-1]
			var s string
			if json.Unmarshal([]byte(off), &s) == nil && s != "" {
				if prev, dup := offsets[s]; dup {
					t.Errorf("offset %s carried by %s and by %v", off, prev, parts)
				}
				offsets[s] = strings.Join(parts, ",")
				parts[len(parts)-1] = "<OFF>"
				switch {
				case name == "message-back":
					offM1 = s
				case name == "room-msg" && parts[1] == `"live-1"`:
					offLive = s
				}
			}
		}
		line := "[" + strings.Join(parts, ",") + "]"
		if name == "auth" {
			var pairs []string
			for real, ph := range map[string]string{res.PID: "<PID>", offM1: "<OFF m1>", offLive: "<OFF live-1>"} {
				if real != "" {
					pairs = append(pairs, jsonString(real), jsonString(ph))
				}
			}
			line = strings.NewReplacer(pairs...).Replace(line)
		}
		got = append(got, compactJSON([]byte(strings.ReplaceAll(line, "<OFF>", `"<OFF>"`))))
	}
	for i := range want {
		want[i] = compactJSON([]byte(strings.ReplaceAll(want[i], "<OFF>", `"<OFF>"`)))
	}
	if !slices.Equal(got, want) {
		t.Errorf("A's events (missed packets before the connect event; offsets as <OFF>):\n got %s\nwant %s",
			strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	if offM1 != res.OffsetBeforeDrop {
		t.Errorf("last offset before the drop %q, but the echo carried %q", res.OffsetBeforeDrop, offM1)
	}

	// The server's view of A: three connections, the later two recovered,
	// with r1 restored; two "transport close".
	conns := eventsOf(serverEvents(t, tg, "connection", 4, sioReportWait), "id", res.FirstID)
	if len(conns) != 3 {
		t.Fatalf("server connection reports for A (%s): %v, want 3", res.FirstID, texts(conns))
	}
	for i, e := range conns {
		wantRec := i > 0
		if field(e, "recovered") != fmt.Sprint(wantRec) {
			t.Errorf("connection %d of A: recovered=%s, want %v", i+1, field(e, "recovered"), wantRec)
		}
		var rooms []string
		_ = json.Unmarshal([]byte(field(e, "rooms")), &rooms)
		if wantRec && !slices.Contains(rooms, "r1") {
			t.Errorf("connection %d of A: rooms %v, want r1 restored", i+1, rooms)
		}
	}
	disc := eventsOf(serverEvents(t, tg, "disconnect", 2, sioReportWait), "id", res.FirstID)
	if len(disc) < 2 || field(disc[0], "reason") != `"transport close"` || field(disc[1], "reason") != `"transport close"` {
		t.Errorf("server disconnects of A: %v, want two \"transport close\" first", texts(disc))
	}
}

// ---- one transport only ----

type sioTransportResult struct {
	TransportAtConnect string          `json:"transportAtConnect"`
	Echo               json.RawMessage `json:"echo"`
	Ack                json.RawMessage `json:"ack"`
	Binary             json.RawMessage `json:"binary"`
	BinaryAck          json.RawMessage `json:"binaryAck"`
	Batch              []string        `json:"batch"`
	Big                json.RawMessage `json:"big"`
	Many               []int           `json:"many"`
	TransportAtEnd     string          `json:"transportAtEnd"`
	Seen               []string        `json:"seen"`
}

func sioTransport(t *testing.T, tg *Target, transport string) {
	var res sioTransportResult
	runSIO(t, tg, "sio-transports.js", map[string]any{"transports": []string{transport}}, &res)
	if res.TransportAtConnect != transport || res.TransportAtEnd != transport || !slices.Equal(res.Seen, []string{transport}) {
		t.Errorf("transport at connect %q, at the end %q, seen %v; want only %q", res.TransportAtConnect, res.TransportAtEnd, res.Seen, transport)
	}
	sameJSON(t, "echo", res.Echo, `["hi",{"n":1}]`)
	sameJSON(t, "ack", res.Ack, `["acked",2]`)
	sameJSON(t, "send-binary", res.Binary, fmt.Sprintf(`[%s,{"nested":%s,"text":"x"}]`, binJSON([]byte{1, 2, 3}), binJSON([]byte{0xff})))
	sameJSON(t, "binary-ack", res.BinaryAck, fmt.Sprintf(`[%s,"text"]`, binJSON([]byte{0xde, 0xad, 0xbe, 0xef})))
	if !slices.Equal(res.Batch, []string{"a1", "b2", "c3"}) {
		t.Errorf("batch: %v, want [a1 b2 c3]", res.Batch)
	}
	sameJSON(t, "big(200000)", res.Big, `{"type":"string","length":200000,"allX":true}`)
	if !slices.Equal(res.Many, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("ten emits in one tick echoed as %v", res.Many)
	}
	cbs := serverEvents(t, tg, "ask-callback", 1, sioReportWait)
	if len(cbs) == 1 {
		expectCallback(t, "ask answered", cbs[0], false, "answers", `["yes"]`, false)
	}
}

// ---- upgrade in the middle of a stream ----

type sioStreamResult struct {
	Count          int            `json:"count"`
	SentOn         map[string]int `json:"sentOn"`
	UpgradedAfter  int            `json:"upgradedAfter"`
	Echoes         int            `json:"echoes"`
	Acks           int            `json:"acks"`
	Duplicates     int            `json:"duplicates"`
	OutOfOrder     int            `json:"outOfOrder"`
	Missing        []int          `json:"missing"`
	WrongType      int            `json:"wrongType"`
	TransportAtEnd string         `json:"transportAtEnd"`
}

func sioUpgradeStream(t *testing.T, tg *Target) {
	var res sioStreamResult
	runSIO(t, tg, "sio-upgrade-stream.js", map[string]any{"count": 300}, &res)
	wantAcks := res.Count / 3
	if res.Echoes != res.Count-wantAcks || res.Acks != wantAcks || res.Duplicates != 0 || res.OutOfOrder != 0 || len(res.Missing) != 0 || res.WrongType != 0 {
		t.Errorf("stream of %d events across the upgrade: echoes %d (want %d), acks %d (want %d), duplicates %d, out of order %d, missing %v, wrong payload %d",
			res.Count, res.Echoes, res.Count-wantAcks, res.Acks, wantAcks, res.Duplicates, res.OutOfOrder, res.Missing, res.WrongType)
	}
	if res.SentOn["polling"] == 0 || res.SentOn["websocket"] == 0 || res.UpgradedAfter <= 0 || res.UpgradedAfter >= res.Count {
		t.Errorf("the upgrade did not happen mid-stream: sent on %v, upgraded after %d events", res.SentOn, res.UpgradedAfter)
	}
	if res.TransportAtEnd != "websocket" {
		t.Errorf("transport at the end %q, want websocket", res.TransportAtEnd)
	}
}

// ---- several namespaces on one connection ----

type sioMultiplexResult struct {
	Refusals        json.RawMessage   `json:"refusals"`
	Transport       string            `json:"transport"`
	DistinctIDs     int               `json:"distinctIDs"`
	Acks            json.RawMessage   `json:"acks"`
	Logs            json.RawMessage   `json:"logs"`
	AfterCustomLeft json.RawMessage   `json:"afterCustomLeft"`
	KickReason      string            `json:"kickReason"`
	AfterKick       json.RawMessage   `json:"afterKick"`
	ReconnectCustom json.RawMessage   `json:"reconnectCustom"`
	IDs             map[string]string `json:"ids"`
}

func sioMultiplex(t *testing.T, tg *Target, transports []string) {
	var res sioMultiplexResult
	runSIO(t, tg, "sio-multiplex.js", map[string]any{"transports": transports}, &res)
	want := transports[0]
	if res.Transport != want || res.DistinctIDs != 3 {
		t.Errorf("transport %q (want %q), %d distinct socket ids for 3 namespaces", res.Transport, want, res.DistinctIDs)
	}
	sameJSON(t, "refusals", res.Refusals, `{"/nope":{"message":"Invalid namespace","data":{"$undefined":true}},
		"/guarded":{"message":"not authorized","data":{"content":"Please retry later"}}}`)
	sameJSON(t, "acks per namespace", res.Acks, `{"/":["ack /"],"/custom":["ack /custom"]}`)
	sameJSON(t, "events per namespace", res.Logs, `{"/":[["auth",{}],["message-back","to /"]],
		"/custom":[["auth",{"ns":"custom"}],["message-back","to /custom"]],"/dyn-7":[["hello","/dyn-7"]]}`)
	sameJSON(t, "after /custom left", res.AfterCustomLeft, `{"echo":["after /custom left"],"dynConnected":true,"sameEngine":true}`)
	if res.KickReason != "io server disconnect" {
		t.Errorf("kick of \"/\": client reason %q, want \"io server disconnect\"", res.KickReason)
	}
	sameJSON(t, "after the kick of /", res.AfterKick, `{"dynConnected":true,"rootConnected":false,"sameEngine":true}`)
	sameJSON(t, "/custom again on the same session", res.ReconnectCustom, `{"auth":{"ns":"custom"},"sameEngine":true,"ack":["again"]}`)

	evs := serverEvents(t, tg, "disconnect", 2, sioReportWait)
	for nsp, reason := range map[string]string{"/custom": "client namespace disconnect", "/": "server namespace disconnect"} {
		got := eventsOf(evs, "id", res.IDs[nsp])
		if len(got) == 0 || field(got[0], "reason") != jsonString(reason) || field(got[0], "nsp") != jsonString(nsp) {
			t.Errorf("server disconnect of %s (%s): %v, want reason %q", nsp, res.IDs[nsp], texts(got), reason)
		}
	}
}
