// Command zishang is the bench app contract of docs/bench-app.md on
// github.com/zishang520/socket.io (servers/socket/v3, v3.0.6), the most
// complete Go port of socket.io, with default options:
//
//	echo            → socket.emit("echo", ...args)
//	echoack         → ack(...args)
//	bcast           → io.emit("bcast", ...args)
//	join (with ack) → socket.join(String(room)); ack("ok")
//	toroom          → io.to(data.room).emit("toroom", data)
//
// It lives in its own module so that the main go.mod does not carry the
// port's dependencies. Usage:
//
//	cd bench/peers/zishang && go build -o /tmp/zishang . && /tmp/zishang -addr 127.0.0.1:3000
//
// Once listening it prints "listening on http://ADDR".
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/zishang520/socket.io/servers/socket/v3"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen on `host:port` (port 0: a free one)")
	flag.Parse()

	io := socket.NewServer(nil, nil)
	_ = io.On("connection", func(clients ...any) {
		s := clients[0].(*socket.Socket)
		_ = s.On("echo", func(args ...any) {
			_ = s.Emit("echo", args...)
		})
		_ = s.On("echoack", func(args ...any) {
			if n := len(args); n > 0 {
				if ack, ok := args[n-1].(socket.Ack); ok {
					ack(args[:n-1], nil)
				}
			}
		})
		_ = s.On("bcast", func(args ...any) {
			io.Emit("bcast", args...)
		})
		_ = s.On("join", func(args ...any) {
			if len(args) == 0 {
				return
			}
			s.Join(socket.Room(jsString(args[0])))
			if ack, ok := args[len(args)-1].(socket.Ack); ok {
				ack([]any{"ok"}, nil)
			}
		})
		_ = s.On("toroom", func(args ...any) {
			if len(args) == 0 {
				return
			}
			d, ok := args[0].(map[string]any)
			if !ok {
				return
			}
			room, ok := d["room"]
			if !ok || room == nil {
				return
			}
			_ = io.To(socket.Room(jsString(room))).Emit("toroom", d)
		})
	})

	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io.ServeHandler(nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "zishang:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	hs := &http.Server{Handler: mux}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		io.Close(nil)
		_ = hs.Close()
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "zishang:", err)
		os.Exit(1)
	}
}

// jsString is JavaScript's String(v) for the JSON values a room name can be.
func jsString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}
