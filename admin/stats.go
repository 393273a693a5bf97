package admin

import (
	"time"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/sio"
)

type statsBase struct {
	ServerID string `json:"serverId"`
	Hostname string `json:"hostname"`
	PID      int    `json:"pid"`
}

// serverStats is the "server_stats" payload.
type serverStats struct {
	statsBase
	Uptime              float64            `json:"uptime"` // seconds
	ClientsCount        int                `json:"clientsCount"`
	PollingClientsCount int64              `json:"pollingClientsCount"`
	AggregatedEvents    []*aggregatedEvent `json:"aggregatedEvents"`
	Namespaces          []namespaceDetails `json:"namespaces"`
}

type namespaceDetails struct {
	Name         string `json:"name"`
	SocketsCount int    `json:"socketsCount"`
}

// aggregatedEvent counts one kind of event within one second.
type aggregatedEvent struct {
	Timestamp int64  `json:"timestamp"` // Unix ms, whole seconds
	Type      string `json:"type"`
	SubType   string `json:"subType,omitempty"`
	Count     int64  `json:"count"`
}

type eventKey struct {
	ts       int64
	typ, sub string
}

// push counts n events of type typ (subType sub) now.
func (a *Instrumentation) push(typ, sub string, n int64) {
	ts := time.Now().Truncate(time.Second).UnixMilli()
	k := eventKey{ts, typ, sub}
	a.evMu.Lock()
	if e := a.events[k]; e != nil {
		e.Count += n
	} else {
		a.events[k] = &aggregatedEvent{Timestamp: ts, Type: typ, SubType: sub, Count: n}
	}
	a.evMu.Unlock()
}

// takeEvents adds the packet and byte counts since the last report and
// returns every event aggregated since then.
func (a *Instrumentation) takeEvents() []*aggregatedEvent {
	now := a.srv.Stats()
	var d sio.TransportStats
	for t := range now.Transports {
		n, l := now.Transports[t], a.last.Transports[t]
		d.PacketsIn += n.PacketsIn - l.PacketsIn
		d.PacketsOut += n.PacketsOut - l.PacketsOut
		d.BytesIn += n.BytesIn - l.BytesIn
		d.BytesOut += n.BytesOut - l.BytesOut
	}
	a.last = now
	for _, c := range []struct {
		typ string
		n   int64
	}{{"packetsIn", d.PacketsIn}, {"packetsOut", d.PacketsOut}, {"bytesIn", d.BytesIn}, {"bytesOut", d.BytesOut}} {
		if c.n > 0 {
			a.push(c.typ, "", c.n)
		}
	}
	a.evMu.Lock()
	out := make([]*aggregatedEvent, 0, len(a.events))
	for _, e := range a.events {
		out = append(out, e)
	}
	clear(a.events)
	a.evMu.Unlock()
	return out
}

func (a *Instrumentation) runStats() {
	defer a.done.Done()
	t := time.NewTicker(a.opts.StatsInterval)
	defer t.Stop()
	for {
		a.emitStats()
		select {
		case <-t.C:
		case <-a.stop:
			return
		}
	}
}

func (a *Instrumentation) emitStats() {
	st := serverStats{
		statsBase:           a.base,
		Uptime:              time.Since(processStart).Seconds(),
		ClientsCount:        a.srv.Engine().Count(),
		PollingClientsCount: max(0, a.polling.Load()),
		AggregatedEvents:    a.takeEvents(),
	}
	for _, n := range a.srv.Namespaces() {
		st.Namespaces = append(st.Namespaces, namespaceDetails{Name: n.Name(), SocketsCount: n.Len()})
	}
	a.broadcast("server_stats", st)
}

// sessionObserver counts Engine.IO sessions: the "rawConnection" and
// "rawDisconnection" aggregated events and the polling clients.
type sessionObserver struct {
	sio.NopObserver
	a *Instrumentation
}

func (o *sessionObserver) SessionOpened(s *eio.Session) {
	o.a.push("rawConnection", "", 1)
	if s.Transport() == "polling" {
		o.a.polling.Add(1)
	}
}

func (o *sessionObserver) SessionUpgraded(*eio.Session) { o.a.polling.Add(-1) }

func (o *sessionObserver) SessionClosed(s *eio.Session, reason string) {
	o.a.push("rawDisconnection", reason, 1)
	if s.Transport() == "polling" {
		o.a.polling.Add(-1)
	}
}
