// Command idlemem measures a server's memory per idle Engine.IO WebSocket
// connection: it reads the server's VmRSS, opens N direct WebSocket
// sessions (answering pings), waits, reads VmRSS again and prints the
// difference per connection.
//
//	go run ./examples/conformance -addr 127.0.0.1:3000 -ping-interval 25s -ping-timeout 20s &
//	go run ./bench/idlemem -addr 127.0.0.1:3000 -path /engine.io/ -pid $! -n 10000
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/wsframe"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "server address")
	path := flag.String("path", "/engine.io/", "Engine.IO path")
	pid := flag.Int("pid", 0, "server PID (for VmRSS)")
	n := flag.Int("n", 10000, "connections")
	conc := flag.Int("c", 200, "dials in flight")
	settle := flag.Duration("settle", 3*time.Second, "wait before the second reading")
	sio := flag.Bool("sio", false, "also send a Socket.IO CONNECT (40) on each connection")
	flag.Parse()

	before := rss(*pid)
	conns := make([]net.Conn, *n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, *conc)
	var failed int
	var mu sync.Mutex
	start := time.Now()
	for i := 0; i < *n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := open(*addr, *path, *sio)
			if err != nil {
				mu.Lock()
				failed++
				if failed < 5 {
					log.Printf("conn %d: %v", i, err)
				}
				mu.Unlock()
				return
			}
			conns[i] = c
		}(i)
	}
	wg.Wait()
	dial := time.Since(start)
	time.Sleep(*settle)
	after := rss(*pid)
	ok := *n - failed
	fmt.Printf("connections=%d failed=%d dial=%v (%.0f/s)\n", ok, failed, dial.Round(time.Millisecond), float64(ok)/dial.Seconds())
	if *pid != 0 && ok > 0 {
		fmt.Printf("server VmRSS before=%d KiB after=%d KiB per-conn=%.2f KiB\n", before, after, float64(after-before)/float64(ok))
	}
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

func rss(pid int) int {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			v, _ := strconv.Atoi(strings.Fields(line)[1])
			return v
		}
	}
	return 0
}

var mask = [4]byte{1, 2, 3, 4}

func open(addr, path string, sio bool) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c, "GET %s?EIO=4&transport=websocket HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", path, addr)
	br := bufio.NewReaderSize(c, 512)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		c.Close()
		return nil, fmt.Errorf("upgrade: %v", err)
	}
	if _, p, err := frame(br); err != nil || !bytes.HasPrefix(p, []byte("0{")) {
		c.Close()
		return nil, fmt.Errorf("open packet: %v", err)
	}
	if sio {
		c.Write(wsframe.AppendClientFrame(nil, ws.OpText, []byte("40"), mask))
	}
	_ = c.SetReadDeadline(time.Time{})
	go func() { // answer pings, drain the rest
		for {
			op, p, err := frame(br)
			if err != nil {
				return
			}
			if op == ws.OpText && string(p) == "2" {
				c.Write(wsframe.AppendClientFrame(nil, ws.OpText, []byte("3"), mask))
			}
		}
	}()
	return c, nil
}

func frame(br *bufio.Reader) (ws.OpCode, []byte, error) {
	h, err := ws.ReadHeader(br)
	if err != nil {
		return 0, nil, err
	}
	p := make([]byte, h.Length)
	_, err = io.ReadFull(br, p)
	return h.OpCode, p, err
}
