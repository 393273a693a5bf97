package main

import (
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sioloop/sioloop/sio"
)

// The chat protocol (client → server):
//
//	join    {name, room}, with an ack → {name, room, users} or {error}
//	message text
//	typing  true | false
//
// and server → client:
//
//	message {id, from, text, time}   to the whole room, the sender included
//	typing  {name, typing}           to the room but the sender
//	joined  {name, online}           to the room but the newcomer
//	left    {name, online}           to the room, once a member is gone
const (
	maxName = 32
	maxText = 1000
)

type member struct{ name, room string }

// chat is the application: who is in which room. Handlers of one socket
// run in order on its event loop; different sockets run concurrently, so
// the membership table has a lock.
type chat struct {
	srv *sio.Server

	mu      sync.Mutex
	members map[*sio.Socket]member

	// observe, when set (tests), sees every message before its broadcast.
	observe func(s *sio.Socket, text string)
}

func newChat(o *sio.Options) *chat {
	c := &chat{srv: sio.NewServer(o), members: make(map[*sio.Socket]member)}
	c.srv.OnConnection(c.onConnection)
	return c
}

// roomKey keeps chat rooms apart from the rooms named after socket ids.
func roomKey(room string) string { return "chat:" + room }

type joinRequest struct {
	Name string `json:"name"`
	Room string `json:"room"`
}

type joinReply struct {
	Name  string   `json:"name,omitempty"`
	Room  string   `json:"room,omitempty"`
	Users []string `json:"users,omitempty"`
	Error string   `json:"error,omitempty"`
}

type presence struct {
	Name   string `json:"name"`
	Online int    `json:"online"`
}

type chatMessage struct {
	ID   string `json:"id"`
	From string `json:"from"`
	Text string `json:"text"`
	Time int64  `json:"time"` // Unix milliseconds
}

type typingNotice struct {
	Name   string `json:"name"`
	Typing bool   `json:"typing"`
}

func (c *chat) onConnection(s *sio.Socket) {
	s.On("join", func(e *sio.Event) {
		var req joinRequest
		if err := e.Decode(0, &req); err != nil {
			_ = e.Ack(joinReply{Error: "bad join request"})
			return
		}
		_ = e.Ack(c.join(s, req))
	})
	s.On("message", func(e *sio.Event) {
		text, ok := e.String(0)
		text = strings.TrimSpace(text)
		m, joined := c.member(s)
		if !ok || !joined || text == "" {
			return
		}
		if utf8.RuneCountInString(text) > maxText {
			text = string([]rune(text)[:maxText])
		}
		if c.observe != nil {
			c.observe(s, text)
		}
		_ = c.srv.To(roomKey(m.room)).Emit("message", chatMessage{
			ID: s.ID(), From: m.name, Text: text, Time: time.Now().UnixMilli(),
		})
	})
	s.On("typing", func(e *sio.Event) {
		if m, joined := c.member(s); joined {
			_ = s.To(roomKey(m.room)).Emit("typing", typingNotice{Name: m.name, Typing: string(e.Raw(0)) == "true"})
		}
	})
	// Called once the socket has left its rooms: the notice reaches the
	// others only.
	s.OnDisconnect(func(string) { c.leave(s) })
}

func (c *chat) member(s *sio.Socket) (member, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.members[s]
	return m, ok
}

// join puts s in req.Room under req.Name, leaving its previous room.
func (c *chat) join(s *sio.Socket, req joinRequest) joinReply {
	name, room := strings.TrimSpace(req.Name), strings.TrimSpace(req.Room)
	if msg := checkLabel("name", name); msg != "" {
		return joinReply{Error: msg}
	}
	if msg := checkLabel("room", room); msg != "" {
		return joinReply{Error: msg}
	}
	c.mu.Lock()
	old, had := c.members[s]
	if had && old.room == room && old.name == name {
		users := c.usersLocked(room)
		c.mu.Unlock()
		return joinReply{Name: name, Room: room, Users: users}
	}
	for o, m := range c.members {
		if o != s && m.room == room && strings.EqualFold(m.name, name) {
			c.mu.Unlock()
			return joinReply{Error: "“" + name + "” is already taken in #" + room}
		}
	}
	c.members[s] = member{name: name, room: room}
	users := c.usersLocked(room)
	oldOnline := 0
	if had {
		oldOnline = len(c.usersLocked(old.room))
	}
	c.mu.Unlock()

	if had {
		s.Leave(roomKey(old.room))
		_ = c.srv.To(roomKey(old.room)).Emit("left", presence{Name: old.name, Online: oldOnline})
	}
	s.Join(roomKey(room))
	_ = s.To(roomKey(room)).Emit("joined", presence{Name: name, Online: len(users)})
	return joinReply{Name: name, Room: room, Users: users}
}

// leave forgets a disconnected socket and tells its room.
func (c *chat) leave(s *sio.Socket) {
	c.mu.Lock()
	m, ok := c.members[s]
	if !ok {
		c.mu.Unlock()
		return
	}
	delete(c.members, s)
	online := len(c.usersLocked(m.room))
	c.mu.Unlock()
	_ = c.srv.To(roomKey(m.room)).Emit("left", presence{Name: m.name, Online: online})
}

// usersLocked lists the names in room, sorted. c.mu is held.
func (c *chat) usersLocked(room string) []string {
	var names []string
	for _, m := range c.members {
		if m.room == room {
			names = append(names, m.name)
		}
	}
	sort.Strings(names)
	return names
}

// checkLabel validates a name or room: 1 to maxName characters, printable.
func checkLabel(what, v string) string {
	if v == "" {
		return "Pick a " + what + "."
	}
	if utf8.RuneCountInString(v) > maxName {
		return "The " + what + " is too long."
	}
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return "The " + what + " has characters that cannot be shown."
		}
	}
	return ""
}
