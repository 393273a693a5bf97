// Command admin serves the official Socket.IO Admin UI for a sioloop
// server: a small chat app instrumented with package admin, a few demo
// sockets chatting in the room "lobby", and the UI's static build from the
// npm package @socket.io/admin-ui (`make npm-deps` installs it; its files
// are never part of this repository).
//
//	go run ./examples/admin -addr 127.0.0.1:3000 -password s3cret
//
// then open http://127.0.0.1:3000, and log in with the server URL
// http://127.0.0.1:3000, user "admin" and the password.
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
	"time"

	"github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/sio"
)

// uiRel is where `make npm-deps` puts the UI's build, relative to the
// repository root.
const uiRel = "interop/node_modules/@socket.io/admin-ui/ui/dist"

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	ui := flag.String("ui", "", "folder of the Admin UI's build (default: "+uiRel+", looked up from the working directory upwards)")
	user := flag.String("user", "admin", "UI login")
	password := flag.String("password", "", "UI password (empty: no login, for a local try only)")
	prod := flag.Bool("production", false, "production mode: stats only, no per-socket/per-event reports")
	demo := flag.Int("demo", 3, "demo sockets chatting in the room lobby")
	flag.Parse()

	dir := *ui
	if dir == "" {
		var err error
		if dir, err = findUI(); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		log.Fatalf("the Admin UI: %v", err)
	}
	a, err := newApp(config{ui: dir, user: *user, password: *password, production: *prod})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = a.srv.Shutdown(context.Background())
	}()
	go func() {
		<-a.srv.Ready()
		for i := range *demo {
			go runDemo(ctx, "http://"+*addr, i)
		}
	}()
	log.Printf("Admin UI on http://%s (log in with server URL http://%s)", *addr, *addr)
	if err := a.serve(*addr); err != nil && !errors.Is(err, sio.ErrServerClosed) {
		log.Fatal(err)
	}
}

// runDemo is one demo socket: it joins "lobby" and says something there
// every few seconds.
func runDemo(ctx context.Context, url string, i int) {
	s, err := client.New(url, nil, nil)
	if err != nil {
		log.Print(err)
		return
	}
	s.OnConnect(func(*client.ConnectEvent) { _ = s.Emit("join", "lobby") })
	s.Connect()
	defer s.Disconnect()
	t := time.NewTicker(time.Duration(3+i) * time.Second)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = s.Emit("say", "lobby", fmt.Sprintf("message %d from demo %d", n, i))
		}
	}
}

// findUI looks for uiRel in the working directory and its parents.
func findUI() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, filepath.FromSlash(uiRel))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found from the working directory upwards: run `make npm-deps` in the repository, or pass -ui DIR", uiRel)
		}
		dir = parent
	}
}
