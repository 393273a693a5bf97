// Package metrics exports a sioloop server's metrics to Prometheus
// (github.com/prometheus/client_golang):
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(metrics.New(srv, nil))
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// It is an observer of the server (sio.Server.Observe, not detailed): the
// server counts packets and bytes per transport and broadcasts while it is
// attached (atomic additions, no allocation), tells it of every Engine.IO
// session opened and closed, and everything else is read when Prometheus
// scrapes: sockets per namespace, Engine.IO clients, the server's own
// counters. Nothing here runs per message.
//
// Metrics (prefix Options.Namespace, default "sioloop"):
//
//	sioloop_sockets{namespace}                 connected sockets (gauge)
//	sioloop_engine_clients{transport}          Engine.IO sessions open now (gauge; polling counts
//	                                           the sessions not upgraded)
//	sioloop_connections_total                  Engine.IO sessions opened
//	sioloop_disconnections_total{reason}       Engine.IO sessions closed, by reason ("transport
//	                                           close", "ping timeout", "slow consumer": the overflow
//	                                           disconnects, ...)
//	sioloop_packets_total{direction,transport} Engine.IO message packets in / out
//	sioloop_bytes_total{direction,transport}   their payload bytes
//	sioloop_broadcasts_total                   broadcasts that reached a local socket
//	sioloop_broadcast_deliveries_total         sockets they reached
//	sioloop_volatile_dropped_total             volatile packets dropped for sockets not ready
//	                                           (see sio.Stats.VolatileDropped)
//	sioloop_connection_errors_total{code}      requests refused by Engine.IO, by the reference's
//	                                           error code ("0" transport unknown … "5" unsupported
//	                                           protocol version; "other": an AllowRequest refusal
//	                                           with a code of its own)
//	sioloop_loop_writes_total                  writes of the event loops: packets out / writes is
//	                                           the frames each write carries (coalescing)
//	sioloop_flood_refusals_total               events refused by Options.EventRate
//	sioloop_panics_total                       panics of application code recovered
//	sioloop_adapter_dropped_total{namespace}   messages a cluster adapter could not publish (queue
//	                                           full, or Redis failing: adapter/redis's Dropped;
//	                                           any adapter with a Dropped() int64 method)
//	sioloop_adapter_request_timeouts_total{namespace}
//	                                           cluster requests (fetchSockets, serverSideEmit with
//	                                           acks, ...) that timed out waiting for other nodes
//	                                           (a RequestTimeouts() int64 method)
package metrics

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/sio"
)

// Options configures New.
type Options struct {
	// Namespace prefixes every metric name (default "sioloop").
	Namespace string
	// ConstLabels are added to every metric (a server name, say).
	ConstLabels prometheus.Labels
}

// Collector is a prometheus.Collector for one server. Register it; Close
// detaches it from the server.
type Collector struct {
	srv    *sio.Server
	detach func()

	connections atomic.Int64
	polling     atomic.Int64
	mu          sync.Mutex
	reasons     map[string]*atomic.Int64 // disconnections by reason (a few fixed strings)

	sockets, clients, conns, disconns, refused, packets, bytes, bcasts, deliveries, volatiles, writes, floods, panics, dropped, timeouts *prometheus.Desc
}

// New attaches a collector to srv (o may be nil).
func New(srv *sio.Server, o *Options) *Collector {
	var opts Options
	if o != nil {
		opts = *o
	}
	if opts.Namespace == "" {
		opts.Namespace = "sioloop"
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(opts.Namespace, "", name), help, labels, opts.ConstLabels)
	}
	c := &Collector{
		srv:        srv,
		reasons:    make(map[string]*atomic.Int64),
		sockets:    d("sockets", "Sockets connected, per namespace.", "namespace"),
		clients:    d("engine_clients", "Engine.IO sessions open, per transport.", "transport"),
		conns:      d("connections_total", "Engine.IO sessions opened."),
		disconns:   d("disconnections_total", "Engine.IO sessions closed, by reason.", "reason"),
		refused:    d("connection_errors_total", "Requests refused by Engine.IO, by error code.", "code"),
		packets:    d("packets_total", "Engine.IO message packets (a Socket.IO packet, an attachment), by direction and transport.", "direction", "transport"),
		bytes:      d("bytes_total", "Payload bytes of the Engine.IO message packets, by direction and transport.", "direction", "transport"),
		bcasts:     d("broadcasts_total", "Broadcasts that reached at least one local socket."),
		deliveries: d("broadcast_deliveries_total", "Local sockets reached by broadcasts."),
		volatiles:  d("volatile_dropped_total", "Volatile packets dropped for sockets not ready to take them."),
		writes:     d("loop_writes_total", "Network writes of the event loops (one write or writev each); packets out per write is the coalescing."),
		floods:     d("flood_refusals_total", "Events refused by the per-connection event rate."),
		panics:     d("panics_total", "Panics of application code recovered by the server."),
		dropped:    d("adapter_dropped_total", "Messages the cluster adapter could not publish, per namespace.", "namespace"),
		timeouts:   d("adapter_request_timeouts_total", "Cluster requests that timed out waiting for other nodes, per namespace.", "namespace"),
	}
	c.detach = srv.Observe(observer{c}, false)
	return c
}

