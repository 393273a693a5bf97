package sio_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/sioloop/sioloop/loop"
	"github.com/sioloop/sioloop/sio"
)

// Options.Loop reaches the event loops of ListenAndServe.
func TestListenAndServeLoopOptions(t *testing.T) {
	srv := sio.NewServer(&sio.Options{Loop: loop.Config{Loops: 3, MaxHeaderBytes: 1024, Addr: "ignored:1"}})
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe("127.0.0.1:0", nil) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatal(err)
	}
	defer func() { _ = srv.Shutdown(t.Context()); <-done }()
	req, _ := http.NewRequest("GET", "http://"+srv.Addr().String()+"/socket.io/?EIO=4&transport=polling", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 2048))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431 (Loop.MaxHeaderBytes 1024)", resp.StatusCode)
	}
}

// After Shutdown, ListenAndServe returns sio.ErrServerClosed.
func TestListenAndServeErrServerClosed(t *testing.T) {
	srv := sio.NewServer(nil)
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe("127.0.0.1:0", nil) }()
	<-srv.Ready()
	if err := srv.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, sio.ErrServerClosed) {
		t.Fatalf("ListenAndServe after Shutdown: %v, want sio.ErrServerClosed", err)
	}
}
