//go:build linux

package loadgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/wsframe"
)

// TestTemplatePatch checks the patched, masked frame against a frame built
// from scratch with wsframe (the plain reference).
func TestTemplatePatch(t *testing.T) {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	for _, nsp := range []string{"/", "/admin"} {
		tp := eventTmpl(nsp, true, key, func(tb *tmplBuilder) {
			tb.lit(`["bcast",{"t":`)
			tb.num(stampDigits)
			tb.lit(`,"p":"`)
			tb.litBytes(payloadString(300)) // 16-bit length header
			tb.lit(`"}]`)
		})
		id, stamp := int64(ackBase+4321), int64(stampBase+987654321)
		got := tp.appendWS([]byte("prefix"), id, stamp)
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatal("prefix lost")
		}
		plain := tp.appendPkt(nil, id, stamp)
		head := "42"
		if nsp != "/" {
			head += nsp + ","
		}
		want := head + "1000004321" + `["bcast",{"t":1000000987654321,"p":"` + string(payloadString(300)) + `"}]`
		if string(plain) != want {
			t.Fatalf("packet\n got %s\nwant %s", plain, want)
		}
		ref := wsframe.AppendClientFrame(nil, ws.OpText, plain, key)
		if !bytes.Equal(got[len("prefix"):], ref) {
			t.Fatalf("frame differs from the reference")
		}
		// and it decodes back
		var d wsframe.Decoder
		m, n, err := d.Next(append([]byte(nil), ref...))
		if err != nil || n != len(ref) || string(m.Payload) != want {
			t.Fatalf("decode: %v %d %q", err, n, m.Payload)
		}
		if ts := stampOf([]byte(want[len(head)+10:])); ts != 987654321 {
			t.Errorf("stampOf = %d", ts)
		}
	}
}

func TestPutParseDigits(t *testing.T) {
	b := make([]byte, 10)
	putDigits(b, 1000000042)
	if string(b) != "1000000042" {
		t.Fatal(string(b))
	}
	v, n := parseDigits([]byte("123abc"))
	if v != 123 || n != 3 {
		t.Fatal(v, n)
	}
	if stampOf([]byte(`{"t":12}`)) != -1 {
		t.Error("short stamp accepted")
	}
}

func TestRing(t *testing.T) {
	var r ring
	for i := range 100 {
		if !r.push(int64(i)) {
			t.Fatal("push")
		}
		if i%3 == 0 {
			if v := r.pop(); v != int64(i/3) {
				t.Fatalf("pop %d want %d", v, i/3)
			}
		}
	}
	if r.n != 66 || r.head() != 34 {
		t.Fatalf("n %d head %d", r.n, r.head())
	}
	for r.n < maxPending {
		r.push(1)
	}
	if r.push(1) {
		t.Error("ring grew past maxPending")
	}
}

func TestHistogram(t *testing.T) {
	h := NewHist()
	for i := int64(1); i <= 1000; i++ {
		record(h, i*1000) // 1..1000 µs
	}
	record(h, -5)    // clamped to 1 ns
	record(h, 1<<62) // clamped to the max
	l := Summarize(h)
	if l.Count != 1002 {
		t.Fatalf("count %d", l.Count)
	}
	near := func(got, want float64) bool { return math.Abs(got-want) <= want*0.002+0.01 }
	if !near(l.P50, 500) || !near(l.P90, 900) || !near(l.P99, 990) {
		t.Errorf("percentiles %+v", l)
	}
	if l.Max < 119e6 {
		t.Errorf("max %v not clamped to the range", l.Max)
	}
	h2, err := DecodeHist(l.Hist)
	if err != nil || !h2.Equals(h) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := DecodeHist("not base64!"); err == nil {
		t.Error("garbage decoded")
	}
}

// result builds a small Result with one latency histogram.
func result(scenario string, lat []int64, f func(r *Result)) *Result {
	h := NewHist()
	for _, v := range lat {
		record(h, v)
	}
	r := &Result{Tool: "siobench", Schema: SchemaVersion, Scenario: scenario, Window: 2,
		Params:  Params{Procs: 1, RoomSize: 5},
		Latency: map[string]*Latency{LatRTT: Summarize(h)}, Errors: map[string]int64{},
		Series: Series{Step: 250}}
	f(r)
	r.Finish()
	return r
}

