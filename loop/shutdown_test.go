package loop

import (
	"context"
	"testing"
	"time"
)

// TestShutdownPrompt: Shutdown returns as soon as the engine stopped, not
// on gnet's 500 ms poll (an idle server took ~500 ms; Node's io.close ~100).
// The best of three runs, so that a loaded machine does not fail it.
func TestShutdownPrompt(t *testing.T) {
	best := time.Hour
	for i := 0; i < 3; i++ {
		srv, err := New(Config{Addr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Serve() }()
		<-srv.Ready()
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		best = min(best, time.Since(start))
		if err := <-done; err != ErrServerClosed {
			t.Fatalf("Serve: %v, want ErrServerClosed", err)
		}
	}
	// Not a performance bound: 450 ms tells gnet's poll (the old way)
	// from a prompt return (a few ms).
	if best >= 450*time.Millisecond {
		t.Fatalf("Shutdown took %v (best of 3)", best)
	}
}
