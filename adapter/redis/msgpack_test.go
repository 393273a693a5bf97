package redis

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The data of io.emit("ev", 1, "a") as the Node adapter publishes it (a
// capture of @socket.io/redis-adapter 8.3 through notepack.io 3.0.1).
func TestAppendMsgpackNodeBytes(t *testing.T) {
	for _, tc := range []struct {
		json string
		atts [][]byte
		hex  string
	}{
		{`["ev",1,"a"]`, nil, "93a2657601a161"},
		{`["ev",{"x":1.5}]`, nil, "92a2657681a178cb3ff8000000000000"},
		{`["ev",{"_placeholder":true,"num":0}]`, [][]byte{{1, 2, 3}}, "92a26576c403010203"},
		{`{"type":2,"data":["ev"],"nsp":"/"}`, nil, "83a47479706502a46461746191a26576a36e7370a12f"},
		{`[true,false,null,-1,-33,255,65536,-2147483649,4294967296]`, nil, "99c3c2c0ffd0dfccffce00010000d3ffffffff7fffffffcf0000000100000000"},
	} {
		got, err := AppendMsgpack(nil, []byte(tc.json), tc.atts)
		if err != nil {
			t.Fatalf("%s: %v", tc.json, err)
		}
		if h := hex.EncodeToString(got); h != tc.hex {
			t.Errorf("%s:\n got %s\nwant %s", tc.json, h, tc.hex)
		}
		// And back.
		var atts [][]byte
		back, rest, err := AppendJSON(nil, got, &atts)
		if err != nil || len(rest) != 0 {
			t.Fatalf("%s back: %v, %d bytes left", tc.json, err, len(rest))
		}
		if !sameJSON(t, back, []byte(tc.json)) || len(atts) != len(tc.atts) {
			t.Errorf("round trip of %s: %s (%d attachments)", tc.json, back, len(atts))
		}
		for i := range atts {
			if !bytes.Equal(atts[i], tc.atts[i]) {
				t.Errorf("attachment %d: %x", i, atts[i])
			}
		}
	}
}

// A JavaScript Date (the timestamp extension) reaches JSON as its ISO string.
func TestTimestampToJSON(t *testing.T) {
	// 2024-01-02T03:04:05.678Z as notepack writes it (timestamp 64).
	ts := []byte{0xd7, 0xff}
	ns := uint64(678_000_000)
	sec := uint64(1704164645)
	v := ns<<34 | sec
	for i := 7; i >= 0; i-- {
		ts = append(ts, byte(v>>(8*i)))
	}
	out, _, err := AppendJSON(nil, ts, new([][]byte))
	if err != nil || string(out) != `"2024-01-02T03:04:05.678Z"` {
		t.Fatalf("%s %v", out, err)
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// FuzzTranscode: any valid JSON survives JSON → msgpack → JSON with the
// same value; arbitrary msgpack never panics.
func FuzzTranscode(f *testing.F) {
	for _, s := range []string{`["ev",1,"a"]`, `{"a":[1,2.5,-3e300,"x\u00e9"],"b":null}`, `[{"_placeholder":true,"num":0}]`, `"` + strings.Repeat("y", 300) + `"`} {
		f.Add([]byte(s))
	}
	f.Add([]byte{0x93, 0xa2, 'e', 'v', 0x01, 0xa1, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		var atts [][]byte
		_, _, _ = AppendJSON(nil, b, &atts) // must not panic
		if !json.Valid(b) {
			return
		}
		m, err := AppendMsgpack(nil, b, [][]byte{{9}})
		if err != nil {
			return // e.g. a placeholder with an unknown number
		}
		back, rest, err := AppendJSON(nil, m, &atts)
		if err != nil || len(rest) != 0 {
			t.Fatalf("%s → %x → %v (%d left)", b, m, err, len(rest))
		}
		var x, y any
		_ = json.Unmarshal(b, &x)
		if err := json.Unmarshal(back, &y); err != nil {
			t.Fatalf("%s → %s: %v", b, back, err)
		}
		// reflect.DeepEqual compares numbers with ==, so -0 equals 0 (as
		// JSON.stringify writes -0).
		if !reflect.DeepEqual(x, y) && !bytes.Contains(b, []byte("_placeholder")) {
			t.Fatalf("%s → %s", b, back)
		}
	})
}
