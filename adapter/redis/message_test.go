package redis

import (
	"bytes"
	"encoding/hex"
	"slices"
	"testing"
)

// io.emit("ev", 1, "a") as @socket.io/redis-adapter 8.3 published it
// (56 bytes, channel socket.io#/#), and volatile + compress(false) flags.
func TestBroadcastNodeBytes(t *testing.T) {
	want, _ := hex.DecodeString("93" + "a6686c42434141" +
		"83a47479706502a4646174619" + "3a2657601a161a36e7370a12f" +
		"83a5726f6f6d7390a6657863657074" + "90a5666c61677380")
	b := &Broadcast{UID: "hlBCAA", Nsp: "/", Data: []byte(`["ev",1,"a"]`)}
	got, err := AppendBroadcast(nil, b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) || len(got) != 56 {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
	back, err := ParseBroadcast(got)
	if err != nil || back.UID != "hlBCAA" || back.Nsp != "/" || string(back.Data) != `["ev",1,"a"]` {
		t.Fatalf("parse: %+v %v", back, err)
	}

	off := false
	b = &Broadcast{UID: "u", Nsp: "/chat", Data: []byte(`["ev",{"_placeholder":true,"num":0}]`),
		Attachments: [][]byte{{1, 2, 3}}, Rooms: []string{"room1"}, Except: []string{"abcdefghij0123456789"}, Volatile: true, Compress: &off}
	got, err = AppendBroadcast(nil, b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte("\x82\xa8volatile\xc3\xa8compress\xc2")) || !bytes.Contains(got, []byte("\x92\xa2ev\xc4\x03\x01\x02\x03")) {
		t.Fatalf("flags or binary data: %x", got)
	}
	back, err = ParseBroadcast(got)
	if err != nil || back.Nsp != "/chat" || !slices.Equal(back.Rooms, b.Rooms) || !slices.Equal(back.Except, b.Except) ||
		!back.Volatile || back.Compress == nil || *back.Compress || len(back.Attachments) != 1 {
		t.Fatalf("parse: %+v %v", back, err)
	}
}

// FuzzParseBroadcast: arbitrary input never panics; what parses encodes
// again to something that parses the same.
func FuzzParseBroadcast(f *testing.F) {
	seed, _ := AppendBroadcast(nil, &Broadcast{UID: "x", Nsp: "/", Data: []byte(`["e",1]`), Rooms: []string{"r"}})
	f.Add(seed)
	f.Add([]byte{0x93, 0xa1, 'x', 0x80, 0x80})
	f.Fuzz(func(t *testing.T, m []byte) {
		b, err := ParseBroadcast(m)
		if err != nil {
			return
		}
		again, err := AppendBroadcast(nil, b)
		if err != nil {
			t.Fatalf("%+v: %v", b, err)
		}
		b2, err := ParseBroadcast(again)
		if err != nil || b2.UID != b.UID || b2.Nsp != b.Nsp || string(b2.Data) != string(b.Data) || !slices.Equal(b2.Rooms, b.Rooms) {
			t.Fatalf("%+v → %x → %+v %v", b, again, b2, err)
		}
	})
}

// FuzzDecodeMessage: no request or answer of either protocol, JSON or
// msgpack, makes a decoder panic.
func FuzzDecodeMessage(f *testing.F) {
	c := newClassic("/", Options{Key: "k"})
	s := newSharded("/", "k", Dynamic)
	b := &Broadcast{UID: "x", Nsp: "/", Data: []byte(`["e",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{1}}, Rooms: []string{"r"}}
	ack, _ := AppendAckRequest(nil, b, "rq", 1000)
	f.Add(ack)
	ans, _ := AppendAckResponse(nil, "rq", []byte(`{"a":[1,2]}`), nil)
	f.Add(ans)
	for _, enc := range []func() (string, []byte, error){
		func() (string, []byte, error) { return s.broadcast(b) },
		func() (string, []byte, error) { return s.ackBroadcast(b, "rq", 5) },
		func() (string, []byte, error) { return s.serverSideEmit([]any{"ev", 1}, "rq") },
		func() (string, []byte, error) { return s.answerClientCount("u", "rq", 3) },
		func() (string, []byte, error) { return c.serverSideEmit([]any{"ev", []byte{1}}, "rq") },
		func() (string, []byte, error) { return c.answerClientCount("u", "rq", 3) },
	} {
		_, m, err := enc()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(m)
	}
	f.Add([]byte(`{"uid":"u","type":2,"opts":{"rooms":[],"except":[]},"rooms":["r"]}`))
	f.Add([]byte(`{"requestId":"rq","sockets":[{"id":"x","handshake":{},"rooms":["x"],"data":null}]}`))
	f.Fuzz(func(t *testing.T, p []byte) {
		c.decodeRequest(p)
		c.decodeAnswer(p)
		s.decode(nil, s.ch, p)
		s.decode(nil, s.resCh, p)
		parseMsgpackRequest(p)
	})
}
