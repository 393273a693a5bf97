// Command cluster runs three sioloop nodes on one machine as one Socket.IO
// cluster (the Redis adapter) behind a small sticky-session proxy:
//
//	go run ./examples/cluster                 # proxy on 127.0.0.1:3000
//	go run ./examples/cluster -sharded        # Redis 7 sharded pub/sub
//
// Open http://127.0.0.1:3000 in several tabs (?transport=polling forces
// long-polling): each tab says which node it landed on, and a message
// typed in one reaches every tab, whatever their nodes.
//
// Why a sticky proxy: an Engine.IO session lives on the node that opened
// it. A WebSocket connection is one TCP connection, so any balancer keeps
// it on one node; HTTP long-polling is a series of requests that must all
// reach that node, or the node that did not open the session answers 400
// "Session ID unknown". The proxy here reads the session id from each
// handshake's answer and routes every later request carrying that sid to
// the same node; nginx (ip_hash, or hash $arg_sid) and HAProxy (a cookie,
// or balance url_param sid) do the same in production — see README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sioloop/sioloop/adapter/redis"
	"github.com/sioloop/sioloop/sio"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "the proxy's address (the nodes listen on free loopback ports)")
	redisAddr := flag.String("redis", "127.0.0.1:6379", "Redis server")
	nodes := flag.Int("nodes", 3, "nodes to run")
	sharded := flag.Bool("sharded", false, "the sharded adapter (SPUBLISH/SSUBSCRIBE, Redis 7)")
	client := flag.String("client", "interop/node_modules/socket.io-client/dist", "folder of the official browser client (make npm-deps), served at /socket.io/socket.io.min.js")
	flag.Parse()
	var clientFS fs.FS
	if _, err := os.Stat(filepath.Join(*client, "socket.io.min.js")); err == nil {
		clientFS = os.DirFS(*client)
	} else {
		log.Printf("no browser client in %s (make npm-deps): the page will not connect", *client)
	}

	rdb := goredis.NewClient(&goredis.Options{Addr: *redisAddr})
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		log.Fatalf("Redis at %s: %v", *redisAddr, err)
	}
	c, err := start(rdb, *nodes, *sharded, "", clientFS)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: c.proxy}
	go func() { _ = hs.Serve(ln) }()
	log.Printf("cluster of %d nodes %v behind http://%s", *nodes, c.addrs, ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	_ = hs.Shutdown(context.Background())
	c.stop()
}

// cluster is the running nodes and the proxy in front of them.
type cluster struct {
	srvs  []*sio.Server
	addrs []string
	proxy *proxy
}

// start runs n nodes on free loopback ports, all on one Redis key.
func start(rdb goredis.UniversalClient, n int, sharded bool, key string, client fs.FS) (*cluster, error) {
	c := &cluster{}
	for i := 0; i < n; i++ {
		adapter := redis.New(rdb, &redis.Options{Key: key})
		if sharded {
			adapter = redis.NewSharded(rdb, &redis.ShardedOptions{Options: redis.Options{Key: key}})
		}
		srv := sio.NewServer(&sio.Options{Adapter: adapter, ServeClient: client})
		name := fmt.Sprintf("node %d", i+1)
		srv.OnConnection(func(s *sio.Socket) {
			_ = s.Emit("welcome", name)
			s.On("say", func(e *sio.Event) {
				msg, _ := e.String(0)
				_ = srv.Emit("said", name, msg) // reaches the sockets of every node
			})
			s.On("whoami", func(e *sio.Event) { _ = e.Ack(name) })
		})
		go func() { _ = srv.ListenAndServe("127.0.0.1:0", http.HandlerFunc(page)) }()
		<-srv.Ready()
		c.srvs = append(c.srvs, srv)
		c.addrs = append(c.addrs, srv.Addr().String())
	}
	c.proxy = newProxy(c.addrs)
	return c, nil
}

func (c *cluster) stop() {
	for _, s := range c.srvs {
		_ = s.Shutdown(context.Background())
	}
}

// page is the demo page, served by every node (through the proxy), with
// the official browser client the nodes serve.
func page(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, pageHTML)
}

const pageHTML = `<!doctype html>
<meta charset="utf-8"><title>sioloop cluster</title>
<p id="node">connecting…</p>
<form id="f"><input id="m" autocomplete="off"><button>Send</button></form>
<ul id="log"></ul>
<script src="/socket.io/socket.io.min.js"></script>
<script>
const t = new URLSearchParams(location.search).get("transport");
const socket = io({ transports: t ? [t] : ["polling", "websocket"] });
socket.on("welcome", (node) => { document.getElementById("node").textContent = "connected to " + node; });
socket.on("said", (node, msg) => {
  const li = document.createElement("li");
  li.textContent = node + ": " + msg;
  document.getElementById("log").append(li);
});
document.getElementById("f").onsubmit = (e) => {
  e.preventDefault();
  const m = document.getElementById("m");
  socket.emit("say", m.value);
  m.value = "";
};
</script>
`
