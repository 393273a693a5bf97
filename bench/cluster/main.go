// Command cluster measures broadcasts across the nodes of a cluster on
// Redis: what a broadcast that arrives from another node costs the node
// that delivers it, against the same broadcast sent from that node itself
// (a local broadcast), for two sioloop nodes (siobench serve --redis) and
// two Node.js nodes (socket.io 4.8 + @socket.io/redis-adapter 8.3), in
// the same run.
//
//	go run ./bench/cluster                      # defaults below
//	go run ./bench/cluster -receivers 1000 -rate 100 -duration 20s -sharded
//
// Node B (the receivers' node) runs on CPU 0; node A (the sender's node),
// Redis's clients and this driver on CPU 1 (taskset). Every placement
// starts fresh nodes. For each peer it prints deliveries/s, node B's CPU
// per delivery (utime+stime from /proc over the window) and the delivery
// latency (sender's clock to receiver's, one machine) as a Markdown table.
// Only broadcasts sent in the window count; "lost" is what of them did not
// arrive within 3 s of its end (a node that cannot keep up).
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/wsframe"
)

type config struct {
	receivers int
	rate      int
	dur       time.Duration
	warmup    time.Duration
	payload   int
	redis     string
	sharded   bool
	peers     string
	rounds    int
}

func main() {
	var c config
	flag.IntVar(&c.receivers, "receivers", 500, "sockets on node B receiving every broadcast")
	flag.IntVar(&c.rate, "rate", 200, "broadcasts per second")
	flag.DurationVar(&c.dur, "duration", 10*time.Second, "measurement window")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "broadcasts before the window")
	flag.IntVar(&c.payload, "payload", 64, "bytes of the string each broadcast carries")
	flag.StringVar(&c.redis, "redis", "redis://127.0.0.1:6379", "Redis URL of the cluster")
	flag.BoolVar(&c.sharded, "sharded", false, "the sharded adapters (SPUBLISH/SSUBSCRIBE) instead of the classic ones")
	flag.StringVar(&c.peers, "peers", "sioloop,node", "comma-separated peers: sioloop, node")
	flag.IntVar(&c.rounds, "rounds", 1, "repetitions of every (peer, placement)")
	flag.Parse()
	if os.Getenv("CLUSTER_BENCH_PINNED") == "" {
		if _, err := exec.LookPath("taskset"); err == nil {
			cmd := exec.Command("taskset", append([]string{"-c", "1", os.Args[0]}, os.Args[1:]...)...)
			cmd.Env = append(os.Environ(), "CLUSTER_BENCH_PINNED=1")
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			if err := cmd.Run(); err != nil {
				os.Exit(1)
			}
			return
		}
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

type result struct {
	peer, placement       string
	sent, delivered, lost int64
	perSec                float64
	cpuUs                 float64 // node B CPU µs per delivery
	cpuPct                float64
	p50, p99, max         time.Duration
}

func run(c config) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	bin := filepath.Join(os.TempDir(), "siobench-cluster-bench")
	build := exec.Command("go", "build", "-o", bin, "./cmd/siobench")
	build.Dir, build.Stderr = root, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building siobench: %w", err)
	}
	var results []result
	for r := 0; r < c.rounds; r++ {
		for _, peer := range strings.Split(c.peers, ",") {
			for _, placement := range []string{"local", "cross-node"} {
				res, err := measure(c, root, bin, peer, placement)
				if err != nil {
					return fmt.Errorf("%s %s: %w", peer, placement, err)
				}
				fmt.Fprintf(os.Stderr, "%s %-10s %8.0f deliveries/s  %6.2f µs CPU/delivery on node B  p50 %v p99 %v  lost %d\n",
					peer, placement, res.perSec, res.cpuUs, res.p50, res.p99, res.lost)
				results = append(results, res)
			}
		}
	}
	mode := "classic"
	if c.sharded {
		mode = "sharded"
	}
	fmt.Printf("\n%d receivers on node B, %d broadcasts/s of a %d-byte string, %v window, %s adapters\n\n", c.receivers, c.rate, c.payload, c.dur, mode)
	fmt.Println("| peer | sender on | deliveries/s | node B CPU µs/delivery | node B CPU % | latency p50 | p99 | max | lost |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		fmt.Printf("| %s | %s | %.0f | %.2f | %.1f | %v | %v | %v | %d |\n", r.peer, map[string]string{"local": "node B (local)", "cross-node": "node A (via Redis)"}[r.placement],
			r.perSec, r.cpuUs, r.cpuPct, r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.max.Round(10*time.Microsecond), r.lost)
	}
	return nil
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// node is a started cluster node.
type node struct {
	addr string
	pid  int
	cmd  *exec.Cmd
}

