package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	redisadapter "github.com/sioloop/sioloop/adapter/redis"
	"github.com/sioloop/sioloop/admin"
	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/internal/benchapp"
	"github.com/sioloop/sioloop/internal/loadgen"
	"github.com/sioloop/sioloop/internal/timer"
	"github.com/sioloop/sioloop/loop"
	"github.com/sioloop/sioloop/metrics"
	"github.com/sioloop/sioloop/sio"
)

// bundled is the bench app served on gnet loops.
type bundled struct {
	sio  *sio.Server
	ls   *loop.Server
	url  string
	done chan error
}

// startBundled serves the bench app on addr (port 0: a free one) and waits
// until it listens.
func startBundled(addr, path string, loops, workers int, ping time.Duration, adapter func(*sio.Namespace) sio.Adapter, parser sio.Parser) (*bundled, error) {
	o := &sio.Options{Path: path, Workers: workers, Adapter: adapter, Parser: parser}
	if ping > 0 {
		o.EIO = eio.Options{PingInterval: ping, PingTimeout: ping}
	}
	s := benchapp.New(o)
	ls, err := loop.New(loop.Config{Addr: addr, Loops: loops, Routes: []loop.Route{{Prefix: s.Path(), Server: s.Engine()}}})
	if err != nil {
		s.Close()
		return nil, err
	}
	b := &bundled{sio: s, ls: ls, done: make(chan error, 1)}
	go func() { b.done <- ls.Serve() }()
	select {
	case <-ls.Ready():
	case err := <-b.done:
		s.Close()
		return nil, fmt.Errorf("bundled server: %w", err)
	case <-time.After(10 * time.Second):
		s.Close()
		return nil, errors.New("bundled server: not listening after 10s")
	}
	b.url = "http://" + ls.Addr().String()
	return b, nil
}

// serverParser maps a --parser value to the server's option.
func serverParser(name string) (sio.Parser, error) {
	switch name {
	case "", loadgen.ParserDefault:
		return sio.ParserDefault, nil
	case loadgen.ParserMsgpack:
		return sio.ParserMsgpack, nil
	}
	return 0, fmt.Errorf("unknown --parser %q (default, msgpack)", name)
}

// stop shuts the server down.
func (b *bundled) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.sio.Close()
	_ = b.ls.Shutdown(ctx)
	select {
	case <-b.done:
	case <-ctx.Done():
	}
}

