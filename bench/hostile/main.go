// Command hostile measures what slow or stalling peers cost a Socket.IO
// server: the server CPU of a large WebSocket frame sent in small writes,
// and the server memory of many large frames or polling bodies stalled
// just short of their end. It reads the server's CPU and RSS from /proc,
// so it runs on Linux against a server on this machine, given its pid.
//
//	taskset -c 0 siobench serve --addr 127.0.0.1:7101 & pid=$!
//	taskset -c 1 go run ./bench/hostile -addr 127.0.0.1:7101 -pid $pid trickle -write 300 -frames 3
//	taskset -c 1 go run ./bench/hostile -addr 127.0.0.1:7101 -pid $pid stall -conns 200
//	taskset -c 1 go run ./bench/hostile -addr 127.0.0.1:7101 -pid $pid stall -conns 100 -post
//	taskset -c 1 go run ./bench/hostile -addr 127.0.0.1:7101 -pid $pid slowread -conns 20 -for 1m
//	taskset -c 1 go run ./bench/hostile -addr 127.0.0.1:7101 -pid $pid nopoll -conns 5 -for 50s
//
// nopoll is meant to run beside a broadcast load (siobench broadcast).
//
// The Node.js peer (bench/peers/node/server.js --port 7101) takes the same
// commands.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

const unit = 990_000 // bytes of the Socket.IO packet in each frame or body

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "server address")
	pid := flag.Int("pid", 0, "server process id (for its CPU and RSS)")
	flag.Parse()
	if *pid == 0 || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: hostile -addr host:port -pid PID trickle|stall [flags]")
		os.Exit(2)
	}
	var err error
	switch sub, args := flag.Arg(0), flag.Args()[1:]; sub {
	case "trickle":
		fs := flag.NewFlagSet(sub, flag.ExitOnError)
		write := fs.Int("write", 300, "bytes per write")
		frames := fs.Int("frames", 3, "frames to send, one after another")
		pause := fs.Duration("pause", 100*time.Microsecond, "pause after each write")
		fs.Parse(args)
		err = trickle(*addr, *pid, *write, *frames, *pause)
	case "stall":
		fs := flag.NewFlagSet(sub, flag.ExitOnError)
		conns := fs.Int("conns", 200, "connections, each stalling one unit")
		post := fs.Bool("post", false, "stall polling POST bodies instead of WebSocket frames")
		fs.Parse(args)
		err = stall(*addr, *pid, *conns, *post)
	case "slowread":
		fs := flag.NewFlagSet(sub, flag.ExitOnError)
		conns := fs.Int("conns", 20, "connections that send but never read")
		dur := fs.Duration("for", time.Minute, "how long")
		fs.Parse(args)
		err = slowRead(*addr, *conns, *dur)
	case "nopoll":
		fs := flag.NewFlagSet(sub, flag.ExitOnError)
		conns := fs.Int("conns", 5, "polling sessions that join and never poll")
		dur := fs.Duration("for", 50*time.Second, "how long to watch the server's RSS")
		fs.Parse(args)
		err = noPoll(*addr, *pid, *conns, *dur)
	default:
		err = fmt.Errorf("unknown command %q", sub)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
}

