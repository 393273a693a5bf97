package wsframe

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gobwas/ws"
	"github.com/sioloop/sioloop/internal/golden"
)

// The files in testdata/golden are captures of the Node.js reference server
// (see interop/testdata/golden/README.md for the format). These tests replay the
// client's frames through a server-side Decoder and compare the outcome with
// what the reference server did: echo a message, answer a ping, or close
// with a given code. Server frames annotated with their exact header bytes
// check the encoder.

// wsLine is one "> ws …" or "< ws …" line.
type wsLine struct {
	fromClient bool
	kind       string // text, binary, close, pong, raw
	payload    []byte // reconstructed payload (raw: the whole frame)
	code       int    // close: status code, 0 for "(no status code)"
	header     []byte // "[frame header: …]" annotation, if any
	lineNo     int
}

type section struct {
	title string
	lines []wsLine
}

var (
	reWS     = regexp.MustCompile(`^(?:\[[^\]]*\] )?([<>]) ws (text|binary|close|pong|raw bytes)(?: \((\d+) bytes\))?: (.*)$`)
	reHeader = regexp.MustCompile(` \[frame header: ([0-9a-f ]+)\]$`)
	reClose  = regexp.MustCompile(`^code=(\d+) reason="(.*)"$`)
)

func readGolden(t *testing.T, name string) (profile string, secs []section) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	secs = []section{{title: "(top)"}}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for no := 1; sc.Scan(); no++ {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "# server: profile "); ok {
			profile = strings.Fields(p)[0]
		}
		if title, ok := strings.CutPrefix(line, "## "); ok {
			secs = append(secs, section{title: title})
			continue
		}
		m := reWS.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		l := wsLine{fromClient: m[1] == ">", kind: m[2], lineNo: no}
		body := m[4]
		if h := reHeader.FindStringSubmatch(body); h != nil {
			l.header = unhex(t, h[1])
			body = strings.TrimSuffix(body, h[0])
		}
		size := -1
		if m[3] != "" {
			size, _ = strconv.Atoi(m[3])
		}
		switch l.kind {
		case "raw bytes":
			l.kind = "raw"
			hx, _, _ := strings.Cut(body, "   (")
			l.payload = unhex(t, hx)
		case "text":
			l.payload = expand(t, golden.Unrender(strings.ReplaceAll(body, "<SID>", strings.Repeat("A", 20))), size, false)
		case "binary", "pong":
			if size < 0 {
				l.payload = unhex(t, body)
			} else {
				start, end, _ := strings.Cut(body, "...")
				l.payload = expand(t, append(unhex(t, start), '.', '.', '.'), size, true)
				if !bytes.HasSuffix(l.payload, unhex(t, end)) {
					t.Fatalf("%s:%d: cannot reconstruct abbreviated binary", name, no)
				}
			}
		case "close":
			if c := reClose.FindStringSubmatch(body); c != nil {
				l.code, _ = strconv.Atoi(c[1])
				l.payload = append([]byte{byte(l.code >> 8), byte(l.code)}, golden.Unrender(c[2])...)
			} else if body != "(no status code)" {
				t.Fatalf("%s:%d: unknown close line %q", name, no, body)
			}
		}
		secs[len(secs)-1].lines = append(secs[len(secs)-1].lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return profile, secs
}

// expand rebuilds an abbreviated payload "<start>...<end>" of size bytes: the
// middle repeats the last byte of start or, for counting binaries
// (00 01 02 …), continues the count. The end is checked against the result.
func expand(t *testing.T, r []byte, size int, counting bool) []byte {
	t.Helper()
	if size < 0 {
		return r
	}
	i := bytes.Index(r, []byte("..."))
	if i < 1 {
		t.Fatalf("abbreviated payload without '...': %q", r)
	}
	start, end := r[:i], r[i+3:]
	out := make([]byte, size)
	copy(out, start)
	for j := len(start); j < size; j++ {
		if counting {
			out[j] = byte(j)
		} else {
			out[j] = start[len(start)-1]
		}
	}
	if !bytes.HasSuffix(out, end) {
		t.Fatalf("cannot reconstruct abbreviated payload ending in %q", end)
	}
	return out
}

func opOf(kind string) ws.OpCode {
	switch kind {
	case "text":
		return ws.OpText
	case "binary":
		return ws.OpBinary
	case "close":
		return ws.OpClose
	case "pong":
		return ws.OpPong
	}
	return 0
}

func maxPayloadOf(profile string) int {
	if profile == "small" {
		return 1000
	}
	return 1000000 // the reference server's default maxHttpBufferSize
}

var goldenFiles = []string{"eio-ws-frames.txt", "eio-ws-protocol-errors.txt", "eio-ws-oversized.txt"}

