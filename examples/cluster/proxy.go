package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
)

// proxy spreads new Engine.IO sessions over the nodes (round robin) and
// keeps every later request of a session on the node that opened it: it
// learns the session id from the handshake's answer (`0{"sid":"…",…}`,
// the first packet of a polling handshake's body) and routes by the sid
// query parameter. A WebSocket connection opened without a sid needs no
// routing beyond its own TCP connection. Sessions unused for idleTTL are
// forgotten.
type proxy struct {
	backends []*httputil.ReverseProxy
	next     atomic.Uint64

	mu   sync.Mutex
	sids map[string]*route
}

type route struct {
	node int
	seen time.Time
}

const idleTTL = 2 * time.Minute

var sidRe = regexp.MustCompile(`^(?:[0-9]+:)?0\{"sid":"([^"]+)"`)

func newProxy(addrs []string) *proxy {
	p := &proxy{sids: make(map[string]*route)}
	for i, a := range addrs {
		u := &url.URL{Scheme: "http", Host: a}
		rp := httputil.NewSingleHostReverseProxy(u)
		node := i
		rp.ModifyResponse = func(resp *http.Response) error { return p.learn(resp, node) }
		p.backends = append(p.backends, rp)
	}
	go p.sweep()
	return p
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	node := -1
	if sid := r.URL.Query().Get("sid"); sid != "" {
		p.mu.Lock()
		if rt := p.sids[sid]; rt != nil {
			rt.seen, node = time.Now(), rt.node
		}
		p.mu.Unlock()
	}
	if node < 0 {
		node = int(p.next.Add(1)-1) % len(p.backends)
		if r.URL.Query().Get("EIO") != "" && r.URL.Query().Get("sid") == "" {
			// A handshake: its answer is read for the sid, so ask for it
			// uncompressed.
			r.Header.Del("Accept-Encoding")
		}
	}
	p.backends[node].ServeHTTP(w, r)
}

// learn records the sid of a polling handshake's answer.
func (p *proxy) learn(resp *http.Response, node int) error {
	q := resp.Request.URL.Query()
	if q.Get("EIO") == "" || q.Get("sid") != "" || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if m := sidRe.FindSubmatch(body); m != nil {
		p.mu.Lock()
		p.sids[string(m[1])] = &route{node: node, seen: time.Now()}
		p.mu.Unlock()
	}
	return nil
}

func (p *proxy) sweep() {
	for range time.Tick(idleTTL / 2) {
		p.mu.Lock()
		for sid, rt := range p.sids {
			if time.Since(rt.seen) > idleTTL {
				delete(p.sids, sid)
			}
		}
		p.mu.Unlock()
	}
}
