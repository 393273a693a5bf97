//go:build linux

package loadgen

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/sio/parser"
	"github.com/sioloop/sioloop/wsframe"
)

// TestMsgpackTemplate: a msgpack template, patched, is the packet the
// project's codec reads back with the values in their places, in a masked
// binary frame and as "b"+base64 for polling; a binary value is inline.
func TestMsgpackTemplate(t *testing.T) {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	for _, nsp := range []string{"/", "/admin"} {
		text := binaryEventTmpl(nsp, true, key, []byte{0, 1, 2, 255}, func(tb *tmplBuilder) {
			tb.lit(`["ev",{"t":`)
			tb.num(stampDigits)
			tb.lit(`,"c":`)
			tb.num(connDigits)
			tb.lit(`,"p":"`)
			tb.litBytes(payloadString(300))
			tb.lit(`","b":{"_placeholder":true,"num":0}}]`)
		})
		tp, err := msgpackTmpl(text)
		if err != nil {
			t.Fatal(err)
		}
		id, stamp, conn := int64(ackBase+4321), int64(stampBase+987654321), int64(connBase+42)
		want := `["ev",{"t":1000000987654321,"c":1000000042,"p":"` + string(payloadString(300)) + `","b":{"_placeholder":true,"num":0}}]`
		check := func(how string, m []byte) {
			t.Helper()
			p, _, atts, err := parser.ParseMsgpackPacket(m, nil, nil)
			if err != nil {
				t.Fatalf("%s: %v", how, err)
			}
			if p.Type != parser.PacketEvent || string(p.Namespace) != nsp || p.ID != id || string(p.Data) != want {
				t.Fatalf("%s: %v %q %d\n got %s\nwant %s", how, p.Type, p.Namespace, p.ID, p.Data, want)
			}
			if len(atts) != 1 || !bytes.Equal(atts[0], []byte{0, 1, 2, 255}) {
				t.Fatalf("%s: attachments %v", how, atts)
			}
			if ts := stampOf(p.Data); ts != 987654321 {
				t.Errorf("%s: stampOf = %d", how, ts)
			}
		}
		frame := tp.appendWS([]byte("prefix"), id, stamp, conn)
		var d wsframe.Decoder
		m, n, err := d.Next(frame[len("prefix"):])
		if err != nil || n != len(frame)-len("prefix") || m.Op != ws.OpBinary {
			t.Fatalf("frame: %v %d %v", err, n, m.Op)
		}
		check("websocket", m.Payload)
		pkt := tp.appendPkt(nil, id, stamp, conn)
		if pkt[0] != 'b' {
			t.Fatalf("polling: %q", pkt[:1])
		}
		raw, err := base64.StdEncoding.DecodeString(string(pkt[1:]))
		if err != nil {
			t.Fatal(err)
		}
		check("polling", raw)
	}
}

// The control packets and a per-connection CONNECT in msgpack form.
func TestMsgpackControl(t *testing.T) {
	r := &run{cfg: Config{Auth: `{"token":"user-{{i}}"}`}, tgt: target{nsp: "/chat"}, msgpack: true}
	r.controlTmpls()
	c := r.connectTmpl(&session{idx: 7})
	if r.tmplErr != nil || !c.bin || !r.tDisconnect.bin || r.tPong.bin {
		t.Fatalf("templates: %v", r.tmplErr)
	}
	p, _, _, err := parser.ParseMsgpackPacket(c.pkt, nil, nil)
	if err != nil || p.Type != parser.PacketConnect || string(p.Namespace) != "/chat" || string(p.Data) != `{"token":"user-7"}` {
		t.Fatalf("connect: %v %+v %s", err, p, p.Data)
	}
}

// Sending from a msgpack template allocates nothing.
func TestMsgpackTemplateAllocs(t *testing.T) {
	text := eventTmpl("/", true, [4]byte{1, 2, 3, 4}, func(tb *tmplBuilder) { tb.lit(`["echoack","abc"]`) })
	tp, err := msgpackTmpl(text)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf = tp.appendWS(buf[:0], ackBase+1) }); n != 0 {
		t.Errorf("appendWS: %v allocs", n)
	}
}
