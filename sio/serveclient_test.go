package sio_test

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/sioloop/sioloop/loop"
	"github.com/sioloop/sioloop/sio"
)

// ServeClient serves the browser client at Node's paths, in both server
// modes, with ETag/304 and gzip; other names under the path still get
// Engine.IO's 400.
func TestServeClient(t *testing.T) {
	js := "/* client */ var io = function () {};"
	files := fstest.MapFS{
		"socket.io.min.js":     {Data: []byte(js)},
		"socket.io.min.js.map": {Data: []byte(`{"version":3}`)},
	}
	for _, mode := range []string{"loop", "net/http"} {
		t.Run(mode, func(t *testing.T) {
			srv := sio.NewServer(&sio.Options{ServeClient: files})
			defer srv.Close()
			var base string
			if mode == "net/http" {
				hs := httptest.NewServer(srv)
				defer hs.Close()
				base = hs.URL
			} else {
				ls, err := loop.New(loop.Config{Addr: "127.0.0.1:0", Loops: 1,
					Routes: []loop.Route{{Prefix: srv.Path(), Server: srv.Engine()}}})
				if err != nil {
					t.Fatal(err)
				}
				go func() { _ = ls.Serve() }()
				<-ls.Ready()
				defer func() { _ = ls.Shutdown(context.Background()) }()
				base = "http://" + ls.Addr().String()
			}
			tr := &http.Transport{DisableCompression: true}
			get := func(path string, hdr ...string) (*http.Response, string) {
				t.Helper()
				req, _ := http.NewRequest("GET", base+path, nil)
				for i := 0; i+1 < len(hdr); i += 2 {
					req.Header.Set(hdr[i], hdr[i+1])
				}
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var body io.Reader = resp.Body
				if resp.Header.Get("Content-Encoding") == "gzip" {
					zr, err := gzip.NewReader(resp.Body)
					if err != nil {
						t.Fatal(err)
					}
					body = zr
				}
				b, err := io.ReadAll(body)
				if err != nil {
					t.Fatal(err)
				}
				return resp, string(b)
			}
			resp, body := get("/socket.io/socket.io.min.js")
			etag := resp.Header.Get("ETag")
			if resp.StatusCode != 200 || body != js || etag == "" ||
				resp.Header.Get("Content-Type") != "application/javascript; charset=utf-8" ||
				resp.Header.Get("Cache-Control") != "public, max-age=0" {
				t.Fatalf("client: %d %q %v", resp.StatusCode, body, resp.Header)
			}
			resp, body = get("/socket.io/socket.io.min.js", "Accept-Encoding", "gzip, deflate, br")
			if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || body != js {
				t.Fatalf("gzip: %d %q %v", resp.StatusCode, body, resp.Header)
			}
			for _, inm := range []string{etag, "W/" + etag} {
				if resp, _ := get("/socket.io/socket.io.min.js", "If-None-Match", inm); resp.StatusCode != 304 {
					t.Fatalf("If-None-Match %s: %d, want 304", inm, resp.StatusCode)
				}
			}
			if resp, _ := get("/socket.io/socket.io.min.js", "If-None-Match", `"other"`); resp.StatusCode != 200 {
				t.Fatalf("stale If-None-Match: %d, want 200", resp.StatusCode)
			}
			resp, body = get("/socket.io/socket.io.min.js.map")
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" || body != `{"version":3}` {
				t.Fatalf("map: %d %q %v", resp.StatusCode, body, resp.Header)
			}
			if resp, _ := get("/socket.io/socket.io.esm.min.js"); resp.StatusCode != 404 {
				t.Fatalf("a client file the FS lacks: %d, want 404", resp.StatusCode)
			}
			resp, body = get("/socket.io/other.js")
			if resp.StatusCode != 400 || body != `{"code":0,"message":"Transport unknown"}` {
				t.Fatalf("other name: %d %q", resp.StatusCode, body)
			}
			// The Engine.IO endpoint is unchanged.
			if resp, _ := get("/socket.io/?EIO=4&transport=polling"); resp.StatusCode != 200 {
				t.Fatalf("handshake: %d", resp.StatusCode)
			}
		})
	}
}
