package wsframe

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gobwas/ws"
	"github.com/valyala/bytebufferpool"
)

// feedAll plays the caller of Decoder.Next on an event loop: it appends each
// chunk to the bytes it kept, calls Next until ErrNeedMore, and discards what
// was consumed. It checks that Next never consumes more than it was given and
// never modifies the bytes it leaves. It returns the messages (copied), the
// close code of an error, if one ends the stream, and how many bytes were
// left unconsumed.
func feedAll(t testing.TB, d *Decoder, stream []byte, cuts []int) ([]msg, int, int) {
	t.Helper()
	var (
		buf      []byte
		consumed int // offset in stream of buf[0]
		out      []msg
		prev     int
	)
	for i := 0; i <= len(cuts); i++ {
		end := len(stream)
		if i < len(cuts) {
			end = cuts[i]
		}
		buf = append(buf, stream[prev:end]...)
		prev = end
		for {
			if !keptIntact(buf, stream[consumed:consumed+len(buf)]) {
				t.Fatalf("bytes kept by the caller were modified (at offset %d)", consumed)
			}
			m, n, err := d.Next(buf)
			if n < 0 || n > len(buf) {
				t.Fatalf("Next consumed %d of %d bytes", n, len(buf))
			}
			buf = buf[n:]
			consumed += n
			if err == ErrNeedMore {
				break
			}
			if err != nil {
				return out, codeOf(err), len(stream) - consumed
			}
			if n == 0 {
				t.Fatal("message without consuming bytes")
			}
			out = append(out, msg{m.Op, string(m.Payload)})
		}
		// Like a real inbound buffer, move the leftover to fresh memory now
		// and then, so stale aliasing would show up as corruption.
		if i%3 == 0 && (len(buf) < 1<<12 || i%64 == 0) {
			buf = bytes.Clone(buf)
		}
	}
	return out, 0, len(buf)
}

// feed is feedAll for a stream of complete frames: nothing may be left.
func feed(t testing.TB, d *Decoder, stream []byte, cuts []int) ([]msg, int) {
	t.Helper()
	out, code, left := feedAll(t, d, stream, cuts)
	if code == 0 && left != 0 {
		t.Fatalf("%d bytes left at the end of a complete stream", left)
	}
	return out, code
}

// validStream returns a stream of valid frames from the client (masked) or the
// server (unmasked) and the messages it carries. It mixes every length form,
// fragmentation with interleaved control frames, UTF-8 split across
// fragments, empty frames and a close. bigLen (even, at least 256 for the
// 16-bit form) sets the size of the largest message.
func validStream(client bool, bigLen int) ([]byte, []msg) {
	var b []byte
	var want []msg
	masked := !client
	add := func(fin bool, op ws.OpCode, p string) {
		b = append(b, frMasked(fin, 0, op, p, masked)...)
	}
	addMsg := func(op ws.OpCode, p string) {
		add(true, op, p)
		want = append(want, msg{op, p})
	}
	addMsg(ws.OpText, "4hello")
	addMsg(ws.OpText, "")
	addMsg(ws.OpBinary, "\x00\x01\x02")
	addMsg(ws.OpPing, "")
	addMsg(ws.OpText, "42[\"message\",\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e\"]")
	addMsg(ws.OpText, strings.Repeat("a", 125))
	addMsg(ws.OpText, strings.Repeat("b", 126))

	// Fragmented text with runes cut between fragments and control frames
	// in between.
	add(false, ws.OpText, "42[\"caf\xc3")
	add(true, ws.OpPing, "p1")
	want = append(want, msg{ws.OpPing, "p1"})
	add(false, ws.OpContinuation, "\xa9\xf0\x9d")
	add(false, ws.OpContinuation, "")
	add(true, ws.OpPong, "")
	want = append(want, msg{ws.OpPong, ""})
	add(false, ws.OpContinuation, "\x84")
	add(true, ws.OpContinuation, "\x9e\"]")
	want = append(want, msg{ws.OpText, "42[\"caf\xc3\xa9\xf0\x9d\x84\x9e\"]"})

	// Fragmented binary with a 16-bit fragment.
	big := strings.Repeat("\xff\x00", bigLen/2)
	add(false, ws.OpBinary, big[:len(big)/2])
	add(true, ws.OpContinuation, big[len(big)/2:])
	want = append(want, msg{ws.OpBinary, big})

	addMsg(ws.OpBinary, big)
	addMsg(ws.OpPong, "pong")
	addMsg(ws.OpText, "4bye")
	addMsg(ws.OpClose, "\x03\xe8bye")
	return b, want
}

// keptIntact compares the bytes the caller kept with the original stream:
// all of them when short, the first and last 2 KiB of long ones (a full
// compare on every call would make chunked feeding of big frames quadratic).
func keptIntact(buf, orig []byte) bool {
	const edge = 2048
	if len(buf) <= 2*edge {
		return bytes.Equal(buf, orig)
	}
	return bytes.Equal(buf[:edge], orig[:edge]) && bytes.Equal(buf[len(buf)-edge:], orig[len(orig)-edge:])
}

