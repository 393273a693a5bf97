package loop

import (
	"bytes"
	"io"
	"net/http/httputil"
	"testing"
)

// fuzzLimits are the limits FuzzParseRequest alternates between: the
// defaults, and small ones the fuzzer can reach.
var fuzzLimits = [...]*Limits{nil, {MaxHeaderBytes: 96, MaxHeaders: 4, MaxBody: 24}}

// FuzzParseRequest checks that ParseRequest never panics, never takes more
// bytes than it has, returns only documented errors, and gives the same
// results whether the input arrives whole or split into pieces (split seeds
// the piece sizes and picks the limits). Seeds: the parse test cases and
// testdata/fuzz/FuzzParseRequest (every request of the golden transcripts,
// requests captured from engine.io-client).
func FuzzParseRequest(f *testing.F) {
	for i, tc := range parseCases {
		f.Add([]byte(tc.in), uint64(i))
	}
	f.Add([]byte(reqGoldenHandshake+reqNodePost+reqChunked+"\r\n"+reqChromeWS+nodeWSFrame), uint64(0x5eed))
	f.Fuzz(func(t *testing.T, data []byte, split uint64) {
		lim := fuzzLimits[split&1]
		_, _, maxBody := lim.resolve()

		b := append([]byte(nil), data...)
		var req Request
		n, err := ParseRequest(b, &req, lim)
		switch status := statusOf(err); status {
		case 0:
			if n <= 0 || n > len(b) {
				t.Fatalf("n = %d of %d", n, len(b))
			}
			checkAliases(t, b, n, &req)
			checkParsed(t, data, n, &req, maxBody)
		case needMore:
			if n != 0 || len(b) >= lim.MaxBuffered() {
				t.Fatalf("ErrNeedMore with n = %d for %d bytes (MaxBuffered %d)", n, len(b), lim.MaxBuffered())
			}
		case 400, 413, 431, 501, 505:
			if n != 0 {
				t.Fatalf("n = %d with %v", n, err)
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}

		if len(data) <= 256 {
			checkIncremental(t, data, lim)
		}
		whole := stream(data, lim, func() int { return len(data) })
		rng := split | 1
		pieces := stream(data, lim, func() int {
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			return int(rng % 97)
		})
		if len(whole) != len(pieces) {
			t.Fatalf("whole: %q\npieces: %q", whole, pieces)
		}
		for i := range whole {
			if whole[i] != pieces[i] {
				t.Fatalf("result %d:\nwhole  %s\npieces %s", i, whole[i], pieces[i])
			}
		}
	})
}

// checkParsed checks a successful parse of the original bytes orig.
func checkParsed(t *testing.T, orig []byte, n int, r *Request, maxBody int) {
	t.Helper()
	if raw := orig[r.FieldsStart : r.HeaderLen-2]; len(r.Headers) > 0 &&
		(!bytes.HasPrefix(raw, r.Headers[0].Name) || !bytes.HasSuffix(raw, []byte("\r\n"))) {
		t.Fatalf("raw field lines %q", raw)
	}
	if r.HeaderLen <= 0 || r.HeaderLen > n || r.Major != 1 || r.Minor > 1 || len(r.Method) == 0 || len(r.Target) == 0 {
		t.Fatalf("HeaderLen %d, n %d, version %d.%d, method %q, target %q", r.HeaderLen, n, r.Major, r.Minor, r.Method, r.Target)
	}
	if len(r.Body) > maxBody || (r.Body != nil && len(r.Body) == 0) {
		t.Fatalf("body of %d bytes (nil %v)", len(r.Body), r.Body == nil)
	}
	switch {
	case r.Chunked:
		if r.ContentLength != -1 {
			t.Fatalf("chunked with ContentLength %d", r.ContentLength)
		}
		// Where net/http's chunked reader accepts the body too, it must
		// decode the same bytes.
		want, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(orig[r.HeaderLen:n])))
		if err == nil && !bytes.Equal(want, r.Body) {
			t.Fatalf("de-chunked %q, net/http %q", r.Body, want)
		}
	case r.ContentLength >= 0:
		if int64(len(r.Body)) != r.ContentLength || r.HeaderLen+len(r.Body) != n || !bytes.Equal(r.Body, orig[r.HeaderLen:n]) {
			t.Fatalf("ContentLength %d, body %d bytes, HeaderLen %d, n %d", r.ContentLength, len(r.Body), r.HeaderLen, n)
		}
	default:
		if r.Body != nil || r.HeaderLen != n {
			t.Fatalf("no framing but body %q, HeaderLen %d, n %d", r.Body, r.HeaderLen, n)
		}
	}
}
