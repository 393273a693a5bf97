package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"

	"github.com/sioloop/sioloop/eio"
)

// polling is the HTTP long-polling transport: one GET at a time waits for
// server packets, one POST at a time carries client packets, as the
// official client's Polling/XHR transports do.
type polling struct {
	transportBase
	ctx    context.Context // ends the requests when the transport is done
	cancel context.CancelFunc

	polling    bool // a GET is in flight
	canWrite   bool // no POST is in flight (and the transport is open)
	onPollDone []func()
	onDrain    []func()
}

func newPolling(m *Manager, query map[string][]string) *polling {
	ctx, cancel := context.WithCancel(m.ctx)
	return &polling{transportBase: transportBase{m: m, query: query}, ctx: ctx, cancel: cancel}
}

func (t *polling) name() string    { return TransportPolling }
func (t *polling) writable() bool  { return t.canWrite }
func (t *polling) open()           { t.state = tsOpening; t.poll() }
func (t *polling) isOpenish() bool { return t.state == tsOpening || t.state == tsOpen }

func (t *polling) pause(onPause func()) {
	t.state = tsPausing
	pause := func() {
		t.state = tsPaused
		onPause()
	}
	if !t.polling && t.canWrite {
		pause()
		return
	}
	total := 0
	done := func() {
		total--
		if total == 0 {
			pause()
		}
	}
	if t.polling {
		total++
		t.onPollDone = append(t.onPollDone, done)
	}
	if !t.canWrite {
		total++
		t.onDrain = append(t.onDrain, done)
	}
}

// resume undoes pause after a failed upgrade.
func (t *polling) resume() {
	if t.state != tsPausing && t.state != tsPaused {
		return
	}
	t.state = tsOpen
	t.onPollDone = nil
	t.onDrain = nil
	if !t.polling {
		t.poll()
	}
}

func (t *polling) poll() {
	t.polling = true
	u := t.endpoint(false, "t", randomString())
	t.m.spawn(func() { t.doPoll(u) })
}

// doPoll runs one GET on its own goroutine.
func (t *polling) doPoll(u string) {
	body, err := t.request(http.MethodGet, u, nil)
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	if t.state == tsClosed {
		t.m.closeIdle()
		return
	}
	if err != nil {
		t.reportError(t, transportErr("xhr poll error", err))
		return
	}
	t.onData(body)
}

// onData handles a GET response: a v4 payload, decoded in place.
func (t *polling) onData(body []byte) {
	for rest := body; rest != nil; {
		p, r, err := eio.NextPayloadPacket(rest)
		if err != nil {
			t.reportError(t, &TransportError{Reason: "server error", Err: err})
			return
		}
		rest = r
		if t.state == tsOpening && p.Type == eio.PacketOpen {
			t.canWrite = true
			t.reportOpen(t)
		}
		if p.Type == eio.PacketClose {
			t.finish()
			t.reportClose(t, errors.New("transport closed by the server"))
			return
		}
		t.reportPacket(t, p)
		if t.state == tsClosed {
			return
		}
	}
	t.polling = false
	waiters := t.onPollDone
	t.onPollDone = nil
	for _, w := range waiters {
		w()
	}
	if t.state == tsOpen {
		t.poll()
	}
}

func (t *polling) send(pkts []eio.Packet) bool {
	t.canWrite = false
	var body []byte
	for i, p := range pkts {
		body = eio.AppendPayloadPacket(body, p, i > 0)
	}
	u := t.endpoint(false, "t", randomString())
	t.m.spawn(func() { t.doWrite(u, body) })
	return false
}

// doWrite runs one POST on its own goroutine.
func (t *polling) doWrite(u string, body []byte) {
	_, err := t.request(http.MethodPost, u, body)
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	if t.state == tsClosed {
		return
	}
	if err != nil {
		t.reportError(t, transportErr("xhr post error", err))
		return
	}
	t.canWrite = true
	// The engine drops the sent packets first, then a pause may finish
	// (the official client's listeners run in that order).
	t.reportDrain(t)
	waiters := t.onDrain
	t.onDrain = nil
	for _, w := range waiters {
		w()
	}
}

func (t *polling) close() {
	if !t.isOpenish() && t.state != tsPausing && t.state != tsPaused {
		return
	}
	if t.state == tsOpen {
		// Tell the server, then end the GET still waiting (the official
		// client writes the close packet and lets the GET run out).
		body := eio.AppendPayloadPacket(nil, eio.Packet{Type: eio.PacketClose}, false)
		u := t.endpoint(false, "t", randomString())
		t.m.spawn(func() {
			_, _ = t.request(http.MethodPost, u, body)
			t.cancel()
			t.m.closeIdle()
		})
	} else {
		t.cancel()
	}
	t.finish()
	t.reportClose(t, nil)
}

// finish marks the transport done; requests in flight report nothing.
func (t *polling) finish() {
	t.state = tsClosed
	t.canWrite = false
	t.onPollDone, t.onDrain = nil, nil
	if t.polling {
		// The GET is abandoned; a close packet ended the session anyway.
		t.polling = false
	}
}

// request sends one polling request and returns the response body (GET)
// or nil (POST). It runs without Manager.mu.
func (t *polling) request(method, u string, body []byte) ([]byte, error) {
	ctx := t.ctx
	if method == http.MethodPost {
		if d := t.m.opts.Timeout; d > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range t.m.opts.Header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := t.m.httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	limit := int64(t.m.opts.MaxMessage)
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &httpStatusError{code: resp.StatusCode, body: b[:min(len(b), 512)]}
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("response body over %d bytes", limit)
	}
	if method == http.MethodPost {
		return nil, nil
	}
	return b, nil
}

type httpStatusError struct {
	code int
	body []byte
}

func (e *httpStatusError) Error() string { return fmt.Sprintf("HTTP %d", e.code) }

// transportErr builds the TransportError of a failed request.
func transportErr(reason string, err error) *TransportError {
	var se *httpStatusError
	if errors.As(err, &se) {
		return &TransportError{Reason: reason, StatusCode: se.code, Body: se.body}
	}
	return &TransportError{Reason: reason, Err: err}
}

// randomString is the cache-busting "t" parameter of polling requests.
func randomString() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
	var b [8]byte
	r := rand.Uint64()
	for i := range b {
		b[i] = alphabet[r&63]
		r >>= 6
	}
	return string(b[:])
}