func sameMsgs(t testing.TB, got, want []msg) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d messages, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("message %d: got %v %d bytes, want %v %d bytes", i, got[i].op, len(got[i].payload), want[i].op, len(want[i].payload))
		}
	}
}

func decoders(maxMsg int, client bool) map[string]func() *Decoder {
	pool := new(bytebufferpool.Pool)
	return map[string]func() *Decoder{
		"plain": func() *Decoder { return &Decoder{Client: client} },
		"limit": func() *Decoder { return &Decoder{Client: client, MaxMessage: maxMsg} },
		"pool":  func() *Decoder { return &Decoder{Client: client, Pool: pool} },
	}
}

func TestSplitEveryBoundary(t *testing.T) {
	for _, client := range []bool{false, true} {
		stream, want := validStream(client, 400)
		for name, newDec := range decoders(400, client) {
			for i := 0; i <= len(stream); i++ {
				got, code := feed(t, newDec(), stream, []int{i})
				if code != 0 {
					t.Fatalf("client=%v %s split at %d: close %d", client, name, i, code)
				}
				sameMsgs(t, got, want)
			}
		}
	}
}

func TestSplitEveryPairOfBoundaries(t *testing.T) {
	// A short stream with fragments, so that every two-cut split runs fast.
	var stream []byte
	for _, f := range [][]byte{
		fr(true, 0, ws.OpText, "4a"),
		fr(false, 0, ws.OpText, "\xe2"), fr(true, 0, ws.OpPing, "x"), fr(true, 0, 0, "\x82\xac"),
		fr(true, 0, ws.OpBinary, strings.Repeat("z", 130)),
	} {
		stream = append(stream, f...)
	}
	want := []msg{{ws.OpText, "4a"}, {ws.OpPing, "x"}, {ws.OpText, "€"}, {ws.OpBinary, strings.Repeat("z", 130)}}
	for i := 0; i <= len(stream); i++ {
		for j := i; j <= len(stream); j++ {
			got, code := feed(t, &Decoder{MaxMessage: 130}, stream, []int{i, j})
			if code != 0 {
				t.Fatalf("cuts %d,%d: close %d", i, j, code)
			}
			sameMsgs(t, got, want)
		}
	}
}

func TestSplitByteByByte(t *testing.T) {
	for _, client := range []bool{false, true} {
		stream, want := validStream(client, 3000)
		cuts := make([]int, len(stream))
		for i := range cuts {
			cuts[i] = i
		}
		for name, newDec := range decoders(3000, client) {
			got, code := feed(t, newDec(), stream, cuts)
			if code != 0 {
				t.Fatalf("client=%v %s: close %d", client, name, code)
			}
			sameMsgs(t, got, want)
		}
	}
}

func TestSplitRandomChunks(t *testing.T) {
	// 64-bit lengths too: a 70000-byte message.
	stream, want := validStream(false, 70000)
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var cuts []int
		for at := 0; at < len(stream); {
			at += 1 + r.IntN([]int{8, 64, 4096, 20000}[round%4])
			cuts = append(cuts, min(at, len(stream)))
		}
		got, code := feed(t, &Decoder{MaxMessage: 70000}, stream, cuts)
		if code != 0 {
			t.Fatalf("round %d: close %d", round, code)
		}
		sameMsgs(t, got, want)
	}
}

// An error is reported the same wherever the stream is cut.
func TestSplitErrorsSameEverywhere(t *testing.T) {
	tests := []struct {
		name   string
		max    int
		stream []byte
		nmsgs  int
		code   int
	}{
		{"bad utf-8 in third fragment", 0, cat(fr(true, 0, ws.OpText, "ok"), fr(false, 0, ws.OpText, "a\xc3"), fr(false, 0, 0, "\xa9"), fr(false, 0, 0, "\xc3\x28"), fr(true, 0, 0, "z")), 1, 1007},
		{"too big after fragments", 5, cat(fr(false, 0, ws.OpBinary, "123"), fr(true, 0, ws.OpPing, ""), fr(true, 0, 0, "456")), 1, 1009},
		{"unmasked after valid", 0, cat(fr(true, 0, ws.OpText, "ok"), srv(true, ws.OpText, "no")), 1, 1002},
	}
	for _, tt := range tests {
		for i := 0; i <= len(tt.stream); i++ {
			got, code := feed(t, &Decoder{MaxMessage: tt.max}, tt.stream, []int{i})
			if code != tt.code || len(got) != tt.nmsgs {
				t.Fatalf("%s, split at %d: %d messages, close %d; want %d, %d", tt.name, i, len(got), code, tt.nmsgs, tt.code)
			}
		}
	}
}
