package metrics_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	goredis "github.com/redis/go-redis/v9"

	"github.com/sioloop/sioloop/adapter/redis"
	"github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/metrics"
	"github.com/sioloop/sioloop/sio"
)

// value returns the metric name{labels} of a gathering ("k=v,k=v"), -1
// when absent.
func value(fams []*dto.MetricFamily, name, labels string) float64 {
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				if l.GetName() != "server" {
					ls = append(ls, l.GetName()+"="+l.GetValue())
				}
			}
			if strings.Join(ls, ",") != labels {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return -1
}

func dial(t *testing.T, url string, o *client.Options) *client.Socket {
	t.Helper()
	s, err := client.New(url, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok := make(chan struct{})
	s.OnConnect(func(*client.ConnectEvent) { close(ok) })
	s.Connect()
	t.Cleanup(s.Disconnect)
	select {
	case <-ok:
	case <-time.After(10 * time.Second):
		t.Fatal("client did not connect")
	}
	return s
}

// TestCollector: the metrics of a server with a polling client, a
// WebSocket client and one that left, after an event each way and a
// broadcast.
func TestCollector(t *testing.T) {
	srv := sio.NewServer(nil)
	srv.OnConnection(func(s *sio.Socket) {
		s.On("hi", func(e *sio.Event) { _ = srv.Emit("all", 1); _ = e.Ack("ok") })
	})
	go func() { _ = srv.ListenAndServe("127.0.0.1:0", nil) }()
	<-srv.Ready()
	defer srv.Shutdown(context.Background())
	url := "http://" + srv.Addr().String()

	m := metrics.New(srv, &metrics.Options{ConstLabels: prometheus.Labels{"server": "a"}})
	defer m.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)

	if resp, err := http.Get(url + "/socket.io/?EIO=4&transport=polling&sid=nope"); err == nil {
		resp.Body.Close()
	}
	poll := dial(t, url, &client.Options{Transports: []string{"polling"}})
	ws := dial(t, url, &client.Options{Transports: []string{"websocket"}})
	gone := dial(t, url, &client.Options{Transports: []string{"websocket"}})
	gone.Disconnect()
	// Wait for the server to see the third client leave, socket and
	// session, before the events (so the broadcasts cannot reach it).
	var fams []*dto.MetricFamily
	for deadline := time.Now().Add(10 * time.Second); ; {
		var err error
		if fams, err = reg.Gather(); err != nil {
			t.Fatal(err)
		}
		if value(fams, "sioloop_sockets", "namespace=/") == 2 && value(fams, "sioloop_engine_clients", "transport=websocket") == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("sioloop_sockets never 2")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := poll.EmitWithAck(context.Background(), "hi"); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.EmitWithAck(context.Background(), "hi"); err != nil {
		t.Fatal(err)
	}

	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	// One session closed, by the client: "transport close" (or "transport
	// error" should its TCP close win).
	if n := value(fams, "sioloop_disconnections_total", "reason=transport close") + value(fams, "sioloop_disconnections_total", "reason=transport error"); n != 0 {
		t.Errorf("disconnections: %v (-1 per absent reason), want one", n)
	}
	for _, c := range []struct {
		name, labels string
		min, max     float64
	}{
		{"sioloop_engine_clients", "transport=polling", 1, 1},
		{"sioloop_engine_clients", "transport=websocket", 1, 1},
		{"sioloop_connections_total", "", 3, 3},
		{"sioloop_packets_total", "direction=in,transport=polling", 2, 2},    // CONNECT, hi
		{"sioloop_packets_total", "direction=in,transport=websocket", 4, 4},  // 2 CONNECTs, hi, DISCONNECT
		{"sioloop_packets_total", "direction=out,transport=polling", 4, 4},   // CONNECT, 2 × all, ack
		{"sioloop_packets_total", "direction=out,transport=websocket", 4, 5}, // 2 CONNECTs, all (+ 1 if it came before the DISCONNECT), ack
		{"sioloop_bytes_total", "direction=in,transport=websocket", 10, 1e3},
		{"sioloop_broadcasts_total", "", 2, 2},
		{"sioloop_broadcast_deliveries_total", "", 4, 5},
		{"sioloop_connection_errors_total", "code=1", 1, 1},
		{"sioloop_connection_errors_total", "code=0", 0, 0},
		{"sioloop_volatile_dropped_total", "", 0, 0},
		// Every handshake answer, open packet and polling response is a
		// write; WebSocket frames of one pass share one.
		{"sioloop_loop_writes_total", "", 6, 1e3},
		{"sioloop_flood_refusals_total", "", 0, 0},
		{"sioloop_panics_total", "", 0, 0},
	} {
		if v := value(fams, c.name, c.labels); v < c.min || v > c.max {
			t.Errorf("%s{%s} = %v, want %v..%v", c.name, c.labels, v, c.min, c.max)
		}
	}
}

// TestAdapterMetrics: with the Redis adapter, each namespace reports the
// messages the adapter dropped and the requests that timed out.
func TestAdapterMetrics(t *testing.T) {
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("Redis at 127.0.0.1:6379: %v (make test starts one)", err)
	}
	defer rdb.Close()
	srv := sio.NewServer(&sio.Options{Adapter: redis.New(rdb, &redis.Options{Key: "sioloop-metrics-test"})})
	defer srv.Close()
	srv.Of("/chat")
	m := metrics.New(srv, nil)
	defer m.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sioloop_adapter_dropped_total", "sioloop_adapter_request_timeouts_total"} {
		for _, nsp := range []string{"/", "/chat"} {
			if v := value(fams, name, "namespace="+nsp); v != 0 {
				t.Errorf("%s{namespace=%s} = %v, want 0 (present)", name, nsp, v)
			}
		}
	}
}
