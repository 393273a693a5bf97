package main

import (
	"net/http"
	"os"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sioloop/sioloop/admin"
	"github.com/sioloop/sioloop/sio"
)

// app is a small chat server watched by the Admin UI: sockets "join" a
// room (acknowledged) and "say" something to it.
type app struct {
	srv   *sio.Server
	admin *admin.Instrumentation
	site  http.Handler // the UI's static files
}

type config struct {
	ui                 string // folder of the UI's build (ui/dist of @socket.io/admin-ui)
	user, password     string // empty password: no login (admin.Options.NoAuth)
	serverID           string
	production         bool
	onDisconnect       func(s *sio.Socket, reason string) // tests
	statsIntervalTests bool                               // tests: reports every 100 ms
}

func newApp(c config) (*app, error) {
	srv := sio.NewServer(nil)
	srv.OnConnection(func(s *sio.Socket) {
		s.On("join", func(e *sio.Event) {
			room, ok := e.String(0)
			if !ok || room == "" || len(room) > 64 {
				_ = e.Ack(false)
				return
			}
			s.Join(room)
			_ = e.Ack(true)
		})
		s.On("say", func(e *sio.Event) {
			room, _ := e.String(0)
			if s.InRoom(room) {
				_ = s.To(room).Emit("said", s.ID(), sio.RawJSON(e.Raw(1)))
			}
		})
		if c.onDisconnect != nil {
			s.OnDisconnect(func(reason string) { c.onDisconnect(s, reason) })
		}
	})

	opts := admin.Options{ServerID: c.serverID, Mode: admin.Development}
	if c.production {
		opts.Mode = admin.Production
	}
	if c.password == "" {
		opts.NoAuth = true
	} else {
		hash, err := bcrypt.GenerateFromPassword([]byte(c.password), bcrypt.DefaultCost)
		if err != nil {
			return nil, err
		}
		opts.Auth = &admin.BasicAuth{Username: c.user, PasswordHash: string(hash)}
	}
	if c.statsIntervalTests {
		opts.StatsInterval = 100 * time.Millisecond
	}
	a, err := admin.Instrument(srv, opts)
	if err != nil {
		return nil, err
	}
	return &app{srv: srv, admin: a, site: http.FileServer(http.FS(os.DirFS(c.ui)))}, nil
}

// serve listens on addr: Socket.IO at /socket.io/, the UI at /.
func (a *app) serve(addr string) error { return a.srv.ListenAndServe(addr, a.site) }
