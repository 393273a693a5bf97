package sio_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"time"

	"github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/sio"
)

// serve runs srv on a free loopback port and returns its URL.
func serve(srv *sio.Server) (url string, stop func()) {
	go func() { _ = srv.ListenAndServe("127.0.0.1:0", nil) }()
	<-srv.Ready()
	return "http://" + srv.Addr().String(), func() { _ = srv.Shutdown(context.Background()) }
}

// dial connects a Go client to the main namespace (or the URL's path).
func dial(url string, handlers func(s *client.Socket)) *client.Socket {
	s, err := client.New(url, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	connected := make(chan struct{})
	s.OnConnect(func(*client.ConnectEvent) { close(connected) })
	if handlers != nil {
		handlers(s)
	}
	s.Connect()
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		panic("client did not connect within 10 s")
	}
	return s
}

// The chat of the README: messages go to everyone but the sender, rooms
// are joined on request and addressed with To.
func Example() {
	srv := sio.NewServer(nil)
	srv.OnConnection(func(s *sio.Socket) {
		s.On("chat", func(e *sio.Event) {
			msg, _ := e.String(0)
			_ = s.Broadcast().Emit("chat", msg) // everyone but the sender
			_ = e.Ack("ok")                     // if the client asked for an ack
		})
		s.On("join", func(e *sio.Event) {
			room, _ := e.String(0)
			s.Join(room)
			_ = srv.To(room).Emit("joined", room)
			_ = e.Ack()
		})
	})
	url, stop := serve(srv)
	defer stop()

	got := make(chan string, 4)
	alice := dial(url, nil)
	defer alice.Manager().Close()
	bob := dial(url, func(s *client.Socket) {
		s.On("chat", func(e *client.Event) { m, _ := e.String(0); got <- "bob got chat: " + m })
		s.On("joined", func(e *client.Event) { r, _ := e.String(0); got <- "bob sees join of " + r })
	})
	defer bob.Manager().Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, _ := alice.EmitWithAck(ctx, "chat", "hello")
	ack, _ := res.String(0)
	fmt.Println("alice's ack:", ack)
	fmt.Println(<-got)
	_, _ = bob.EmitWithAck(ctx, "join", "gophers")
	fmt.Println(<-got)
	// Output:
	// alice's ack: ok
	// bob got chat: hello
	// bob sees join of gophers
}

// A namespace middleware refuses a connection: the client's connect_error
// carries the message and the data.
func ExampleNamespace_Use() {
	srv := sio.NewServer(nil)
	srv.Of("/admin").Use(func(s *sio.Socket, next func(error)) {
		var auth struct{ Token string }
		if s.Handshake().DecodeAuth(&auth) == nil && auth.Token == "secret" {
			next(nil)
			return
		}
		next(&sio.ConnectError{Message: "not authorized", Details: map[string]any{"retry": false}})
	})
	url, stop := serve(srv)
	defer stop()

	s, _ := client.New(url+"/admin", &client.Options{NoReconnection: true}, nil)
	defer s.Manager().Close()
	refused := make(chan *client.ConnectError, 1)
	s.OnConnectError(func(e *client.ConnectError) { refused <- e })
	s.Connect()
	e := <-refused
	fmt.Println(e.Message, string(e.Data))
	// Output: not authorized {"retry":false}
}

// The server asks a client for an acknowledgement, with a timeout.
func ExampleSocket_Timeout() {
	srv := sio.NewServer(nil)
	answers := make(chan string, 1)
	srv.OnConnection(func(s *sio.Socket) {
		_ = s.Timeout(2*time.Second).Emit("question", "ready?", sio.AckFunc(func(res *sio.Args, err error) {
			if err != nil {
				answers <- err.Error()
				return
			}
			a, _ := res.String(0)
			answers <- a
		}))
	})
	url, stop := serve(srv)
	defer stop()
	c := dial(url, func(s *client.Socket) {
		s.On("question", func(e *client.Event) { _ = e.Ack("yes") })
	})
	defer c.Manager().Close()
	fmt.Println(<-answers)
	// Output: yes
}

// A broadcast with acknowledgements collects every recipient's answer.
func ExampleBroadcastOperator_Emit() {
	srv := sio.NewServer(nil)
	url, stop := serve(srv)
	defer stop()
	for _, name := range []string{"a", "b", "c"} {
		c := dial(url, func(s *client.Socket) {
			s.On("poll", func(e *client.Event) { _ = e.Ack(name) })
		})
		defer c.Manager().Close()
	}
	done := make(chan []string, 1)
	_ = srv.Timeout(2*time.Second).Emit("poll", sio.MultiAckFunc(func(res []*sio.Args, err error) {
		var names []string
		for _, r := range res {
			n, _ := r.String(0)
			names = append(names, n)
		}
		sort.Strings(names)
		done <- names
	}))
	fmt.Println(<-done)
	// Output: [a b c]
}

// Mounted in an existing net/http server (the slower path; same protocol).
func ExampleServer_ServeHTTP() {
	srv := sio.NewServer(nil)
	srv.OnConnection(func(s *sio.Socket) { _ = s.Emit("hello", s.Handshake().Header("User-Agent") != "") })
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	hs := httptest.NewServer(mux)
	defer hs.Close()
	defer srv.Close()

	got := make(chan bool, 1)
	c := dial(hs.URL, func(s *client.Socket) {
		s.On("hello", func(e *client.Event) {
			var v bool
			_ = e.Decode(0, &v)
			got <- v
		})
	})
	defer c.Manager().Close()
	fmt.Println("hello with a user agent:", <-got)
	// Output: hello with a user agent: true
}

// Relaying an event costs no JSON work: &e.Args re-emits the received
// arguments (raw JSON and binary attachments) unchanged.
func ExampleEvent_relay() {
	srv := sio.NewServer(nil)
	srv.OnConnection(func(s *sio.Socket) {
		s.On("echo", func(e *sio.Event) { _ = s.Emit("echo", &e.Args) })
	})
	url, stop := serve(srv)
	defer stop()
	got := make(chan string, 1)
	c := dial(url, func(s *client.Socket) {
		s.On("echo", func(e *client.Event) {
			got <- fmt.Sprintf("%s %s %v", e.Raw(0), e.Raw(1), e.Bytes(2))
		})
	})
	defer c.Manager().Close()
	_ = c.Emit("echo", map[string]any{"k": 1}, "text", []byte{1, 2, 3})
	fmt.Println(<-got)
	// Output: {"k":1} "text" [1 2 3]
}
