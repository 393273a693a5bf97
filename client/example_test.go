package client_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/loop"
	"github.com/sioloop/sioloop/sio"
)

// exampleServer starts a sioloop server on a free port for the examples:
// "greet" is acknowledged with a greeting, "upload" with the size of its
// binary argument, "/admin" refuses connections without a token.
func exampleServer() (url string, stop func()) {
	srv := sio.NewServer(nil)
	srv.OnConnection(func(s *sio.Socket) {
		_ = s.Emit("welcome", "hello from the server")
		s.On("greet", func(e *sio.Event) {
			name, _ := e.String(0)
			_ = e.Ack("hello, " + name)
		})
		s.On("upload", func(e *sio.Event) {
			_ = e.Ack(len(e.Bytes(0)))
		})
	})
	srv.Of("/admin").Use(func(s *sio.Socket, next func(error)) {
		next(&sio.ConnectError{Message: "forbidden", Details: map[string]any{"retry": false}})
	})
	ls, err := loop.New(loop.Config{Addr: "127.0.0.1:0", Loops: 1,
		Routes: []loop.Route{{Prefix: srv.Path(), Server: srv.Engine()}}})
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = ls.Serve() }()
	<-ls.Ready()
	return "http://" + ls.Addr().String(), func() {
		_ = ls.Shutdown(context.Background())
		srv.Close()
	}
}

func Example() {
	url, stop := exampleServer()
	defer stop()

	s, err := client.New(url, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Manager().Close()

	welcome := make(chan string, 1)
	s.On("welcome", func(e *client.Event) {
		msg, _ := e.String(0)
		welcome <- msg
	})
	s.Connect() // returns at once; emits are buffered until connected

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := s.EmitWithAck(ctx, "greet", "gopher")
	if err != nil {
		log.Fatal(err)
	}
	answer, _ := res.String(0)
	fmt.Println(<-welcome)
	fmt.Println(answer)
	// Output:
	// hello from the server
	// hello, gopher
}

func ExampleSocket_Timeout() {
	url, stop := exampleServer()
	defer stop()
	s, _ := client.New(url, nil, nil)
	defer s.Manager().Close()
	s.Connect()

	done := make(chan struct{})
	// The callback runs on the Manager's callback goroutine.
	_ = s.Timeout(5*time.Second).Emit("greet", "callback", client.AckFunc(func(res *client.Args, err error) {
		if err != nil {
			fmt.Println("no answer:", err)
		} else {
			msg, _ := res.String(0)
			fmt.Println(msg)
		}
		close(done)
	}))
	<-done
	// Output: hello, callback
}

func ExampleArgs_Bytes() {
	url, stop := exampleServer()
	defer stop()
	s, _ := client.New(url, nil, nil)
	defer s.Manager().Close()
	s.Connect()

	// []byte travels as a binary attachment; Emit copies it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := s.EmitWithAck(ctx, "upload", make([]byte, 1024))
	if err != nil {
		log.Fatal(err)
	}
	var n int
	_ = res.Decode(0, &n)
	fmt.Println("server got", n, "bytes")
	// Output: server got 1024 bytes
}

func ExampleManager_Socket() {
	url, stop := exampleServer()
	defer stop()
	// One connection, two namespaces.
	m, _ := client.NewManager(url, &client.Options{Transports: []string{client.TransportWebSocket}})
	defer m.Close()
	main, _ := m.Socket("/", nil)
	admin, _ := m.Socket("/admin", &client.SocketOptions{Auth: map[string]any{"token": "?"}})

	refused := make(chan *client.ConnectError, 1)
	admin.OnConnectError(func(e *client.ConnectError) { refused <- e })
	connected := make(chan struct{}, 1)
	main.OnConnect(func(*client.ConnectEvent) { connected <- struct{}{} })
	main.Connect()
	admin.Connect()

	<-connected
	e := <-refused
	fmt.Printf("/admin refused: %s, data %s\n", e.Message, e.Data)
	// Output: /admin refused: forbidden, data {"retry":false}
}