// trickle sends frames of an echo event in writes of size bytes and
// reports the server CPU per frame.
func trickle(addr string, pid, size, frames int, pause time.Duration) error {
	c, br, err := wsOpen(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	go func() { // drain the echoes
		buf := make([]byte, 64<<10)
		for {
			if _, err := br.Read(buf); err != nil {
				return
			}
		}
	}()
	f := clientFrame(echoPacket())
	cpu0, _ := procCPU(pid)
	start := time.Now()
	for range frames {
		for b := f; len(b) > 0; {
			k := min(size, len(b))
			if _, err := c.Write(b[:k]); err != nil {
				return err
			}
			b = b[k:]
			time.Sleep(pause)
		}
	}
	time.Sleep(500 * time.Millisecond)
	cpu1, _ := procCPU(pid)
	fmt.Printf("trickle: %d B frame in %d-byte writes: server CPU %.1f ms per frame (%d frames, %v)\n",
		len(f), size, float64(cpu1-cpu0)/float64(time.Millisecond)/float64(frames), frames, time.Since(start).Round(time.Millisecond))
	return nil
}

// stall opens conns connections, each sending all but the last 10 bytes of
// a large unit, and reports the server's RSS growth per connection.
func stall(addr string, pid, conns int, post bool) error {
	rss0, err := procRSS(pid)
	if err != nil {
		return err
	}
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for range conns {
		var c net.Conn
		var rest []byte
		if post {
			c, rest, err = postStart(addr)
		} else {
			var br *bufio.Reader
			c, br, err = wsOpen(addr)
			_ = br
			rest = clientFrame(echoPacket())
		}
		if err != nil {
			return err
		}
		open = append(open, c)
		if _, err := c.Write(rest[:len(rest)-10]); err != nil {
			return err
		}
	}
	time.Sleep(2 * time.Second)
	rss1, _ := procRSS(pid)
	kind := "WebSocket frames"
	if post {
		kind = "polling POST bodies"
	}
	fmt.Printf("stall: %d %s of ~%d KB, 10 bytes short: server RSS +%.2f MiB per connection (%.2f× the bytes sent)\n",
		conns, kind, unit/1000, float64(rss1-rss0)/float64(conns)/(1<<20), float64(rss1-rss0)/float64(conns)/float64(unit))
	return nil
}

// slowRead keeps conns connections that ask for 64 KB echoes and never
// read them: the server must cut each off at its output cap (and go on
// serving everyone else). Each cut connection is replaced. It reports how
// many were cut.
func slowRead(addr string, conns int, dur time.Duration) error {
	req := clientFrame([]byte(`42["echo","` + strings.Repeat("s", 64<<10) + `"]`))
	end := time.Now().Add(dur)
	cut := make(chan int, conns)
	for range conns {
		go func() {
			n := 0
			for time.Now().Before(end) {
				c, _, err := wsOpen(addr)
				if err != nil {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				for time.Now().Before(end) {
					_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
					if _, err := c.Write(req); err != nil {
						n++ // cut off by the server (or stuck past 10 s)
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
				c.Close()
			}
			cut <- n
		}()
	}
	total := 0
	for range conns {
		total += <-cut
	}
	fmt.Printf("slowread: %d connections reading nothing for %v: %d cut off by the server\n", conns, dur, total)
	return nil
}

// noPoll opens polling sessions that join the main namespace and then
// never issue a GET, so that whatever is sent to them queues on the
// server, and reports the server's peak RSS while they stay.
func noPoll(addr string, pid, conns int, dur time.Duration) error {
	rss0, err := procRSS(pid)
	if err != nil {
		return err
	}
	for range conns {
		c, _, err := postStart(addr) // the session has joined "/"
		if err != nil {
			return err
		}
		defer c.Close()
	}
	peak := rss0
	for end := time.Now().Add(dur); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		if r, err := procRSS(pid); err == nil {
			peak = max(peak, r)
		}
	}
	fmt.Printf("nopoll: %d polling sessions that never poll, %v: server RSS %.1f MiB before, peak %.1f MiB\n",
		conns, dur, float64(rss0)/(1<<20), float64(peak)/(1<<20))
	return nil
}

func echoPacket() []byte {
	return []byte(`42["echo","` + strings.Repeat("a", unit-13) + `"]`)
}

// clientFrame is a masked text frame.
func clientFrame(p []byte) []byte {
	mask := [4]byte{1, 2, 3, 4}
	h := []byte{0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(h[2:], uint64(len(p)))
	f := append(h, mask[:]...)
	for i, b := range p {
		f = append(f, b^mask[i%4])
	}
	return f
}

// wsOpen opens a Socket.IO session on WebSocket and joins the main
// namespace.
func wsOpen(addr string) (net.Conn, *bufio.Reader, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprint(c, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		c.Close()
		return nil, nil, fmt.Errorf("upgrade: %v %v", resp, err)
	}
	_, err = c.Write(clientFrame([]byte("40")))
	return c, br, err
}

// postStart opens a polling session, joins the main namespace, and
// returns the connection and a POST carrying an echo event.
func postStart(addr string) (net.Conn, []byte, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReader(c)
	fmt.Fprint(c, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n")
	body, err := readBody(br)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	_, sid, _ := strings.Cut(body, `"sid":"`)
	sid, _, _ = strings.Cut(sid, `"`)
	fmt.Fprintf(c, "POST /socket.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n40", sid)
	if _, err := readBody(br); err != nil {
		c.Close()
		return nil, nil, err
	}
	p := echoPacket()
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST /socket.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", sid, len(p))
	b.Write(p)
	return c, b.Bytes(), nil
}

func readBody(br *bufio.Reader) (string, error) {
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	return b.String(), err
}

// procCPU is the user + system CPU time of process pid.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	_, after, _ := bytes.Cut(b, []byte(") "))
	f := strings.Fields(string(after))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond, nil // USER_HZ is 100 on Linux
}

// procRSS is the resident memory of process pid, in bytes.
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}