// serveCmd is `siobench serve`: the bundled bench app until SIGINT/SIGTERM.
func serveCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("siobench serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:3000", "listen on `host:port` (port 0: a free one)")
	path := fs.String("path", "/socket.io/", "Engine.IO endpoint path")
	loops := fs.Int("loops", 0, "event loops (default GOMAXPROCS)")
	workers := fs.Int("workers", 0, "run handlers on this many worker goroutines (0: on the event loops)")
	ping := fs.Duration("ping-interval", 0, "Engine.IO ping interval and timeout (default 25s / 20s)")
	httpMode := fs.Bool("http", false, "serve through net/http (the server mounted as an http.Handler) instead of the event loops, to measure that mode")
	withMetrics := fs.Bool("metrics", false, "attach the Prometheus collector (package metrics) to the server, to measure what it costs")
	withAdmin := fs.Bool("admin", false, "instrument the server for the Admin UI (package admin, production mode, no login), to measure what it costs")
	redisURL := fs.String("redis", "", "join a cluster through the Redis adapter at `URL` (redis://host:port), wire-compatible with @socket.io/redis-adapter")
	sharded := fs.Bool("sharded", false, "with --redis: the sharded adapter (SPUBLISH/SSUBSCRIBE, Redis 7) instead of the classic one")
	parserName := fs.String("parser", "default", "Socket.IO parser: default, or msgpack (socket.io-msgpack-parser 3.0; load it with siobench --parser msgpack)")
	probes := fs.Int("timer-probes", 0, "arm this many heartbeat-like timers (period: the ping interval, else 1s) on the server's timer set and report every 10s how late they fire")
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "usage: siobench serve [flags]\n\nServes the bench app of docs/bench-app.md (echo, echoack, bcast, join, toroom) on the main namespace; with --redis, as one node of a cluster.\n\nflags:")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintln(stderr, "run 'siobench serve -h' for usage")
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "siobench serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	parser, err := serverParser(*parserName)
	if err != nil {
		fmt.Fprintln(stderr, "siobench serve:", err)
		return exitUsage
	}
	var adapter func(*sio.Namespace) sio.Adapter
	if *redisURL != "" {
		ro, err := goredis.ParseURL(*redisURL)
		if err != nil {
			fmt.Fprintln(stderr, "siobench serve: --redis:", err)
			return exitUsage
		}
		c := goredis.NewClient(ro)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = c.Ping(ctx).Err()
		cancel()
		if err != nil {
			fmt.Fprintf(stderr, "siobench serve: Redis at %s: %v\n", *redisURL, err)
			return exitFail
		}
		adapter = redisadapter.New(c, nil)
		if *sharded {
			adapter = redisadapter.NewSharded(c, nil)
		}
	} else if *sharded {
		fmt.Fprintln(stderr, "siobench serve: --sharded needs --redis")
		return exitUsage
	}
	if *httpMode {
		return serveNetHTTP(*addr, *path, *workers, *ping, adapter, parser, stdout, stderr)
	}
	b, err := startBundled(*addr, *path, *loops, *workers, *ping, adapter, parser)
	if err != nil {
		fmt.Fprintln(stderr, "siobench serve:", err)
		return exitFail
	}
	if *withMetrics {
		m := metrics.New(b.sio, nil)
		defer m.Close()
		prometheus.NewRegistry().MustRegister(m)
	}
	if *withAdmin {
		a, err := admin.Instrument(b.sio, admin.Options{NoAuth: true})
		if err != nil {
			fmt.Fprintln(stderr, "siobench serve:", err)
			return exitFail
		}
		defer a.Close()
	}
	fmt.Fprintf(stdout, "siobench serve: bench app on %s (Socket.IO path %s, pid %d); load it with: siobench echo --url %s\n", b.url, *path, os.Getpid(), b.url)
	if *probes > 0 {
		period := *ping
		if period <= 0 {
			period = time.Second
		}
		p := startTimerProbes(timer.Of(b.sio.Engine()), *probes, period)
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		go func() {
			for range t.C {
				p.report(stdout)
			}
		}()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case <-sig:
	case err := <-b.done:
		if err != nil && !errors.Is(err, loop.ErrServerClosed) {
			fmt.Fprintln(stderr, "siobench serve:", err)
			return exitFail
		}
		return exitOK
	}
	b.stop()
	return exitOK
}

// serveNetHTTP is `siobench serve -http`: the bench app mounted in a
// net/http server, as an application embedding sioloop in its own mux
// would run it.
func serveNetHTTP(addr, path string, workers int, ping time.Duration, adapter func(*sio.Namespace) sio.Adapter, parser sio.Parser, stdout, stderr io.Writer) int {
	o := &sio.Options{Path: path, Workers: workers, Adapter: adapter, Parser: parser}
	if ping > 0 {
		o.EIO = eio.Options{PingInterval: ping, PingTimeout: ping}
	}
	s := benchapp.New(o)
	defer s.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(stderr, "siobench serve:", err)
		return exitFail
	}
	mux := http.NewServeMux()
	mux.Handle(s.Path(), s)
	hs := &http.Server{Handler: mux, ConnContext: eio.ConnContext}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "siobench serve: bench app on http://%s via net/http (Socket.IO path %s, pid %d); load it with: siobench echo --url http://%s\n", ln.Addr(), path, os.Getpid(), ln.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case <-sig:
	case err := <-done:
		fmt.Fprintln(stderr, "siobench serve:", err)
		return exitFail
	}
	s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(ctx)
	return exitOK
}
