// Command chat is the classic Socket.IO chat room on sioloop: pick a name,
// join a room, talk, see who is typing and who comes and goes. The page is
// served by the same port as Socket.IO; the official browser client, from
// the npm package socket.io-client (`make npm-deps` installs it), is served
// by the Socket.IO server at /socket.io/socket.io.min.js
// (sio.Options.ServeClient), as Node's server does.
//
//	go run ./examples/chat -addr 127.0.0.1:3000
//
// then open http://127.0.0.1:3000 in two tabs (?transport=polling or
// ?transport=websocket forces a transport).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/sioloop/sioloop/sio"
)

// clientRel is where `make npm-deps` puts the official browser client's
// files, relative to the repository root.
const clientRel = "interop/node_modules/socket.io-client/dist"

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	client := flag.String("client", "", "folder holding socket.io.min.js (default: "+clientRel+", looked up from the working directory upwards)")
	flag.Parse()

	path := *client
	if path == "" {
		var err error
		if path, err = findClient(); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(path, "socket.io.min.js")); err != nil {
		log.Fatalf("the browser client: %v", err)
	}

	c := newChat(&sio.Options{
		ServeClient: os.DirFS(path),
		// No person types 20 messages a second: a client that does is a
		// script, and is disconnected.
		EventRate: 20, EventBurst: 40, FloodAction: sio.FloodDisconnect,
	})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = c.srv.Shutdown(context.Background())
	}()
	log.Printf("chat on http://%s (browser client: %s)", *addr, path)
	if err := c.srv.ListenAndServe(*addr, newSite()); err != nil && !errors.Is(err, sio.ErrServerClosed) {
		log.Fatal(err)
	}
}

// findClient looks for clientRel in the working directory and its parents.
func findClient() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, filepath.FromSlash(clientRel))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found from the working directory upwards: run `make npm-deps` in the repository, or pass -client DIR", clientRel)
		}
		dir = parent
	}
}
