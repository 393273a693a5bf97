package parser

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/sioloop/sioloop/internal/msgpack"
)

func mpHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Packets as socket.io-msgpack-parser 3.0.2 (notepack.io 2.2) encodes them,
// captured from its Encoder under Node.js, and the text form sioloop reads
// them as.
var msgpackPackets = []struct {
	name string
	hex  string
	typ  PacketType
	nsp  string
	id   int64
	data string
	atts []string // hex
}{
	// {type:2, nsp:"/", data:["ev",1,Buffer[1,2]]}
	{"event with a Buffer", "83a47479706502a36e7370a12fa46461746193a2657601c4020102",
		PacketEvent, "/", NoID, `["ev",1,{"_placeholder":true,"num":0}]`, []string{"0102"}},
	// The client's CONNECT without auth: data undefined.
	{"connect, data undefined", "83a47479706500a464617461d40000a36e7370a12f",
		PacketConnect, "/", NoID, "", nil},
	// The client's emit: "options" (ignored), an ack id, undefined in a map
	// (left out) and in an array (null), an ArrayBuffer (ext 8 type 0).
	{"client emit", "85a47479706502a46461746193a568656c6c6f82a161d40000a16292d40000cb4004000000000000c702000908a76f7074696f6e7381a8636f6d7072657373c3a2696403a36e7370a52f63686174",
		PacketEvent, "/chat", 3, `["hello",{"b":[null,2.5]},{"_placeholder":true,"num":0}]`, []string{"0908"}},
	// A Date (fixext 8 of type 0: milliseconds) becomes its ISO string.
	{"date", "83a47479706502a46461746192a47768656ed7000000018cc820db2ea36e7370a12f",
		PacketEvent, "/", NoID, `["when","2024-01-02T03:04:05.678Z"]`, nil},
	{"ack without arguments", "84a47479706503a46461746190a2696407a36e7370a12f",
		PacketAck, "/", 7, `[]`, nil},
	{"connect_error", "83a47479706504a46461746182a76d657373616765a26e6fa46461746181a4636f646501a36e7370a12f",
		PacketConnectError, "/", NoID, `{"message":"no","data":{"code":1}}`, nil},
}