// Close detaches the collector from the server (its counts stop).
func (c *Collector) Close() { c.detach() }

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.sockets, c.clients, c.conns, c.disconns, c.refused, c.packets, c.bytes, c.bcasts, c.deliveries, c.volatiles, c.writes, c.floods, c.panics, c.dropped, c.timeouts} {
		ch <- d
	}
}

var errorCodes = [7]string{"0", "1", "2", "3", "4", "5", "other"}

var transports = [2]string{sio.TransportPolling: "polling", sio.TransportWebSocket: "websocket"}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	for _, n := range c.srv.Namespaces() {
		gauge(c.sockets, float64(n.Len()), n.Name())
		if a, ok := n.Adapter().(interface{ Dropped() int64 }); ok {
			counter(c.dropped, float64(a.Dropped()), n.Name())
		}
		if a, ok := n.Adapter().(interface{ RequestTimeouts() int64 }); ok {
			counter(c.timeouts, float64(a.RequestTimeouts()), n.Name())
		}
	}
	total := int64(c.srv.Engine().Count())
	polling := min(max(0, c.polling.Load()), total)
	gauge(c.clients, float64(polling), "polling")
	gauge(c.clients, float64(total-polling), "websocket")
	counter(c.conns, float64(c.connections.Load()))
	c.mu.Lock()
	for r, n := range c.reasons {
		counter(c.disconns, float64(n.Load()), r)
	}
	c.mu.Unlock()
	for code, n := range c.srv.Engine().Refusals() {
		counter(c.refused, float64(n), errorCodes[code])
	}
	st := c.srv.Stats()
	for t, ts := range st.Transports {
		counter(c.packets, float64(ts.PacketsIn), "in", transports[t])
		counter(c.packets, float64(ts.PacketsOut), "out", transports[t])
		counter(c.bytes, float64(ts.BytesIn), "in", transports[t])
		counter(c.bytes, float64(ts.BytesOut), "out", transports[t])
	}
	counter(c.bcasts, float64(st.Broadcasts))
	counter(c.deliveries, float64(st.Deliveries))
	counter(c.volatiles, float64(st.VolatileDropped))
	counter(c.writes, float64(st.Writes))
	counter(c.floods, float64(c.srv.FloodCount()))
	counter(c.panics, float64(c.srv.PanicCount()))
}

// observer counts sessions; a value type so that the collector itself is
// not an Observer in its API.
type observer struct{ c *Collector }

func (o observer) SessionOpened(s *eio.Session) {
	o.c.connections.Add(1)
	if s.Transport() == "polling" {
		o.c.polling.Add(1)
	}
}

func (o observer) SessionUpgraded(*eio.Session) { o.c.polling.Add(-1) }

func (o observer) SessionClosed(s *eio.Session, reason string) {
	if s.Transport() == "polling" {
		o.c.polling.Add(-1)
	}
	o.c.mu.Lock()
	n := o.c.reasons[reason]
	if n == nil {
		n = new(atomic.Int64)
		o.c.reasons[reason] = n
	}
	o.c.mu.Unlock()
	n.Add(1)
}

func (observer) SocketConnected(*sio.Socket)                 {}
func (observer) SocketDisconnected(*sio.Socket, string)      {}
func (observer) EventReceived(*sio.Socket, string, [][]byte) {}
func (observer) EventSent(*sio.Socket, string, [][]byte)     {}
func (observer) RoomJoined(*sio.Namespace, string, string)   {}
func (observer) RoomLeft(*sio.Namespace, string, string)     {}
