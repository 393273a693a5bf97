package sio_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/sio"
)

// recorder is an Observer that writes every callback as one line.
type recorder struct {
	mu    sync.Mutex
	lines []string
	seen  chan string
}

func (r *recorder) add(format string, args ...any) {
	l := fmt.Sprintf(format, args...)
	r.mu.Lock()
	r.lines = append(r.lines, l)
	r.mu.Unlock()
	select {
	case r.seen <- l:
	default:
	}
}

// wait blocks until a line starting with prefix was recorded.
func (r *recorder) wait(t *testing.T, prefix string) {
	t.Helper()
	for {
		r.mu.Lock()
		found := slices.ContainsFunc(r.lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
		r.mu.Unlock()
		if found {
			return
		}
		select {
		case <-r.seen:
		case <-time.After(10 * time.Second):
			t.Fatalf("no %q in %q", prefix, r.all())
		}
	}
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lines)
}

func (r *recorder) SessionOpened(s *eio.Session)   { r.add("open %s", s.Transport()) }
func (r *recorder) SessionUpgraded(s *eio.Session) { r.add("upgrade %s", s.Transport()) }
func (r *recorder) SessionClosed(s *eio.Session, reason string) {
	r.add("close") // "transport close", or "transport error" if the TCP close wins
}
func (r *recorder) SocketConnected(s *sio.Socket) { r.add("connected %s", s.Namespace().Name()) }
func (r *recorder) SocketDisconnected(s *sio.Socket, reason string) {
	r.add("disconnected %s %s", s.Namespace().Name(), reason)
}
func (r *recorder) EventReceived(s *sio.Socket, ev string, args [][]byte) {
	r.add("in %s %s", ev, args)
}
func (r *recorder) EventSent(s *sio.Socket, ev string, args [][]byte) {
	r.add("out %s %s", ev, args)
}
func (r *recorder) RoomJoined(n *sio.Namespace, room, id string) {
	if room == id {
		room = "(own)"
	}
	r.add("join %s %s", n.Name(), room)
}
func (r *recorder) RoomLeft(n *sio.Namespace, room, id string) {
	if room == id {
		room = "(own)"
	}
	r.add("leave %s %s", n.Name(), room)
}

// TestObserver: the callbacks an Observer gets for one client's life
// (polling, upgraded, an event each way, a room, a disconnect), in order;
// one attached without detail gets the session callbacks only; Stats
// count both transports; a detached observer hears nothing more.
func TestObserver(t *testing.T) {
	srv := sio.NewServer(nil)
	srv.OnConnection(func(s *sio.Socket) {
		s.On("hello", func(e *sio.Event) {
			s.Join("lobby")
			_ = s.Emit("welcome", 42)
		})
	})
	url, stop := serve(srv)
	defer stop()

	full := &recorder{seen: make(chan string, 64)}
	brief := &recorder{seen: make(chan string, 64)}
	detach := srv.Observe(full, true)
	detachBrief := srv.Observe(brief, false)

	welcome := make(chan struct{})
	c := dial(url, func(s *client.Socket) {
		s.On("welcome", func(*client.Event) { close(welcome) })
	})
	full.wait(t, "upgrade")
	c.Emit("hello", "x")
	<-welcome
	c.Disconnect()
	full.wait(t, "close")
	brief.wait(t, "close")

	want := []string{
		"open polling",
		"join / (own)", // as with Node: the own room is joined before "connection"
		"connected /",
		"upgrade websocket",
		`in hello ["x"]`,
		"join / lobby",
		"out welcome [42]",
		"leave / lobby",
		"leave / (own)",
		"disconnected / client namespace disconnect",
		"close",
	}
	got := full.all()
	// The upgrade may come before or after the CONNECT: compare it apart.
	if i := slices.Index(got, "upgrade websocket"); i < 0 || !slices.Equal(slices.Delete(slices.Clone(got), i, i+1), slices.Delete(slices.Clone(want), 3, 4)) {
		t.Errorf("detailed observer got\n%q\nwant\n%q", got, want)
	}
	if got := brief.all(); !slices.Equal(got, []string{"open polling", "upgrade websocket", "close"}) {
		t.Errorf("brief observer got %q", got)
	}

	st := srv.Stats()
	p, w := st.Transports[sio.TransportPolling], st.Transports[sio.TransportWebSocket]
	if p.PacketsIn == 0 || p.PacketsOut == 0 || w.PacketsIn == 0 || w.PacketsOut == 0 || p.BytesOut == 0 || w.BytesIn == 0 {
		t.Errorf("stats: %+v", st)
	}

	detach()
	detachBrief()
	before := srv.Stats()
	c2 := dial(url, nil)
	c2.Disconnect()
	if n := len(full.all()); n != len(got) {
		t.Errorf("a detached observer was called: %q", full.all()[len(got):])
	}
	if srv.Stats().Transports != before.Transports {
		t.Error("counted with no observer attached")
	}
}

// TestVolatileDroppedCounted: a volatile broadcast to a polling client
// with no GET waiting is dropped, and counted while observed.
func TestVolatileDroppedCounted(t *testing.T) {
	srv := sio.NewServer(nil)
	url, stop := serve(srv)
	defer stop()
	defer srv.Observe(sio.NopObserver{}, false)()

	get := func(q string) string {
		resp, err := http.Get(url + "/socket.io/?EIO=4&transport=polling" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	open := get("")
	sid := strings.SplitN(strings.TrimPrefix(open, `0{"sid":"`), `"`, 2)[0]
	resp, err := http.Post(url+"/socket.io/?EIO=4&transport=polling&sid="+sid, "text/plain", strings.NewReader("40"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := get("&sid=" + sid); !strings.HasPrefix(got, `40{"sid":"`) {
		t.Fatalf("CONNECT answer %q", got)
	}
	// No GET is waiting now.
	if err := srv.Volatile().Emit("tick", 1); err != nil {
		t.Fatal(err)
	}
	if n := srv.Stats().VolatileDropped; n != 1 {
		t.Errorf("VolatileDropped %d, want 1", n)
	}
}