func TestParseMsgpackPacket(t *testing.T) {
	for _, tc := range msgpackPackets {
		m := exact(mpHex(t, tc.hex))
		p, buf, atts, err := ParseMsgpackPacket(m, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.Type != tc.typ || string(p.Namespace) != tc.nsp || p.ID != tc.id || string(p.Data) != tc.data {
			t.Errorf("%s: got type %d nsp %q id %d data %s", tc.name, p.Type, p.Namespace, p.ID, p.Data)
		}
		if len(p.Data) > 0 && !bytes.Equal(buf[len(buf)-len(p.Data):], p.Data) {
			t.Errorf("%s: Data is not the end of the buffer", tc.name)
		}
		if len(atts) != len(tc.atts) || p.Attachments != len(tc.atts) {
			t.Fatalf("%s: %d attachments (%d counted), want %d", tc.name, len(atts), p.Attachments, len(tc.atts))
		}
		for i := range atts {
			if hex.EncodeToString(atts[i]) != tc.atts[i] {
				t.Errorf("%s: attachment %d = %x", tc.name, i, atts[i])
			}
		}
	}
}

// The byte-exact example: EVENT "/" ["ev",1,Buffer[1,2]] from the text form
// sioloop encodes it in (a BINARY_EVENT with one attachment).
func TestAppendMsgpackPacketExample(t *testing.T) {
	p := Packet{Type: PacketBinaryEvent, Namespace: []byte("/"), ID: NoID, Attachments: 1,
		Data: []byte(`["ev",1,{"_placeholder":true,"num":0}]`)}
	got, err := AppendMsgpackPacket(nil, &p, [][]byte{{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	want := "83" + "a4" + hex.EncodeToString([]byte("type")) + "02" + "a3" + hex.EncodeToString([]byte("nsp")) + "a12f" +
		"a4" + hex.EncodeToString([]byte("data")) + "93" + "a2" + hex.EncodeToString([]byte("ev")) + "01" + "c4020102"
	if h := hex.EncodeToString(got); h != want {
		t.Fatalf("got  %s\nwant %s", h, want)
	}
}

func TestAppendMsgpackPacketTypes(t *testing.T) {
	for _, tc := range []struct {
		p    Packet
		atts [][]byte
		hex  string
	}{
		// What the Node.js server sends for these (keys in its order
		// aside): CONNECT {sid}, DISCONNECT, an ACK, a CONNECT_ERROR.
		{Packet{Type: PacketConnect, Namespace: []byte("/"), ID: NoID, Data: []byte(`{"sid":"x"}`)}, nil,
			"83a47479706500a36e7370a12fa46461746181a3736964a178"},
		{Packet{Type: PacketDisconnect, Namespace: []byte("/chat"), ID: NoID}, nil,
			"82a47479706501a36e7370a52f63686174"},
		{Packet{Type: PacketBinaryAck, Namespace: []byte("/"), ID: 300, Attachments: 1, Data: []byte(`[{"_placeholder":true,"num":0}]`)}, [][]byte{{7}},
			"84a47479706503a36e7370a12fa46461746191c40107a26964cd012c"},
		{Packet{Type: PacketConnectError, Namespace: []byte("/"), ID: NoID, Data: []byte(`{"message":"no"}`)}, nil,
			"83a47479706504a36e7370a12fa46461746181a76d657373616765a26e6f"},
	} {
		got, err := AppendMsgpackPacket(nil, &tc.p, tc.atts)
		if err != nil {
			t.Fatal(err)
		}
		if h := hex.EncodeToString(got); h != tc.hex {
			t.Errorf("type %d:\n got %s\nwant %s", tc.p.Type, h, tc.hex)
		}
		// And back to the same text form (binary types read as plain ones).
		p, _, atts, err := ParseMsgpackPacket(got, nil, nil)
		if err != nil {
			t.Fatalf("type %d back: %v", tc.p.Type, err)
		}
		if p.Type != tc.p.Type && !(tc.p.Type.Binary() && p.Type == tc.p.Type-3) || string(p.Data) != string(tc.p.Data) ||
			p.ID != tc.p.ID || len(atts) != len(tc.atts) {
			t.Errorf("type %d back: %+v %s", tc.p.Type, p, p.Data)
		}
	}
}

func TestParseMsgpackPacketRefused(t *testing.T) {
	for _, tc := range []struct{ name, hex string }{
		{"empty", ""},
		{"not a map", "93a2657601"},
		{"text packet", hex.EncodeToString([]byte(`2["ev"]`))},
		{"type 5", "83a47479706505a36e7370a12fa46461746191a26576"},
		{"type missing", "82a36e7370a12fa46461746191a26576"},
		{"type a string", "83a474797065a132a36e7370a12fa46461746191a26576"},
		{"nsp missing", "82a47479706502a46461746191a26576"},
		{"nsp not a string", "83a47479706502a36e737001a46461746191a26576"},
		{"event data not an array", "83a47479706502a36e7370a12fa464617461a26576"},
		{"event data missing", "82a47479706502a36e7370a12f"},
		{"disconnect with data", "83a47479706501a36e7370a12fa46461746180"},
		{"connect data an array", "83a47479706500a36e7370a12fa46461746190"},
		{"id a string", "84a47479706502a36e7370a12fa46461746191a26576a26964a131"},
		{"id negative", "84a47479706502a36e7370a12fa46461746191a26576a26964ff"},
		{"reserved event", "83a47479706502a36e7370a12fa46461746191aa646973636f6e6e656374"},
		{"empty event", "83a47479706502a36e7370a12fa46461746190"},
		{"trailing bytes", "83a47479706502a36e7370a12fa46461746191a2657600"},
		{"truncated", "83a47479706502a36e7370a12fa46461746192a26576"},
		{"unknown extension", "83a47479706502a36e7370a12fa46461746192a26576d50501"},
	} {
		_, _, _, err := ParseMsgpackPacket(exact(mpHex(t, tc.hex)), nil, nil)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
		} else if !errors.Is(err, ErrInvalidPacket) {
			t.Errorf("%s: %v does not match ErrInvalidPacket", tc.name, err)
		}
	}
}

// FuzzParseMsgpackPacket: whatever the decoder accepts is a valid text-form
// packet whose data survives AppendMsgpackPacket and a second decoding
// unchanged; nothing panics or reads past the input.
func FuzzParseMsgpackPacket(f *testing.F) {
	for _, tc := range msgpackPackets {
		f.Add(mpHex(f, tc.hex))
	}
	f.Add(mpHex(f, "83a47479706502a36e7370a12fa46461746191"+"dc0003"+"c0c2c3"))
	f.Add(mpHex(f, "83a47479706502a36e7370a12fa46461746192a26576"+"d6ff00000001"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, buf, atts, err := ParseMsgpackPacket(exact(data), nil, nil)
		if err != nil {
			if !errors.Is(err, ErrInvalidPacket) {
				t.Fatalf("%x: error %v does not match ErrInvalidPacket", data, err)
			}
			return
		}
		if p.Type > PacketConnectError || p.Attachments != len(atts) {
			t.Fatalf("%x: type %d, %d attachments for %d", data, p.Type, p.Attachments, len(atts))
		}
		if len(p.Data) > 0 {
			if _, err := SkipValue(p.Data); err != nil {
				t.Fatalf("%x: data %q is not JSON", data, p.Data)
			}
			if !bytes.Equal(buf, p.Data) {
				t.Fatalf("%x: data is not the buffer", data)
			}
		}
		out, err := AppendMsgpackPacket(nil, &p, atts)
		if err != nil {
			t.Fatalf("%x: re-encoding %s: %v", data, p.Data, err)
		}
		q, _, atts2, err := ParseMsgpackPacket(out, nil, nil)
		if err != nil {
			t.Fatalf("%x: decoding the re-encoded %x: %v", data, out, err)
		}
		if q.Type != p.Type || q.ID != p.ID || !bytes.Equal(q.Namespace, p.Namespace) || !bytes.Equal(q.Data, p.Data) || len(atts2) != len(atts) {
			t.Fatalf("%x: round trip changed %s into %s", data, p.Data, q.Data)
		}
		for i := range atts {
			if !bytes.Equal(atts[i], atts2[i]) {
				t.Fatalf("%x: attachment %d changed", data, i)
			}
		}
	})
}

// The msgpack decoding of a small event, and the encoding of one with a
// binary argument: their cost per packet.
func BenchmarkParseMsgpackPacket(b *testing.B) {
	m := mpHex(b, msgpackPackets[0].hex)
	buf := make([]byte, 0, 256)
	atts := make([][]byte, 0, 4)
	b.ReportAllocs()
	b.SetBytes(int64(len(m)))
	for i := 0; i < b.N; i++ {
		_, buf, atts, _ = ParseMsgpackPacket(m, buf[:0], atts[:0])
	}
}

func BenchmarkAppendMsgpackPacket(b *testing.B) {
	p := Packet{Type: PacketBinaryEvent, Namespace: []byte("/"), ID: NoID, Attachments: 1,
		Data: []byte(`["ev",1,{"_placeholder":true,"num":0},{"text":"hello","n":[1,2.5,true,null]}]`)}
	atts := [][]byte{{1, 2, 3, 4}}
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		dst, _ = AppendMsgpackPacket(dst[:0], &p, atts)
	}
}

// Numbers as notepack writes the JavaScript number JSON.parse gives
// (9007199254740993 is 2^53 once parsed; 1e400 is Infinity).
func TestAppendMsgpackNumbers(t *testing.T) {
	for _, tc := range []struct{ json, hex string }{
		{`[0,-0,1.5,9007199254740992,9007199254740993,-1e-7,1e400]`,
			"97" + "00" + "cb8000000000000000" + "cb3ff8000000000000" + "cf0020000000000000" + "cf0020000000000000" +
				"cbbe7ad7f29abcaf48" + "cb7ff0000000000000"},
		{`"a\"\u00e9"`, "a4" + "61" + "22" + "c3a9"},
	} {
		got, err := AppendMsgpack(nil, []byte(tc.json), nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.json, err)
		}
		if h := hex.EncodeToString(got); h != tc.hex {
			t.Errorf("%s:\n got %s\nwant %s", tc.json, h, tc.hex)
		}
	}
}

// Containers of 16 members or more get the wide headers (array/map 16 and
// 32), their members unchanged; and back to the same JSON.
func TestAppendMsgpackWideContainers(t *testing.T) {
	for _, n := range []int{15, 16, 255, 65535, 65536, 70000} {
		var arr, obj bytes.Buffer
		arr.WriteByte('[')
		obj.WriteByte('{')
		for i := range n {
			if i > 0 {
				arr.WriteByte(',')
				obj.WriteByte(',')
			}
			fmt.Fprintf(&arr, "%d", i%100)
			fmt.Fprintf(&obj, `"k%d":[%d]`, i, i%100)
		}
		arr.WriteByte(']')
		obj.WriteByte('}')
		for _, tc := range []struct {
			json []byte
			head []byte
		}{
			{arr.Bytes(), msgpack.AppendArrayHeader(nil, n)},
			{obj.Bytes(), msgpack.AppendMapHeader(nil, n)},
		} {
			got, err := AppendMsgpack([]byte("prefix"), tc.json, nil)
			if err != nil {
				t.Fatalf("%d: %v", n, err)
			}
			if !bytes.HasPrefix(got, append([]byte("prefix"), tc.head...)) {
				t.Fatalf("%d members: header % x, want % x", n, got[6:6+len(tc.head)], tc.head)
			}
			back, rest, err := AppendMsgpackJSON(nil, got[6:], new([][]byte))
			if err != nil || len(rest) != 0 || !bytes.Equal(back, tc.json) {
				t.Fatalf("%d members: back %v, %d left, equal %v", n, err, len(rest), bytes.Equal(back, tc.json))
			}
		}
	}
}