// TestGoldenClientFrames replays what each client sent and checks that the
// Decoder does what the reference server did in reply.
func TestGoldenClientFrames(t *testing.T) {
	checked := map[string]int{}
	for _, name := range goldenFiles {
		profile, secs := readGolden(t, name)
		for _, sec := range secs {
			t.Run(name+"/"+sec.title, func(t *testing.T) {
				d := Decoder{MaxMessage: maxPayloadOf(profile)}
				var stream []byte
				started, lastClose := false, false
				for _, l := range sec.lines {
					if l.fromClient {
						started = true
						lastClose = l.kind == "close"
						if l.kind == "raw" {
							stream = append(stream, l.payload...)
						} else {
							stream = AppendClientFrame(stream, opOf(l.kind), l.payload, mask37)
						}
						continue
					}
					if !started {
						continue // the open packet, sent before any client frame
					}
					wantErr := l.kind == "close" && !lastClose
					if wantErr && l.code != int(ws.StatusInvalidFramePayloadData) {
						// Decided from the header alone, before the payload.
						end := len(stream)
						if _, hn, err := ParseHeader(stream); err == nil {
							end = hn
						}
						d2 := d
						_, _, err := d2.Next(bytes.Clone(stream[:end]))
						if codeOf(err) != l.code {
							t.Fatalf("line %d: header alone gave %v, want close %d", l.lineNo, err, l.code)
						}
					}
					m, n, err := d.Next(stream)
					stream = stream[n:]
					switch {
					case wantErr:
						if codeOf(err) != l.code {
							t.Fatalf("line %d: got %v (message %v %q), want close %d", l.lineNo, err, m.Op, m.Payload, l.code)
						}
						checked["error"]++
						return // the reference server closed the connection
					case err != nil:
						t.Fatalf("line %d: %v", l.lineNo, err)
					case l.kind == "pong":
						if m.Op != ws.OpPing || !bytes.Equal(m.Payload, l.payload) {
							t.Fatalf("line %d: got %v %x, want a ping with %x", l.lineNo, m.Op, m.Payload, l.payload)
						}
					case l.kind == "close":
						code, _, err := ParseClose(m.Payload)
						if m.Op != ws.OpClose || err != nil || int(code) != l.code {
							t.Fatalf("line %d: got %v %x, want close %d", l.lineNo, m.Op, m.Payload, l.code)
						}
					default:
						if m.Op != opOf(l.kind) || !bytes.Equal(m.Payload, l.payload) {
							t.Fatalf("line %d: got %v %d bytes, want %s %d bytes", l.lineNo, m.Op, len(m.Payload), l.kind, len(l.payload))
						}
					}
					checked[l.kind]++
				}
				if len(stream) != 0 {
					t.Fatalf("%d client bytes left undecoded", len(stream))
				}
			})
		}
	}
	t.Logf("outcomes checked: %v", checked)
	// Guard against a parser that silently finds nothing.
	for kind, min := range map[string]int{"text": 5, "binary": 2, "close": 3, "pong": 1, "error": 5} {
		if checked[kind] < min {
			t.Errorf("checked %d %s outcomes, want at least %d", checked[kind], kind, min)
		}
	}
}

// TestGoldenServerFrames encodes every server frame of the captures and
// compares the header bytes the reference server sent; a client-side Decoder
// must read each frame back.
func TestGoldenServerFrames(t *testing.T) {
	headers := 0
	for _, name := range goldenFiles {
		_, secs := readGolden(t, name)
		for _, sec := range secs {
			for _, l := range sec.lines {
				if l.fromClient {
					continue
				}
				var f []byte
				switch {
				case l.kind == "close" && l.payload == nil:
					f = AppendClose(nil, 0, "")
				case l.kind == "close":
					f = AppendClose(nil, ws.StatusCode(l.code), string(l.payload[2:]))
				default:
					f = AppendFrame(nil, opOf(l.kind), l.payload)
				}
				if l.header != nil {
					headers++
					if !bytes.HasPrefix(f, l.header) || len(f)-len(l.header) != len(l.payload) {
						t.Errorf("%s:%d: header % x, reference sent % x", name, l.lineNo, f[:len(l.header)], l.header)
					}
					h, n, err := ParseHeader(l.header)
					if err != nil || n != len(l.header) || !h.Fin || h.Masked || h.Rsv != 0 || h.OpCode != opOf(l.kind) || h.Length != int64(len(l.payload)) {
						t.Errorf("%s:%d: ParseHeader(% x) = %+v, %d, %v", name, l.lineNo, l.header, h, n, err)
					}
				}
				d := Decoder{Client: true}
				m, n, err := d.Next(f)
				if err != nil || n != len(f) || !bytes.Equal(m.Payload, l.payload) {
					t.Errorf("%s:%d: client decoder: %v %q n %d err %v", name, l.lineNo, m.Op, m.Payload, n, err)
				}
			}
		}
	}
	if headers < 7 {
		t.Fatalf("checked %d annotated headers, want at least 7", headers)
	}
}

func TestUnrender(t *testing.T) {
	for in, want := range map[string]string{`4caf\xc3\xa9`: "4caf\xc3\xa9", `a\\b`: `a\b`, `\x1e`: "\x1e", `\x`: `\x`} {
		if got := string(golden.Unrender(in)); got != want {
			t.Errorf("golden.Unrender(%q) = %q, want %q", in, got, want)
		}
	}
	if got := hex.EncodeToString(expand(t, []byte("\x00\x01...\xfe\xff"), 256, true)); got[:4] != "0001" || got[508:] != "feff" {
		t.Error("expand counting")
	}
}
