package loadgen

import (
	"fmt"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latency histogram names (keys of Result.Latency).
const (
	LatRTT      = "rtt"      // echo: emit to the echoed event
	LatAck      = "ack"      // ack: emit to its acknowledgement
	LatConnect  = "connect"  // dial to namespace joined
	LatJoin     = "join"     // rooms: join emit to its ack
	LatDelivery = "delivery" // broadcast, rooms: send timestamp to receipt
	LatUpgrade  = "upgrade"  // polling+upgrade: open packet to upgrade done

	// Several nodes (--url list): the deliveries split by where the
	// receiver sits; the sender is on the first node.
	LatDeliveryCross = "delivery:cross-node" // receiver on another node than the sender
	LatDeliverySame  = "delivery:same-node"  // receiver on the sender's node
)

// Histogram range: 1 ns to 2 minutes at 3 significant digits (0.1 %).
const (
	histMax = int64(120e9)
	histSig = 3
)

// NewHist returns an empty latency histogram (values in nanoseconds).
func NewHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, histMax, histSig) }

// record adds v ns to h, clamped into the histogram's range.
func record(h *hdrhistogram.Histogram, v int64) {
	if v < 1 {
		v = 1
	} else if v > histMax {
		v = histMax
	}
	_ = h.RecordValue(v)
}

// EncodeHist returns h in the HdrHistogram V2 compressed form (base64 text).
func EncodeHist(h *hdrhistogram.Histogram) string {
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return ""
	}
	return string(b)
}

// DecodeHist parses EncodeHist's form.
func DecodeHist(s string) (*hdrhistogram.Histogram, error) {
	if s == "" {
		return NewHist(), nil
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	return h, nil
}

// loopStats is what one loop measured. Only its loop touches it until the
// loop has exited.
type loopStats struct {
	rtt, ack, connect, join, delivery, upgrade *hdrhistogram.Histogram
	cross, same                                *hdrhistogram.Histogram            // cluster deliveries
	upPerNode                                  []int64                            // cluster: up when the window opened, by node
	named                                      map[string]*hdrhistogram.Histogram // custom: "ack:ev", "reply:ev", "recv:ev"
	recvByName                                 map[string]int64

	sent, done, timeouts, late, backlog int64 // ops (window)
	messages, deliveries, foreign       int64 // broadcast, rooms (window)
	connects, connFails, drops          int64 // all phases
	connectsInWin                       int64
	firstDial, lastReady                int64 // connect phase bounds (Clock ns)
	lastDone                            int64 // latest in-window completion
	bytesIn, bytesOut                   int64
	allDone, allDeliv                   int64 // completions, copies in every phase (progress rates)

	errs map[string]int64

	// series, one bucket per seriesStep of the run's time line
	sOps, sDeliv, sConns, sErrs []int64
}

func newLoopStats() *loopStats {
	return &loopStats{
		rtt: NewHist(), ack: NewHist(), connect: NewHist(), join: NewHist(),
		delivery: NewHist(), upgrade: NewHist(), cross: NewHist(), same: NewHist(),
		named: map[string]*hdrhistogram.Histogram{}, recvByName: map[string]int64{},
		errs: map[string]int64{},
	}
}

// hist returns the named custom histogram, creating it.
func (s *loopStats) hist(name string) *hdrhistogram.Histogram {
	h := s.named[name]
	if h == nil {
		h = NewHist()
		s.named[name] = h
	}
	return h
}

// bump adds n to bucket i of a series, growing it.
func bump(sr *[]int64, i int, n int64) {
	if i < 0 {
		i = 0
	}
	for len(*sr) <= i {
		*sr = append(*sr, 0)
	}
	(*sr)[i] += n
}

// setAt sets bucket i of a series to v, growing it.
func setAt(sr *[]int64, i int, v int64) {
	if i < 0 {
		i = 0
	}
	for len(*sr) <= i {
		*sr = append(*sr, -1)
	}
	(*sr)[i] = v
}