func (n *node) stop() {
	_ = n.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = n.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = n.cmd.Process.Kill()
		<-done
	}
}

// startNode starts a peer's node pinned to cpu.
func startNode(c config, root, bin, peer, cpu string) (*node, error) {
	var args []string
	switch peer {
	case "sioloop":
		args = []string{bin, "serve", "--addr", "127.0.0.1:0", "--loops", "1", "--redis", c.redis}
	case "node":
		args = []string{"node", filepath.Join(root, "bench/peers/node/server.js"), "--port", "0", "--redis", c.redis}
	default:
		return nil, fmt.Errorf("unknown peer %q", peer)
	}
	if c.sharded {
		args = append(args, "--sharded")
	}
	cmd := exec.Command("taskset", append([]string{"-c", cpu}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	go func() { _, _ = io.Copy(io.Discard, out) }()
	n := &node{pid: cmd.Process.Pid, cmd: cmd}
	if err != nil {
		n.stop()
		return nil, fmt.Errorf("%s node: %v", peer, err)
	}
	var hello struct{ URL string }
	if json.Unmarshal([]byte(line), &hello) != nil {
		// siobench serve: "... bench app on http://HOST:PORT (..."
		f := strings.Fields(line)
		for i, w := range f {
			if w == "on" && i+1 < len(f) && strings.HasPrefix(f[i+1], "http://") {
				hello.URL = f[i+1]
			}
		}
	}
	if hello.URL == "" {
		n.stop()
		return nil, fmt.Errorf("%s node said %q", peer, line)
	}
	n.addr = strings.TrimPrefix(hello.URL, "http://")
	return n, nil
}

func measure(c config, root, bin, peer, placement string) (result, error) {
	res := result{peer: peer, placement: placement}
	b, err := startNode(c, root, bin, peer, "0")
	if err != nil {
		return res, err
	}
	defer b.stop()
	senderNode := b
	if placement == "cross-node" {
		a, err := startNode(c, root, bin, peer, "1")
		if err != nil {
			return res, err
		}
		defer a.stop()
		senderNode = a
	}
	// A delivery counts when the broadcast was sent in the window
	// [from, to): late copies of the warm-up are not counted, and copies
	// of the window that come late are waited for.
	var (
		delivered atomic.Int64
		from, to  atomic.Int64
		mu        sync.Mutex
		lats      []time.Duration
	)
	from.Store(math.MaxInt64)
	to.Store(math.MaxInt64)
	recv := make([]*wsClient, 0, c.receivers)
	defer func() {
		for _, r := range recv {
			r.c.Close()
		}
	}()
	for i := 0; i < c.receivers; i++ {
		r, err := dialWS(b.addr)
		if err != nil {
			return res, fmt.Errorf("receiver %d: %w", i, err)
		}
		recv = append(recv, r)
		go func() {
			var mine []time.Duration
			for {
				p, err := r.next()
				if err != nil {
					break
				}
				if t, ok := stamp(p); ok && t >= from.Load() && t < to.Load() {
					mine = append(mine, time.Duration(time.Now().UnixNano()-t))
					delivered.Add(1)
				}
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	s, err := dialWS(senderNode.addr)
	if err != nil {
		return res, fmt.Errorf("sender: %w", err)
	}
	defer s.c.Close()
	go func() { // the sender's own copies
		for {
			if _, err := s.next(); err != nil {
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond) // subscriptions settle
	pad := strings.Repeat("x", c.payload)
	send := func(d time.Duration) int64 {
		var n int64
		start := time.Now()
		interval := time.Second / time.Duration(c.rate)
		for next := start; time.Since(start) < d; next = next.Add(interval) {
			if w := time.Until(next); w > 0 {
				time.Sleep(w)
			}
			msg := fmt.Sprintf(`2["bcast",{"t":%d,"p":"%s"}]`, time.Now().UnixNano(), pad)
			if err := s.send(msg); err != nil {
				return n
			}
			n++
		}
		return n
	}
	send(c.warmup)
	cpu0 := cpuTicks(b.pid)
	t0 := time.Now()
	from.Store(t0.UnixNano())
	res.sent = send(c.dur)
	to.Store(time.Now().UnixNano())
	for i := 0; i < 30 && delivered.Load() < res.sent*int64(c.receivers); i++ {
		time.Sleep(100 * time.Millisecond) // the last broadcasts arrive
	}
	elapsed := time.Since(t0)
	cpu1 := cpuTicks(b.pid)
	for _, r := range recv {
		r.c.Close()
	}
	time.Sleep(200 * time.Millisecond)
	res.delivered = delivered.Load()
	res.lost = res.sent*int64(c.receivers) - res.delivered
	res.perSec = float64(res.delivered) / c.dur.Seconds()
	cpu := time.Duration(cpu1-cpu0) * 10 * time.Millisecond // USER_HZ = 100
	res.cpuPct = 100 * cpu.Seconds() / elapsed.Seconds()
	if res.delivered > 0 {
		res.cpuUs = float64(cpu.Microseconds()) / float64(res.delivered)
	}
	mu.Lock()
	slices.Sort(lats)
	if n := len(lats); n > 0 {
		res.p50, res.p99, res.max = lats[n/2], lats[n*99/100], lats[n-1]
	}
	mu.Unlock()
	return res, nil
}

// stamp reads the sender's time out of a bcast packet.
func stamp(p []byte) (int64, bool) {
	i := bytes.Index(p, []byte(`"t":`))
	if i < 0 {
		return 0, false
	}
	p = p[i+4:]
	j := bytes.IndexByte(p, ',')
	if j < 0 {
		return 0, false
	}
	t, err := strconv.ParseInt(string(p[:j]), 10, 64)
	return t, err == nil
}

// cpuTicks is utime+stime of pid, in clock ticks.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// wsClient is a minimal Socket.IO client over WebSocket: enough to join
// the main namespace, send events and read packets.
type wsClient struct {
	c    net.Conn
	br   *bufio.Reader
	wmu  sync.Mutex
	mask [4]byte
}

func dialWS(addr string) (*wsClient, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	fmt.Fprint(c, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	br := bufio.NewReaderSize(c, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		c.Close()
		return nil, fmt.Errorf("upgrade: %v %v", resp, err)
	}
	w := &wsClient{c: c, br: br}
	binary.LittleEndian.PutUint32(w.mask[:], 0x5a5a5a5a)
	if _, err := w.next(); err != nil { // open
		c.Close()
		return nil, err
	}
	if err := w.send("0"); err != nil {
		return nil, err
	}
	for {
		p, err := w.next()
		if err != nil {
			c.Close()
			return nil, err
		}
		if bytes.HasPrefix(p, []byte("0{")) {
			return w, nil
		}
	}
}

// send sends Socket.IO packet p in an Engine.IO message.
func (w *wsClient) send(p string) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_, err := w.c.Write(wsframe.AppendClientFrame(nil, ws.OpText, []byte("4"+p), w.mask))
	return err
}

// next returns the next Socket.IO packet (the Engine.IO message type
// byte removed), answering pings.
func (w *wsClient) next() ([]byte, error) {
	for {
		h, err := ws.ReadHeader(w.br)
		if err != nil {
			return nil, err
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(w.br, p); err != nil {
			return nil, err
		}
		if h.OpCode == ws.OpClose {
			return nil, errors.New("closed")
		}
		if len(p) == 1 && p[0] == '2' {
			w.wmu.Lock()
			_, _ = w.c.Write(wsframe.AppendClientFrame(nil, ws.OpText, []byte("3"), w.mask))
			w.wmu.Unlock()
			continue
		}
		if len(p) > 0 && p[0] == '4' {
			return p[1:], nil
		}
		if len(p) > 0 && p[0] == '0' {
			return nil, nil // the Engine.IO open packet
		}
	}
}
