package loop

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sioloop/sioloop/eio"
)

// TestFDChild is the server of TestDescriptorExhaustion, run in a child
// process with a low descriptor limit (it does nothing in a normal run).
func TestFDChild(t *testing.T) {
	limit, _ := strconv.Atoi(os.Getenv("LOOP_FD_CHILD_LIMIT"))
	if limit == 0 {
		t.Skip("the child process of TestDescriptorExhaustion")
	}
	rl := syscall.Rlimit{Cur: uint64(limit), Max: uint64(limit)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	maxConns, _ := strconv.Atoi(os.Getenv("LOOP_FD_CHILD_MAXCONNS"))
	es := eio.NewServer(&eio.Options{PingInterval: time.Minute})
	es.OnConnection(func(s *eio.Session) { s.SetHandler(echo{}) })
	srv, err := New(Config{Addr: "127.0.0.1:0", Loops: 2, MaxConnections: maxConns, IdleTimeout: time.Minute, HeaderTimeout: time.Minute,
		Routes: []Route{{Prefix: "/engine.io/", Server: es}},
		Logf:   func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	<-srv.Ready()
	fmt.Printf("addr %s\n", srv.Addr())
	go func() { // "refused?" on stdin: print the count; EOF: stop
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			fmt.Printf("refused %d conns %d\n", srv.Refused(), srv.Conns())
		}
		_ = srv.Shutdown(context.Background())
	}()
	err = <-done
	fmt.Printf("serve returned: %v\n", err)
}

// With few descriptors the server keeps the connections it has, refuses
// the excess with 503 (by MaxConnections, or when accept(2) fails with
// EMFILE), and accepts again once descriptors free up; Serve returns
// ErrServerClosed only at Shutdown.
func TestDescriptorExhaustion(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	for _, tc := range []struct {
		name     string
		maxConns int
	}{{"EMFILE", -1}, {"MaxConnections", 20}} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestFDChild$", "-test.v")
			cmd.Env = append(os.Environ(), "LOOP_FD_CHILD_LIMIT=64", "LOOP_FD_CHILD_MAXCONNS="+strconv.Itoa(tc.maxConns))
			cmd.Stderr = os.Stderr
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			out := bufio.NewReader(stdout)
			var addr string
			for addr == "" {
				line, err := out.ReadString('\n')
				if err != nil {
					t.Fatalf("child: %v", err)
				}
				if a, ok := strings.CutPrefix(strings.TrimSpace(line), "addr "); ok {
					addr = a
				}
			}
			// Open more connections than the child has descriptors.
			var open []net.Conn
			var readers []*bufio.Reader
			refused := 0
			for i := 0; i < 80; i++ {
				t0 := time.Now()
				c, br, status := handshakeOn(t, addr)
				if status != 200 {
					t.Logf("conn %d: status %d after %v", i, status, time.Since(t0).Round(time.Millisecond))
				}
				switch status {
				case 200:
					open = append(open, c)
					readers = append(readers, br)
				case 503:
					refused++
					if c != nil {
						c.Close()
					}
				default:
					t.Fatalf("connection %d: status %d", i, status)
				}
			}
			t.Logf("%d served, %d refused", len(open), refused)
			fmt.Fprintln(stdin, "refused?")
			l, _ := out.ReadString('\n')
			t.Logf("child: %s", l)
			if len(open) < 10 || refused == 0 {
				t.Fatalf("%d served, %d refused: want both", len(open), refused)
			}
			if tc.maxConns > 0 && len(open) != tc.maxConns {
				t.Errorf("%d served, want MaxConnections %d", len(open), tc.maxConns)
			}
			// The connections already open are still served.
			bad := 0
			for i, c := range open {
				if st := requestOn(c, readers[i]); st != 200 {
					t.Errorf("open connection %d after the refusals: status %d", i, st)
					bad++
				}
			}
			if bad > 0 {
				t.FailNow()
			}
			// Free descriptors: new connections are served again.
			for _, c := range open {
				c.Close()
			}
			start := time.Now()
			for {
				c, _, st := handshakeOn(t, addr)
				if c != nil {
					c.Close()
				}
				if st == 200 {
					break
				}
				if time.Since(start) > 10*time.Second {
					t.Fatalf("no connection served 10 s after descriptors freed up (last status %d)", st)
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Logf("served again %v after the connections closed", time.Since(start).Round(time.Millisecond))
			fmt.Fprintln(stdin, "refused?")
			line, _ := out.ReadString('\n')
			if n, _ := strconv.Atoi(strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "refused "))[0]); n == 0 {
				t.Errorf("child counted no refusal: %q", line)
			}
			stdin.Close()
			rest, _ := io.ReadAll(out)
			if !strings.Contains(string(rest), "serve returned: loop: server closed") {
				t.Errorf("Serve after Shutdown: %q", rest)
			}
		})
	}
}

// handshakeOn dials addr and sends an Engine.IO handshake: the connection,
// its reader and the status (0: no answer).
func handshakeOn(t *testing.T, addr string) (net.Conn, *bufio.Reader, int) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, nil, 0
	}
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	br := bufio.NewReader(c)
	return c, br, requestOn(c, br)
}

func requestOn(c net.Conn, br *bufio.Reader) int {
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(c, handshake); err != nil {
		return 0
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	return resp.StatusCode
}
