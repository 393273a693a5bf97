package main

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var staticFiles embed.FS

// newSite is the fallback handler: the page (static/, embedded). The
// official browser client comes from the Socket.IO server itself, at
// /socket.io/socket.io.min.js (sio.Options.ServeClient).
func newSite() http.Handler {
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(static))
	return mux
}
