// Command refapp serves the application of the golden wire captures
// (interop/testdata/golden/README.md, "The application on the server"): Socket.IO on
// /socket.io/ (namespaces "/" and "/custom" with the test handlers,
// /guarded and /guarded-plain refused by middlewares, dynamic namespaces
// ^/dyn-\d+$), a bare Engine.IO echo server on /engine.io/, and 404
// "not found" for every other path. It exists so that the captures can be
// replayed against sioloop (interop/golden_sio_test.go).
//
//	go run ./examples/refapp -profile default -addr 127.0.0.1:3000
//
// -profile selects the server options of one column of the README's
// profile table: default, ref, small, cors, cookie, recovery, flood, asyncallow,
// msgpack, recovery-msgpack.
//
// What the server observes is written to stdout, one line per event, in
// the notation of the captures' "# server:" lines (connection, event-in,
// disconnecting, disconnect, middleware-reject, ask-callback,
// broadcast-ask-callback, eio-open, eio-data, eio-close and
// eio-connection_error of the echo server, http-404), for example
//
//	server: disconnect nsp="/" id="…" reason="transport close"
//
// The "shutdown" event closes the Socket.IO server (every socket gets
// "server shutting down") and stops listening; the process then waits for
// SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/loop"
	"github.com/sioloop/sioloop/sio"
)

// profileOptions returns the server options of a profile of the README's
// table; everything not named there is the library default.
func profileOptions(name string) (sio.Options, error) {
	var o sio.Options
	switch name {
	case "default":
	case "ref":
		o.EIO.PingInterval = 300 * time.Millisecond
		o.EIO.PingTimeout = 200 * time.Millisecond
		o.EIO.MaxPayload = 1_000_000
		o.EIO.CORS = &eio.CORSOptions{Origins: []string{"*"}}
		o.ConnectTimeout = time.Second
	case "small":
		o.EIO.MaxPayload = 1000
	case "cors":
		o.EIO.CORS = &eio.CORSOptions{Origins: []string{"https://app.example.com"}, Credentials: true}
	case "cookie":
		o.EIO.Cookie = &eio.CookieOptions{} // the library's default cookie settings
	case "recovery":
		o.Recovery = &sio.RecoveryOptions{MaxDisconnectionDuration: 120 * time.Second}
	case "asyncallow":
		// An asynchronous handshake check (as Node's allowRequest with its
		// callback): decided 20 ms later, off the event loop; refused when
		// the handshake's query has deny=1.
		o.EIO.AllowRequestAsync = func(r *eio.Request, done func(error)) {
			deny := strings.Contains(string(r.RawQuery), "deny=1")
			time.AfterFunc(20*time.Millisecond, func() {
				if deny {
					done(eio.ErrForbidden)
					return
				}
				done(nil)
			})
		}
	case "msgpack":
		// The socket.io-msgpack-parser wire format (clients must use it too).
		o.Parser = sio.ParserMsgpack
	case "recovery-msgpack":
		o.Recovery = &sio.RecoveryOptions{MaxDisconnectionDuration: 120 * time.Second}
		o.Parser = sio.ParserMsgpack
	case "flood":
		// sioloop only (Node has no event rate limit): 20 events/s per
		// connection, then disconnect.
		o.EventRate, o.EventBurst, o.FloodAction = 20, 20, sio.FloodDisconnect
	default:
		return o, fmt.Errorf("unknown profile %q (default, ref, small, cors, cookie, recovery, flood, asyncallow, msgpack, recovery-msgpack)", name)
	}
	return o, nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address (port 0: any free port)")
	mode := flag.String("mode", "gnet", "network layer: gnet (event loops) or http (net/http with the servers as http.Handler)")
	profile := flag.String("profile", "default", "server options: default, ref, small, cors, cookie, recovery, flood, asyncallow, msgpack, recovery-msgpack")
	flag.Parse()

	opts, err := profileOptions(*profile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "refapp:", err)
		os.Exit(2)
	}
	a := &app{rep: &reporter{w: os.Stdout}}
	a.sio = sio.NewServer(&opts)
	a.sio.Engine().SetHooks(eio.Hooks{ConnectionError: a.connectionError("/socket.io/")})
	a.setupSocketIO(a.sio)
	a.echo = a.newEcho(&opts.EIO)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := a.serve(ctx, *mode, *addr); err != nil {
		log.Fatal(err)
	}
}

type app struct {
	rep  *reporter
	sio  *sio.Server
	echo *eio.Server

	mu       sync.Mutex
	stopOnce sync.Once
	stopping atomic.Bool // the app's "shutdown" event was received
	stopNet  func()      // stops listening
}

// ServeHTTP answers every path that is neither /socket.io/ nor
// /engine.io/: 404 "not found", like the reference app's own handler.
func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.rep.report("http-404", kv{"method", r.Method}, kv{"url", r.URL.RequestURI()})
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte("not found"))
}

// shutdown closes the Socket.IO server ("server shutting down" for every
// socket, "forced close" for every session), then stops listening.
func (a *app) shutdown() {
	a.stopOnce.Do(func() {
		a.stopping.Store(true)
		a.sio.Close()
		// loop.Server.Shutdown closes every connection at once: give the
		// event loops a moment to write the close frames that Close queued.
		time.Sleep(200 * time.Millisecond)
		a.mu.Lock()
		stopNet := a.stopNet
		a.mu.Unlock()
		if stopNet != nil {
			stopNet()
		}
	})
}

func (a *app) serve(ctx context.Context, mode, addr string) error {
	defer a.echo.Close()
	defer a.sio.Close()
	switch mode {
	case "gnet":
		srv, err := loop.New(loop.Config{
			Addr: addr,
			Routes: []loop.Route{
				{Prefix: "/engine.io/", Server: a.echo},
				{Prefix: a.sio.Path(), Server: a.sio.Engine()},
			},
			Fallback: a,
		})
		if err != nil {
			return err
		}
		a.mu.Lock()
		a.stopNet = func() { _ = srv.Shutdown(context.Background()) }
		a.mu.Unlock()
		go func() {
			<-srv.Ready()
			fmt.Printf("listening on http://%s\n", srv.Addr())
			<-ctx.Done()
			_ = srv.Shutdown(context.Background())
		}()
		err = srv.Serve()
		return a.afterServe(ctx, err, loop.ErrServerClosed)
	case "http":
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// By prefix, without http.ServeMux's redirect of "/socket.io"
			// to "/socket.io/": the reference answers that path with 404.
			switch {
			case strings.HasPrefix(r.URL.Path, "/engine.io/"):
				a.echo.ServeHTTP(w, r)
			case strings.HasPrefix(r.URL.Path, a.sio.Path()):
				a.sio.ServeHTTP(w, r)
			default:
				a.ServeHTTP(w, r)
			}
		})}
		a.mu.Lock()
		a.stopNet = func() { _ = hs.Shutdown(context.Background()) }
		a.mu.Unlock()
		go func() {
			<-ctx.Done()
			_ = hs.Shutdown(context.Background())
		}()
		fmt.Printf("listening on http://%s\n", ln.Addr())
		err = hs.Serve(ln)
		return a.afterServe(ctx, err, http.ErrServerClosed)
	}
	return fmt.Errorf("unknown -mode %q (gnet or http)", mode)
}

// afterServe: after the app's own "shutdown" the process stays up (the
// test harness ends it); after a signal it returns.
func (a *app) afterServe(ctx context.Context, err, closed error) error {
	if err != nil && !errors.Is(err, closed) {
		return err
	}
	if a.stopping.Load() {
		fmt.Println("server closed by the shutdown event")
		<-ctx.Done()
	}
	return nil
}