func TestMerge(t *testing.T) {
	a := result(ScenarioEcho, []int64{1000, 2000, 3000}, func(r *Result) {
		r.Params.Conns, r.Conns.Target, r.Conns.Up = 10, 10, 10
		r.Conns.FirstDial, r.Conns.LastReady = 1.0, 1.5
		r.Ops = OpStats{Sent: 100, Completed: 98, Timeouts: 2}
		r.Errors["op: timeout"] = 2
		r.Client = ClientStats{CPU: 1, LoopCPU: 0.5, LoopPercent: 40, Cores: 1}
		r.Series.Ops = []int64{1, 2, 3}
		r.Series.Conns = []int64{5, 10, -1}
		r.Warnings = []string{"w"}
		r.Server = &ServerStats{PID: 7, CPU: 1}
	})
	b := result(ScenarioEcho, []int64{4000, 5000}, func(r *Result) {
		r.Params.Conns, r.Conns.Target, r.Conns.Up = 5, 5, 4
		r.Conns.Failed = 1
		r.Conns.FirstDial, r.Conns.LastReady = 0.9, 1.2
		r.Window = 2.5
		r.Ops = OpStats{Sent: 50, Completed: 50}
		r.Errors["op: timeout"] = 1
		r.Errors["connect: refused"] = 1
		r.Client = ClientStats{CPU: 2, LoopCPU: 1, LoopPercent: 60, Cores: 1}
		r.Series.Ops = []int64{0, 1, 1, 1, 1}
		r.Series.Conns = []int64{4}
	})
	m, err := Merge([]*Result{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if m.Params.Conns != 15 || m.Params.Procs != 2 || m.Conns.Up != 14 || m.Conns.Failed != 1 {
		t.Errorf("conns %+v params %+v", m.Conns, m.Params)
	}
	if m.Conns.FirstDial != 0.9 || m.Conns.LastReady != 1.5 || math.Abs(m.Conns.Phase-0.6) > 1e-9 {
		t.Errorf("connect phase %+v", m.Conns)
	}
	if m.Window != 2.5 || m.Ops.Completed != 148 || math.Abs(m.Ops.PerSec-148/2.5) > 1e-9 {
		t.Errorf("ops %+v window %v", m.Ops, m.Window)
	}
	if m.Errors["op: timeout"] != 3 || m.TotalErrors() != 4 || m.ErrorKinds()[0] != "op: timeout" {
		t.Errorf("errors %v", m.Errors)
	}
	l := m.Latency[LatRTT]
	if l.Count != 5 || math.Abs(l.Max-5) > 0.01 || math.Abs(l.P50-3) > 0.01 {
		t.Errorf("latency %+v", l)
	}
	if m.Client.CPU != 3 || m.Client.LoopPercent != 60 || m.Client.Cores != 2 || math.Abs(m.Client.PerOp-3/148.0*1e6) > 1e-6 {
		t.Errorf("client %+v", m.Client)
	}
	if want := []int64{1, 3, 4, 1, 1}; !equal(m.Series.Ops, want) {
		t.Errorf("series ops %v want %v", m.Series.Ops, want)
	}
	if want := []int64{9, 14, 14, 14, 14}; !equal(m.Series.Conns, want) {
		t.Errorf("series conns %v want %v", m.Series.Conns, want)
	}
	if len(m.Warnings) != 1 || !strings.HasPrefix(m.Warnings[0], "process 0:") {
		t.Errorf("warnings %v", m.Warnings)
	}
	if m.Server == nil || m.Server == a.Server || m.Server.PID != 7 {
		t.Errorf("server %+v", m.Server)
	}
	if a.Ops.Completed != 98 || a.Latency[LatRTT].Count != 3 {
		t.Error("merge modified its input")
	}
	if _, err := Merge([]*Result{a, result(ScenarioAck, nil, func(*Result) {})}); err == nil {
		t.Error("merged two scenarios")
	}
}

func TestMergeDeliveries(t *testing.T) {
	mk := func(scn string, msgs, recv, receivers int64) *Result {
		return result(scn, nil, func(r *Result) {
			r.Deliveries = &DeliveryStats{Messages: msgs, Received: recv, Receivers: receivers}
		})
	}
	// broadcast: the sender is in process 0; receivers everywhere
	m, _ := Merge([]*Result{mk(ScenarioBroadcast, 10, 60, 6), mk(ScenarioBroadcast, 0, 38, 4)})
	d := m.Deliveries
	if d.Fanout != 10 || d.Expected != 100 || d.Received != 98 || d.Missing != 2 || d.Extra != 0 || d.PerSec != 49 {
		t.Errorf("broadcast %+v", d)
	}
	// rooms: expected copies per message is the room size
	m, _ = Merge([]*Result{mk(ScenarioRooms, 4, 20, 0), mk(ScenarioRooms, 6, 31, 0)})
	d = m.Deliveries
	if d.Fanout != 5 || d.Expected != 50 || d.Missing != 0 || d.Extra != 1 {
		t.Errorf("rooms %+v", d)
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestResultJSON(t *testing.T) {
	r := result(ScenarioEcho, []int64{1000}, func(r *Result) { r.Ops.Completed = 1 })
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Latency[LatRTT].Hist != r.Latency[LatRTT].Hist || back.Ops.PerSec != 0.5 {
		t.Errorf("round trip lost data: %s", b)
	}
}

func TestParseResp(t *testing.T) {
	full := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhelloNEXT"
	for i := range len(full) - 4 {
		_, _, err := parseResp([]byte(full[:i]), false)
		if err != errNeedMore {
			t.Fatalf("prefix %d: %v", i, err)
		}
	}
	r, n, err := parseResp([]byte(full), false)
	if err != nil || n != len(full)-4 || string(r.body) != "hello" || r.status != 200 || r.close {
		t.Fatalf("%+v %d %v", r, n, err)
	}
	ch := "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"
	r, n, err = parseResp([]byte(ch), false)
	if err != nil || n != len(ch) || string(r.body) != "abcde" {
		t.Fatalf("chunked: %q %d %v", r.body, n, err)
	}
	up := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: abc=\r\n\r\n\x81\x010"
	r, n, err = parseResp([]byte(up), false)
	if err != nil || r.status != 101 || string(r.accept) != "abc=" || n != len(up)-3 {
		t.Fatalf("101: %+v %d %v", r, n, err)
	}
	eof := "HTTP/1.0 404 Not Found\r\n\r\ngone"
	if _, _, err := parseResp([]byte(eof), false); err != errNeedMore {
		t.Fatal("close-delimited body ended early")
	}
	r, _, err = parseResp([]byte(eof), true)
	if err != nil || string(r.body) != "gone" || !r.close {
		t.Fatalf("eof body: %+v %v", r, err)
	}
	if _, _, err := parseResp([]byte("SSH-2.0-OpenSSH\r\n\r\n"), false); err != errBadResp {
		t.Errorf("garbage: %v", err)
	}
	e := &httpResp{status: 400, body: []byte(`{"code":5,"message":"Unsupported protocol version"}`)}
	if k := httpErrorKind(e); k != "handshake: unsupported protocol version (http 400)" {
		t.Error(k)
	}
	e = &httpResp{status: 400, body: []byte(`{"code":1,"message":"Session ID unknown"}`)}
	if k := httpErrorKind(e); k != "handshake: http 400 (Session ID unknown)" {
		t.Error(k)
	}
}

func TestShares(t *testing.T) {
	if got := SplitConns(10, 3); got[0] != 4 || got[1] != 3 || got[2] != 3 {
		t.Fatal(got)
	}
	for _, total := range []int{7, 100, 19001} {
		for _, procs := range []int{1, 2, 3, 5} {
			for _, count := range []int64{0, 1, 999, 12345} {
				var sum int64
				off := 0
				for _, k := range SplitConns(total, procs) {
					c := Config{Conns: k, TotalConns: total, Procs: procs, ConnOffset: off, Count: count}
					sum += evenShare(&c, count)
					off += k
				}
				if sum != count {
					t.Fatalf("total %d procs %d count %d: shares sum to %d", total, procs, count, sum)
				}
			}
		}
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{URL: "http://127.0.0.1:3000"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []Config{
		{URL: "ftp://x"}, {URL: "http://"}, {}, {URL: ","},
		{URL: "http://x", Auth: "[1]"}, {URL: "http://x", Auth: `{"a":}`},
		{URL: "http://x/a,http://y/b"}, // two namespaces
		{URL: "http://x", Scenario: "nope"},
		{URL: "http://x", Transport: "smoke"},
		{URL: "http://x", Scenario: ScenarioConnect, Mode: ModeRamp},
		{URL: "http://x", Scenario: ScenarioRooms, Rooms: 3, RoomSize: 2, Conns: 7},
		{URL: "http://x", Scenario: ScenarioCustom},
		{URL: "http://x", Conns: FDLimit()}, // past the descriptor budget
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	tg, err := parseURL("http://h:1/admin?token=x", "/socket.io/", "")
	if err != nil || tg.nsp != "/admin" || tg.query != "token=x" || tg.tls {
		t.Errorf("%+v %v", tg, err)
	}
	for _, u := range []string{"https://h/chat", "wss://h/chat"} {
		if tg, err := parseURL(u, "/socket.io/", ""); err != nil || !tg.tls || tg.nsp != "/chat" {
			t.Errorf("%s: %+v %v", u, tg, err)
		}
	}
	ts, err := parseURLs(" http://a:1 ,https://b:2,", "/socket.io/", "")
	if err != nil || len(ts) != 2 || ts[0].host != "a:1" || !ts[1].tls {
		t.Errorf("list: %+v %v", ts, err)
	}
	if err := (Config{URL: "http://x", Auth: `{"token":"u-{{i}}","n":{{i}}}`}).Validate(); err != nil {
		t.Errorf("templated auth: %v", err)
	}
	if err := (Config{URL: "ftp://x"}).Validate(); !errors.Is(err, ErrConfig) || strings.Contains(err.Error(), "loadgen") {
		t.Errorf("config error %q: want ErrConfig without the package name", err)
	}
}

func TestScenarioFile(t *testing.T) {
	f, err := ParseScenario([]byte(`{"name":"m","duration":"2s","warmup":0.5,"events":[
		{"name":"echo","reply":"echo","payload":10},{"name":"toroom","ack":true,"fields":{"room":"a","n":1}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(f.Duration) != 2*time.Second || time.Duration(f.Warmup) != 500*time.Millisecond {
		t.Errorf("durations %v %v", f.Duration, f.Warmup)
	}
	if fj, _ := f.Events[1].fieldsJSON(); fj != `"n":1,"room":"a",` {
		t.Errorf("fields %q", fj)
	}
	for _, bad := range []string{
		`{"events":[]}`,
		`{"events":[{"name":"connect","ack":true}]}`,
		`{"events":[{"name":"x"}]}`, // fire-and-forget without a rate
		`{"events":[{"name":"x","ack":true,"reply":"x"}]}`,
		`{"events":[{"name":"x","ack":true,"fields":{"t":1}}]}`,
		`{"events":[{"name":"x","ack":true}],"bogus":1}`,
	} {
		if _, err := ParseScenario([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := ParseScenario([]byte(`{"rate":10,"events":[{"name":"x"}]}`)); err != nil {
		t.Errorf("paced fire-and-forget refused: %v", err)
	}
	// errors name the line
	for _, c := range []struct{ src, want string }{
		{"{\n \"events\": [\n  {\"name\": \"a\", \"ack\": true},\n  {\"name\": \"b\", \"weight\": -1, \"ack\": true}\n ]\n}", "line 4: event 2 (\"b\"): negative weight"},
		{"{\n \"events\": [\n  {\"name\": \"a\", \"ack\": true},\n  {\"name\": \"b\", \"weight\": \"x\"}\n ]\n}", "line 4: events.weight: want int, got string"},
		{"{\n \"name\": \"m\",\n \"evnts\": []\n}", "line 3: unknown field \"evnts\""},
		{"{\n \"name\": \"m\",,\n}", "line 2: invalid character ','"},
		{"{\n \"name\": \"m\",\n", "line 3: the JSON ends early"},
		{"{\"events\": []}", "line 1: no events"},
	} {
		_, err := ParseScenario([]byte(c.src))
		if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.src, err, c.want)
		}
	}
}

func TestClock(t *testing.T) {
	c := NewClock(0)
	a := c.Now()
	time.Sleep(time.Millisecond)
	if b := c.Now(); b-a < int64(time.Millisecond) {
		t.Errorf("clock advanced %d ns", b-a)
	}
	// a child clock on the parent's origin reads (nearly) the same time
	d := NewClock(c.Origin())
	if diff := d.Now() - c.Now(); diff < -int64(time.Millisecond) || diff > int64(time.Millisecond) {
		t.Errorf("clocks on one origin differ by %v", time.Duration(diff))
	}
}

// TestProblems: a clean result has none; each failure mode names itself in
// one line.
func TestProblems(t *testing.T) {
	clean := result(ScenarioEcho, []int64{1000}, func(r *Result) {
		r.Conns.Target, r.Conns.Up, r.Conns.Connects = 5, 5, 5
		r.Ops = OpStats{Sent: 10, Completed: 10}
		r.Series.Ops = []int64{10}
	})
	if len(clean.Problems) != 0 {
		t.Fatalf("clean run: %q", clean.Problems)
	}
	for _, c := range []struct {
		scenario string
		f        func(r *Result)
		want     string
	}{
		{ScenarioEcho, func(r *Result) {
			r.Ops = OpStats{Sent: 10, Completed: 8, Timeouts: 2}
			r.Errors["op: timeout (no reply within 5s)"] = 2
		}, "2 of 10 ops sent got no reply (op: timeout (no reply within 5s))"},
		{ScenarioAck, func(r *Result) { r.Ops = OpStats{Sent: 3, Timeouts: 3}; r.Series.Ops = nil }, "the server never answered echoack"},
		{ScenarioEcho, func(r *Result) { r.Conns.Dropped = 2; r.Errors["conn: closed by server"] = 2 }, "the server dropped 2 connection(s) during the run (conn: closed by server)"},
		{ScenarioEcho, func(r *Result) { r.Conns.Failed = 1; r.Errors["connect: refused"] = 1 }, "1 of 6 connection attempts failed (connect: refused)"},
		{ScenarioEcho, func(r *Result) { r.Errors["protocol: binary event (ignored)"] = 4 }, "4 error(s): protocol: binary event (ignored) ×4"},
		{ScenarioBroadcast, func(r *Result) {
			r.Deliveries = &DeliveryStats{Messages: 2, Receivers: 5, Received: 7}
			r.Series.Deliveries = []int64{7}
		}, "3 of 10 expected bcast deliveries are missing"},
		{ScenarioBroadcast, func(r *Result) {
			r.Deliveries = &DeliveryStats{Messages: 2, Receivers: 5, Received: 11}
			r.Series.Deliveries = []int64{11}
		}, "1 bcast deliveries more than expected (duplicates)"},
		{ScenarioRooms, func(r *Result) { r.Deliveries = &DeliveryStats{Messages: 0} }, "the server never delivered toroom"},
	} {
		r := result(c.scenario, []int64{1000}, func(r *Result) {
			r.Conns.Target, r.Conns.Up, r.Conns.Connects = 5, 5, 5
			r.Ops = OpStats{Sent: 10, Completed: 10}
			r.Series.Ops = []int64{10}
			c.f(r)
		})
		if len(r.Problems) == 0 || !strings.HasPrefix(r.Problems[0], c.want) {
			t.Errorf("%s: problems %q, want %q", c.scenario, r.Problems, c.want)
		}
	}
	// a merged run was cut only when every process lost every connection
	a := result(ScenarioEcho, nil, func(r *Result) { r.Conns.AllLost = 3 })
	b := result(ScenarioEcho, nil, func(r *Result) { r.Conns.AllLost = 4 })
	c := result(ScenarioEcho, nil, func(r *Result) {})
	if m, _ := Merge([]*Result{a, b}); m.Conns.AllLost != 4 {
		t.Errorf("merged all lost %v", m.Conns.AllLost)
	}
	if m, _ := Merge([]*Result{a, c, b}); m.Conns.AllLost != 0 {
		t.Errorf("merged all lost %v with a process still connected", m.Conns.AllLost)
	}
}

// The example scenarios of docs/ parse, and the JSON Schema there has
// exactly the fields ScenarioFile and EventSpec read.
func TestScenarioDocs(t *testing.T) {
	files, _ := filepath.Glob("../../docs/scenarios/*.json")
	if len(files) == 0 {
		t.Fatal("no example scenarios in docs/scenarios")
	}
	for _, f := range files {
		if _, err := LoadScenario(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	b, err := os.ReadFile("../../docs/scenario.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	var events struct {
		Items struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"items"`
	}
	if err := json.Unmarshal(schema.Properties["events"], &events); err != nil {
		t.Fatal(err)
	}
	tags := func(v any) []string {
		var out []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			out = append(out, strings.Split(rt.Field(i).Tag.Get("json"), ",")[0])
		}
		slices.Sort(out)
		return out
	}
	if got, want := slices.Sorted(maps.Keys(schema.Properties)), tags(ScenarioFile{}); !slices.Equal(got, want) {
		t.Errorf("schema fields %v, ScenarioFile %v", got, want)
	}
	if got, want := slices.Sorted(maps.Keys(events.Items.Properties)), tags(EventSpec{}); !slices.Equal(got, want) {
		t.Errorf("schema event fields %v, EventSpec %v", got, want)
	}
}

// FuzzParseScenario: any input is parsed or refused with a line inside the
// input, never a panic.
func FuzzParseScenario(f *testing.F) {
	for _, s := range []string{
		`{"name":"m","rate":10,"events":[{"name":"x"},{"name":"y","ack":true,"fields":{"a":[1,{"b":2}]}}]}`,
		"{\n \"events\": [\n  {\"name\": \"b\", \"weight\": -1}\n ]\n}",
		`{"events":[{"name":"x","weight":"heavy"}]}`, `{"evnts":1}`, `{`, ``, `[]`, `{"events":[]} {}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := ParseScenario(b)
		if err == nil {
			return
		}
		var line int
		if _, e := fmt.Sscanf(err.Error(), "scenario file line %d:", &line); e != nil || line < 1 || line > 1+bytes.Count(b, []byte{'\n'}) {
			t.Fatalf("error %q: line out of the input", err)
		}
	})
}

// A binary event template: the BINARY_EVENT packet, then its attachment as
// a masked binary frame (WebSocket) or "b"+base64 after a separator
// (polling).
func TestBinaryTemplate(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	tp := binaryEventTmpl("/", true, key, []byte{0, 1, 2, 255}, func(tb *tmplBuilder) {
		tb.lit(`["x",{"b":{"_placeholder":true,"num":0}}]`)
	})
	pkt := tp.appendPkt(nil, ackBase+7)
	if want := "451-1000000007[\"x\",{\"b\":{\"_placeholder\":true,\"num\":0}}]\x1ebAAEC/w=="; string(pkt) != want {
		t.Errorf("polling\n got %q\nwant %q", pkt, want)
	}
	frames := tp.appendWS(nil, ackBase+7)
	var d wsframe.Decoder
	m, n, err := d.Next(frames)
	if err != nil || m.Op != ws.OpText || !strings.HasPrefix(string(m.Payload), "451-1000000007[") {
		t.Fatalf("first frame: %v %v %q", err, m.Op, m.Payload)
	}
	m, _, err = d.Next(frames[n:])
	if err != nil || m.Op != ws.OpBinary || !bytes.Equal(m.Payload, []byte{0, 1, 2, 255}) {
		t.Fatalf("attachment frame: %v %v %v", err, m.Op, m.Payload)
	}
}

// TestBatchV3 checks Engine.IO 3 polling batches: every packet a
// "<n>:<packet>" record, n in UTF-16 code units, a binary attachment as
// "b4" + base64 of its data (without the type byte the WebSocket form
// carries); and --eio 3 is accepted with the polling transports.
func TestBatchV3(t *testing.T) {
	var p pollState
	l := &loop{}
	p.appendV3(l, []byte("42[\"é\",1]"))
	p.appendV3(l, []byte("2"))
	p.appendV3(l, []byte("451-[\"x\",{\"_placeholder\":true,\"num\":0}]\x1ebBAEC")) // base64 of 04 01 02
	want := "9:42[\"é\",1]1:239:451-[\"x\",{\"_placeholder\":true,\"num\":0}]6:b4AQI="
	if string(p.batch) != want {
		t.Errorf("batch %q\nwant  %q", p.batch, want)
	}
	for _, tr := range []string{TransportPolling, TransportPollingUpgrade} {
		if err := (Config{URL: "http://x", EIO: 3, Transport: tr}).Validate(); err != nil {
			t.Errorf("--eio 3 --transport %s: %v", tr, err)
		}
	}
}
