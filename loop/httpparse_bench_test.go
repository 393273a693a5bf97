//go:build !race

package loop

import "testing"

// Benchmarks and allocation budgets run without the race detector, which
// changes both.

// A polling GET as engine.io-client sends it from Node (the most frequent
// request of a polling session), a polling POST with a 100-byte body and a
// WebSocket upgrade as Chrome sends them.
var benchRequests = []struct{ name, in string }{
	{"PollingGET", reqNodeGet},
	{"PollingPOST100", reqChromePost},
	{"WebSocketUpgrade", reqChromeWS},
	{"ChromePollingGET", reqChromeGet},
	{"Chunked", reqChunked},
}

func BenchmarkParseRequest(b *testing.B) {
	for _, bc := range benchRequests {
		b.Run(bc.name, func(b *testing.B) {
			in := []byte(bc.in)
			chunked := bc.name == "Chunked"
			buf := make([]byte, len(in))
			var req Request
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				p := in
				if chunked { // de-chunking rewrites its input
					copy(buf, in)
					p = buf
				}
				if _, err := ParseRequest(p, &req, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseRequestIncomplete is the cost of a call that ends in
// ErrNeedMore: the headers of a POST whose body has not arrived.
func BenchmarkParseRequestIncomplete(b *testing.B) {
	in := []byte(reqChromePost[:len(reqChromePost)-10])
	var req Request
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequest(in, &req, nil); err != ErrNeedMore {
			b.Fatal(err)
		}
	}
}

// TestAllocations is the allocation budget of the parser: none.
func TestAllocations(t *testing.T) {
	var req Request
	for _, bc := range benchRequests {
		in := []byte(bc.in)
		buf := make([]byte, len(in))
		allocs := testing.AllocsPerRun(100, func() {
			copy(buf, in)
			if _, err := ParseRequest(buf, &req, nil); err != nil {
				t.Fatal(err)
			}
			for k := 1; k < len(in); k += 37 {
				if _, err := ParseRequest(in[:k], &req, nil); err != ErrNeedMore {
					t.Fatal(err)
				}
			}
			_ = req.Header("sec-fetch-mode")
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per parse", bc.name, allocs)
		}
	}
	lim := &Limits{MaxBody: 10}
	bad := []byte("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n")
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ParseRequest(bad, &req, lim); err == nil {
			t.Fatal("accepted")
		}
	})
	if allocs != 0 {
		t.Errorf("error path: %v allocations", allocs)
	}
}
