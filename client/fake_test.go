package client

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/sioloop/sioloop/wsframe"
)

// fakeServer is a scripted Engine.IO/Socket.IO server over WebSocket, for
// the behaviours a real server does not show on demand (a silent server,
// a malformed packet). onText answers each text message from the client.
type fakeServer struct {
	*httptest.Server
	mu    sync.Mutex
	conns []net.Conn
}

func newFakeServer(t *testing.T, handshake string, onText func(send func(string), msg string)) *fakeServer {
	f := &fakeServer{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("transport") != "websocket" {
			http.Error(w, `{"code":0,"message":"Transport unknown"}`, http.StatusBadRequest)
			return
		}
		sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + websocketGUID))
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, conn)
		f.mu.Unlock()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n")
		var wmu sync.Mutex
		send := func(s string) {
			wmu.Lock()
			defer wmu.Unlock()
			_, _ = brw.Write(wsframe.AppendFrame(nil, ws.OpText, []byte(s)))
			_ = brw.Flush()
		}
		send("0" + handshake)
		go f.read(brw.Reader, send, onText)
	}))
	t.Cleanup(f.close)
	return f
}

func (f *fakeServer) read(br *bufio.Reader, send func(string), onText func(func(string), string)) {
	var dec wsframe.Decoder
	var buf []byte
	tmp := make([]byte, 4096)
	for {
		n, err := br.Read(tmp)
		if err != nil {
			return
		}
		buf = append(buf, tmp[:n]...)
		for {
			m, k, err := dec.Next(buf)
			if err != nil {
				if err != wsframe.ErrNeedMore {
					return
				}
				buf = buf[k:]
				break
			}
			payload := string(m.Payload)
			buf = buf[k:]
			if m.Op == ws.OpClose {
				return
			}
			if m.Op == ws.OpText && onText != nil {
				onText(send, payload)
			}
		}
	}
}

func (f *fakeServer) close() {
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.Server.Close()
}

// connectOK answers CONNECT packets.
func connectOK(send func(string), msg string) {
	if strings.HasPrefix(msg, "40") {
		send(`40{"sid":"fake-socket"}`)
	}
}

func TestPingTimeout(t *testing.T) {
	// The server never pings: after pingInterval + pingTimeout the client
	// gives up with "ping timeout", then reconnects.
	f := newFakeServer(t, `{"sid":"fake","upgrades":[],"pingInterval":100,"pingTimeout":100,"maxPayload":1000000}`, connectOK)
	s, r := newSocket(t, f.URL, "/", &Options{Transports: []string{TransportWebSocket}, ReconnectionDelay: time.Hour}, nil)
	s.Connect()
	r.waitConnect()
	start := time.Now()
	d := r.waitDisconnect()
	if d.Reason != ReasonPingTimeout {
		t.Fatalf("reason %q", d.Reason)
	}
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Fatalf("ping timeout after %v, want about 200ms", el)
	}
}

func TestPingAnswered(t *testing.T) {
	pongs := make(chan struct{}, 16)
	f := newFakeServer(t, `{"sid":"fake","upgrades":[],"pingInterval":50,"pingTimeout":5000,"maxPayload":1000000}`, func(send func(string), msg string) {
		switch msg {
		case "3":
			pongs <- struct{}{}
		default:
			connectOK(send, msg)
		}
	})
	s, r := newSocket(t, f.URL, "/", &Options{Transports: []string{TransportWebSocket}}, nil)
	pings := make(chan *PingEvent, 16)
	s.Manager().OnPing(func(e *PingEvent) { pings <- e })
	s.Connect()
	r.waitConnect()
	f.mu.Lock()
	conn := f.conns[0]
	f.mu.Unlock()
	_, _ = conn.Write(wsframe.AppendFrame(nil, ws.OpText, []byte("2")))
	recv(t, pongs, "pong")
	recv(t, pings, "OnPing")
}

func TestParseError(t *testing.T) {
	f := newFakeServer(t, `{"sid":"fake","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`, func(send func(string), msg string) {
		connectOK(send, msg)
		if strings.HasPrefix(msg, "40") {
			send(`42["disconnect"]`) // a reserved event name: the parser refuses it
		}
	})
	s, r := newSocket(t, f.URL, "/", &Options{Transports: []string{TransportWebSocket}, NoReconnection: true}, nil)
	s.Connect()
	r.waitConnect()
	if d := r.waitDisconnect(); d.Reason != ReasonParseError {
		t.Fatalf("reason %q", d.Reason)
	}
}
