package main

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"time"
)

//go:embed static
var staticFiles embed.FS

// newSite is the fallback handler: the page (static/, embedded) and the
// official browser client clientJS at /socket.io.min.js.
func newSite(clientJS []byte) http.Handler {
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err)
	}
	loaded := time.Now()
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(static))
	mux.HandleFunc("GET /socket.io.min.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeContent(w, r, "socket.io.min.js", loaded, bytes.NewReader(clientJS))
	})
	return mux
}
