package bench

import (
	"testing"

	"github.com/sioloop/sioloop/internal/benchapp"
	"github.com/sioloop/sioloop/sio"
	"github.com/sioloop/sioloop/sio/parser"
)

// The msgpack parser's path (sio.ParserMsgpack): the same scenarios as
// BenchmarkRelayEcho, BenchmarkAckEcho and BenchmarkBroadcast with every
// packet a msgpack binary message, for its cost next to the default
// parser's.

var msgpackOpts = &sio.Options{Parser: sio.ParserMsgpack}

// mp is the msgpack form of a text-form packet.
func mp(tb testing.TB, text string) []byte {
	p, err := parser.ParsePacket([]byte(text))
	if err != nil {
		tb.Fatal(err)
	}
	b, err := parser.AppendMsgpackPacket(nil, &p, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func connectMsgpack(tb testing.TB, srv *sio.Server) *fakeConn {
	c := openWS(tb, srv)
	c.h.OnMessage(c, true, mp(tb, "0"))
	if c.frames < 2 {
		tb.Fatal("no CONNECT answer")
	}
	return c
}

func benchMsgpackIn(b *testing.B, text string) {
	srv := benchapp.New(msgpackOpts)
	defer srv.Close()
	c := connectMsgpack(b, srv)
	msg := mp(b, text)
	in := make([]byte, len(msg))
	frames := c.frames
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		copy(in, msg)
		c.h.OnMessage(c, true, in)
	}
	if c.frames == frames {
		b.Fatal("no answer")
	}
}

// BenchmarkRelayEchoMsgpack: BenchmarkRelayEcho with the msgpack parser
// (msgpack → JSON in, JSON → msgpack out).
func BenchmarkRelayEchoMsgpack(b *testing.B) {
	benchMsgpackIn(b, `2["echo","`+payload(100)+`"]`)
}

// BenchmarkAckEchoMsgpack: BenchmarkAckEcho with the msgpack parser.
func BenchmarkAckEchoMsgpack(b *testing.B) {
	benchMsgpackIn(b, `217["echoack","`+payload(100)+`"]`)
}

// BenchmarkBroadcastMsgpack: BenchmarkBroadcast with the msgpack parser:
// the msgpack form is made once per broadcast, so the cost per recipient
// is the default parser's.
func BenchmarkBroadcastMsgpack(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(itoa(n), func(b *testing.B) {
			srv := benchapp.New(msgpackOpts)
			defer srv.Close()
			conns := make([]*fakeConn, n)
			for i := range conns {
				conns[i] = connectMsgpack(b, srv)
			}
			msg := mp(b, `2["bcast","`+payload(100)+`"]`)
			in := make([]byte, len(msg))
			b.ReportAllocs()
			for b.Loop() {
				copy(in, msg)
				conns[0].h.OnMessage(conns[0], true, in)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/recipient")
		})
	}
}
