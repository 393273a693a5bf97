package eio

import (
	"sync"

	"github.com/sioloop/sioloop/internal/httpx"
)

// Asynchronous handshake checks (Options.AllowRequestAsync).
//
// The check gets a copy of the request that stays valid and answers by
// calling done once, from any goroutine. A decision made before the check
// returns is applied at once, as AllowRequest's. Otherwise the request
// stays pending (as a held GET does: the event loop goes on with other
// connections) and is answered when done is called: with the 403 or the
// polling open packet, or, for a WebSocket handshake, with the 101 and the
// session, through the ResponseWriter's Deferrer form.

// Deferrer is a ResponseWriter that can answer its request after
// HandleRequest returned (Options.AllowRequestAsync). Defer, called during
// HandleRequest, returns resume: resume(fn), called once from any
// goroutine, runs fn on the goroutine that serves the request's
// connection (its event loop), with a writer for the request that works
// there as the one HandleRequest got did, Upgrade included. Both network
// layers of this module implement it.
type Deferrer interface {
	Defer() (resume func(fn func(w ResponseWriter)))
}

// detach returns a copy of r that does not alias the network layer's
// buffers.
func (r *Request) detach() *Request {
	d := *r
	d.Method = append([]byte(nil), r.Method...)
	d.Path = append([]byte(nil), r.Path...)
	d.RawQuery = append([]byte(nil), r.RawQuery...)
	d.RawHeaders = append([]byte(nil), r.RawHeaders...)
	d.Body = append([]byte(nil), r.Body...)
	d.Headers = rawHeaders(string(d.RawHeaders))
	return &d
}

// rawHeaders reads headers from a detached request's header block.
type rawHeaders string

func (h rawHeaders) Header(name string) []byte {
	v := httpx.HeaderValue(string(h), name)
	if v == "" {
		return nil
	}
	return []byte(v)
}

// allowAsync runs Options.AllowRequestAsync for a handshake, then the
// handshake itself or the refusal, now or later.
func (s *Server) allowAsync(r *Request, w ResponseWriter, protocol uint8, isWS bool, hdr []HeaderField) {
	d := r.detach()
	var (
		mu       sync.Mutex
		returned bool  // the check returned without a decision
		decided  bool  // done was called
		verdict  error // done's argument
		resume   func(func(ResponseWriter))
	)
	apply := func(w ResponseWriter, err error) {
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				e = ErrForbidden
			}
			s.refuse(d, w, e, hdr)
			return
		}
		s.handshake(d, w, protocol, isWS, hdr)
	}
	s.opts.AllowRequestAsync(d, func(err error) {
		mu.Lock()
		if decided {
			mu.Unlock()
			return
		}
		decided, verdict = true, err
		now := returned
		mu.Unlock()
		if now {
			resume(func(w ResponseWriter) { apply(w, err) })
		}
	})
	mu.Lock()
	if decided {
		mu.Unlock()
		apply(w, verdict) // decided during the call: on this goroutine, as AllowRequest
		return
	}
	if df, ok := w.(Deferrer); ok {
		resume = df.Defer()
	} else {
		// A network layer without it: answer from the deciding goroutine
		// (a polling answer works; an upgrade may not).
		resume = func(fn func(ResponseWriter)) { fn(w) }
	}
	returned = true
	mu.Unlock()
}
