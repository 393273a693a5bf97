package sio

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"regexp"
	"strings"
	"sync"

	"github.com/sioloop/sioloop/eio"
)

// clientFileName matches the files the Node server serves under its path:
// socket.io.js, socket.io.min.js, socket.io.msgpack.min.js,
// socket.io.esm.min.js and their source maps.
var clientFileName = regexp.MustCompile(`^socket\.io(\.msgpack|\.esm)?(\.min)?\.js(\.map)?$`)

// clientFiles serves the official browser client (Options.ServeClient)
// at the Node server's paths, read from the application's fs.FS once and
// kept, with its gzip form, for every later request.
type clientFiles struct {
	fsys  fs.FS
	path  string // the Socket.IO path, with its trailing slash
	mu    sync.Mutex
	files map[string]*clientFile
}

type clientFile struct {
	ok                     bool // found in the FS
	etag                   string
	plain, gz, notModified eio.Response
}

var respClientNotFound = eio.Response{Status: 404, ContentType: "text/plain; charset=utf-8", Body: []byte("Not Found")}

// serve answers a GET for one of the client files; nil for any other
// request (eio then refuses it as usual).
func (c *clientFiles) serve(r *eio.Request) *eio.Response {
	name, ok := strings.CutPrefix(string(r.Path), c.path)
	if !ok || !clientFileName.MatchString(name) || (string(r.Method) != "GET") {
		return nil
	}
	f := c.load(name)
	if !f.ok {
		return &respClientNotFound
	}
	if inm := string(r.Headers.Header("If-None-Match")); inm != "" && (inm == f.etag || inm == "W/"+f.etag) {
		return &f.notModified
	}
	if acceptsGzip(r.Headers.Header("Accept-Encoding")) {
		return &f.gz
	}
	return &f.plain
}

// load reads name from the FS on first use.
func (c *clientFiles) load(name string) *clientFile {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.files[name]; f != nil {
		return f
	}
	f := new(clientFile)
	c.files[name] = f
	data, err := fs.ReadFile(c.fsys, name)
	if err != nil {
		return f
	}
	sum := sha256.Sum256(data)
	f.ok = true
	f.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
	ctype := "application/javascript; charset=utf-8"
	if strings.HasSuffix(name, ".map") {
		ctype = "application/json; charset=utf-8"
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(data)
	_ = zw.Close()
	hdr := []eio.HeaderField{{Name: "ETag", Value: f.etag}, {Name: "Cache-Control", Value: "public, max-age=0"}, {Name: "Vary", Value: "Accept-Encoding"}}
	f.plain = eio.Response{Status: 200, ContentType: ctype, Header: hdr, Body: data}
	f.gz = eio.Response{Status: 200, ContentType: ctype, Header: append(hdr[:3:3], eio.HeaderField{Name: "Content-Encoding", Value: "gzip"}), Body: gz.Bytes()}
	f.notModified = eio.Response{Status: 304, Header: hdr[:1]}
	return f
}

// acceptsGzip reports whether an Accept-Encoding value takes gzip (q=0
// refuses it).
func acceptsGzip(v []byte) bool {
	for part := range strings.SplitSeq(string(v), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if q := strings.TrimSpace(params); strings.HasPrefix(q, "q=0") && strings.Trim(q[3:], ".0") == "" {
			continue
		}
		if n := strings.ToLower(strings.TrimSpace(name)); n == "gzip" || n == "*" {
			return true
		}
	}
	return false
}
