// Command conformance serves the apps of the public protocol test suites
// (repositories socketio/engine.io-protocol and socketio/socket.io-protocol,
// folders test-suite/) on one port: bare Engine.IO on /engine.io/ (every
// message echoed back unchanged) and Socket.IO on /socket.io/ (see sio.go);
// pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1000000, CORS origin
// *, connectTimeout 1000 ms.
//
//	go run ./examples/conformance -addr 127.0.0.1:3000
//
// Admin endpoints on the same port, for tests:
//
//	GET  /admin/sessions        {"open":[sid...],"closed":[{"sid":..,"reason":..}...]}
//	                            (closed: the last 5,000 to 10,000)
//	POST /admin/close?sid=SID   server-side close of one session
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/loop"
	"github.com/sioloop/sioloop/sio"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	mode := flag.String("mode", "gnet", "network layer: gnet (event loops) or http (net/http + eio as http.Handler)")
	pingInterval := flag.Duration("ping-interval", 300*time.Millisecond, "Engine.IO pingInterval")
	pingTimeout := flag.Duration("ping-timeout", 200*time.Millisecond, "Engine.IO pingTimeout")
	maxPayload := flag.Int("max-payload", 1_000_000, "Engine.IO maxPayload (bytes)")
	connectTimeout := flag.Duration("connect-timeout", time.Second, "Socket.IO connectTimeout")
	allowEIO3 := flag.Bool("allow-eio3", false, "also accept Engine.IO protocol 3 clients on /engine.io/")
	loops := flag.Int("loops", 0, "gnet mode: number of event loops (0: GOMAXPROCS)")
	greet := flag.String("greet", "", "/engine.io/: send this message from the connection callback")
	flag.Parse()

	eo := eio.Options{
		PingInterval: *pingInterval,
		PingTimeout:  *pingTimeout,
		MaxPayload:   *maxPayload,
		CORS:         &eio.CORSOptions{Origins: []string{"*"}},
	}
	eo3 := eo
	eo3.AllowEIO3 = *allowEIO3
	app := newApp(&eo3, *greet)
	app.sio = newSocketIO(&sio.Options{EIO: eo, ConnectTimeout: *connectTimeout})
	if err := app.serve(*mode, *addr, *loops); err != nil && err != loop.ErrServerClosed && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

// maxClosed bounds the closed sessions /admin/sessions reports.
const maxClosed = 10000

type closedSession struct {
	SID    string `json:"sid"`
	Reason string `json:"reason"`
}

type app struct {
	eio    *eio.Server
	sio    *sio.Server
	mu     sync.Mutex
	open   map[string]*eio.Session
	closed []closedSession
}

func newApp(o *eio.Options, greet string) *app {
	a := &app{eio: eio.NewServer(o), open: make(map[string]*eio.Session)}
	a.eio.OnConnection(func(s *eio.Session) {
		a.mu.Lock()
		a.open[s.ID()] = s
		a.mu.Unlock()
		s.SetHandler(a)
		if greet != "" {
			_ = s.Send([]byte(greet), false)
		}
	})
	return a
}

// OnMessage echoes every message unchanged.
func (a *app) OnMessage(s *eio.Session, data []byte, binary bool) { _ = s.Send(data, binary) }

func (a *app) OnClose(s *eio.Session, reason string) {
	a.mu.Lock()
	delete(a.open, s.ID())
	if len(a.closed) == maxClosed {
		// Keep the most recent: a long run of abandoned sessions must
		// not grow the server (the tests look at their own, recent ones).
		a.closed = append(a.closed[:0], a.closed[maxClosed/2:]...)
	}
	a.closed = append(a.closed, closedSession{s.ID(), reason})
	a.mu.Unlock()
}

// ServeHTTP is the fallback handler: admin endpoints, 404 for the rest.
func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/admin/sessions" && r.Method == http.MethodGet:
		a.mu.Lock()
		out := struct {
			Open   []string        `json:"open"`
			Closed []closedSession `json:"closed"`
		}{Open: []string{}, Closed: append([]closedSession{}, a.closed...)}
		for id := range a.open {
			out.Open = append(out.Open, id)
		}
		a.mu.Unlock()
		sort.Strings(out.Open)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	case r.URL.Path == "/admin/close" && r.Method == http.MethodPost:
		s := a.eio.Session(r.URL.Query().Get("sid"))
		if s == nil {
			http.Error(w, "unknown sid", http.StatusNotFound)
			return
		}
		s.Close()
		fmt.Fprintln(w, "closed")
	default:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "not found")
	}
}

func (a *app) serve(mode, addr string, loops int) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer a.eio.Close()
	defer a.sio.Close()
	switch mode {
	case "gnet":
		srv, err := loop.New(loop.Config{
			Addr:  addr,
			Loops: loops,
			Routes: []loop.Route{
				{Prefix: "/engine.io/", Server: a.eio},
				{Prefix: "/socket.io/", Server: a.sio.Engine()},
			},
			Fallback: a,
		})
		if err != nil {
			return err
		}
		go func() {
			<-srv.Ready()
			fmt.Printf("listening on http://%s\n", srv.Addr())
			<-ctx.Done()
			_ = srv.Shutdown(context.Background())
		}()
		return srv.Serve()
	case "http":
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/engine.io/", a.eio)
		mux.Handle("/socket.io/", a.sio)
		mux.Handle("/", a)
		hs := &http.Server{Handler: mux, ConnContext: eio.ConnContext}
		go func() {
			<-ctx.Done()
			_ = hs.Shutdown(context.Background())
		}()
		fmt.Printf("listening on http://%s\n", ln.Addr())
		return hs.Serve(ln)
	}
	return fmt.Errorf("unknown -mode %q", mode)
}
