package sio

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"github.com/bytedance/sonic"
)

// Connection state recovery, as socket.io 4.8 does it: while enabled,
// every EVENT the server emits without an ack id carries one extra
// trailing argument, its offset, and is logged per namespace; a socket
// that disconnects for a recoverable reason leaves its id, pid, rooms and
// data behind; a client that reconnects with {pid, offset} in its CONNECT
// payload gets them back, plus the packets it missed.

var recoverable = map[string]bool{
	ReasonTransportError: true, ReasonTransportClose: true, ReasonForcedClose: true,
	ReasonPingTimeout: true, ReasonServerShutdown: true,
}

type sessionStore struct {
	maxAge  time.Duration
	msgpack bool // ParserMsgpack: logged copies carry their msgpack form

	mu       sync.Mutex
	sessions map[string]*savedSession // by pid
	logs     map[string]*packetLog    // by namespace
}

type savedSession struct {
	nsp   string
	sid   string
	pid   string
	rooms []string
	data  any
	at    time.Time
}

type loggedPacket struct {
	offset string
	rooms  []string
	except []string
	enc    *Encoded // owned copy
	at     time.Time
}

type packetLog struct {
	packets []loggedPacket
}

func newSessionStore(maxAge time.Duration) *sessionStore {
	return &sessionStore{maxAge: maxAge, sessions: make(map[string]*savedSession), logs: make(map[string]*packetLog)}
}

func newOffset() string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// log records an emitted packet and returns its offset.
func (st *sessionStore) log(nsp string, offset string, opts *BroadcastOptions, enc *Encoded) {
	cp := &Encoded{Packet: append([]byte(nil), enc.Packet...)}
	for _, a := range enc.Attachments {
		cp.Attachments = append(cp.Attachments, append([]byte(nil), a...))
	}
	if st.msgpack {
		// Made now: replays to several sockets may run at once.
		if mp := enc.msgpackForm(); mp != nil {
			cp.mp = append([]byte(nil), mp...)
		} else {
			cp.mpFailed = true
		}
	}
	now := time.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	l := st.logs[nsp]
	if l == nil {
		l = &packetLog{}
		st.logs[nsp] = l
	}
	// Drop what nobody can ask for any more.
	cut := 0
	for cut < len(l.packets) && now.Sub(l.packets[cut].at) > st.maxAge {
		cut++
	}
	if cut > 0 {
		l.packets = append(l.packets[:0], l.packets[cut:]...)
	}
	l.packets = append(l.packets, loggedPacket{
		offset: offset,
		rooms:  append([]string(nil), opts.Rooms...),
		except: append([]string(nil), opts.Except...),
		enc:    cp,
		at:     now,
	})
}

// save keeps the state of a socket that disconnected.
func (st *sessionStore) save(s *Socket, reason string) {
	if !recoverable[reason] || s.rec == nil {
		return
	}
	pid := s.rec.pid
	ss := &savedSession{nsp: s.nsp.name, sid: s.id, pid: pid, rooms: s.Rooms(), data: s.Data, at: time.Now()}
	st.mu.Lock()
	st.sessions[pid] = ss
	for pid, o := range st.sessions {
		if time.Since(o.at) > st.maxAge {
			delete(st.sessions, pid)
		}
	}
	st.mu.Unlock()
}

// restore fills s from a saved session named by the CONNECT payload. It
// always gives s a pid; it reports whether the state was recovered.
func (st *sessionStore) restore(s *Socket, auth []byte) bool {
	var a struct {
		PID    string `json:"pid"`
		Offset string `json:"offset"`
	}
	_ = sonic.ConfigStd.Unmarshal(auth, &a)
	if a.PID == "" || a.Offset == "" {
		s.rec = &socketRecovery{pid: newID()}
		return false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	ss := st.sessions[a.PID]
	if ss == nil || ss.nsp != s.nsp.name || time.Since(ss.at) > st.maxAge {
		s.rec = &socketRecovery{pid: newID()}
		return false
	}
	l := st.logs[s.nsp.name]
	idx := -1
	if l != nil {
		for i := range l.packets {
			if l.packets[i].offset == a.Offset {
				idx = i
				break
			}
		}
	}
	if idx < 0 {
		s.rec = &socketRecovery{pid: newID()}
		return false
	}
	delete(st.sessions, a.PID)
	s.id, s.Data = ss.sid, ss.data
	s.rec = &socketRecovery{pid: ss.pid, restoreRooms: ss.rooms}
	for _, p := range l.packets[idx+1:] {
		if p.matches(ss.rooms) {
			s.rec.missed = append(s.rec.missed, p.enc)
		}
	}
	return true
}

func (p *loggedPacket) matches(rooms []string) bool {
	in := func(list []string) bool {
		for _, r := range list {
			for _, x := range rooms {
				if r == x {
					return true
				}
			}
		}
		return false
	}
	if len(p.except) > 0 && in(p.except) {
		return false
	}
	return len(p.rooms) == 0 || in(p.rooms)
}

// replay rejoins the saved rooms and sends the missed packets (before the
// CONNECT reply, as the reference does).
func (st *sessionStore) replay(s *Socket) {
	r := s.rec
	if len(r.restoreRooms) > 0 {
		s.nsp.adapter.AddAll(s, r.restoreRooms)
		r.restoreRooms = nil
	}
	for _, enc := range r.missed {
		s.sendEncoded(enc, false)
	}
	r.missed = nil
}
