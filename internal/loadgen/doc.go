// Package loadgen is the load engine of cmd/siobench: it opens thousands of
// Socket.IO v4 client connections (Engine.IO 4 over WebSocket, HTTP
// long-polling, or polling upgraded to WebSocket) against any server, drives
// a scenario over them and measures what came back.
//
// # Engine
//
// Connections live on a few event loops (Config.Loops, default GOMAXPROCS),
// each a goroutine locked to its OS thread around one epoll instance
// (golang.org/x/sys/unix); there is no goroutine per connection. Dials are
// non-blocking and bounded by Config.DialConcurrency. A loop pass reads every
// ready socket into one per-loop buffer (only a partial frame is copied into
// a per-connection buffer), dispatches the Engine.IO and Socket.IO packets
// with the project's codecs (wsframe, eio, sio), and at the end of the pass
// writes every connection that has output once. Outgoing packets are encoded
// once per run into masked client frames (one mask key per process); a send
// copies the frame and patches the few fixed-width decimal fields that vary
// (an ack id, a send timestamp), masking those bytes in place. With the
// msgpack parser (Config.Parser, msgpack.go) the templates are converted
// once to socket.io-msgpack-parser packets, whose varying fields are
// fixed-width msgpack integers patched the same way, and replies are
// decoded back to the text form. An idle connection holds no buffer.
//
// Targets may be several nodes of a cluster (Config.URL holds a list):
// connections go to them round robin, the rooms scenario puts a room's
// members on other nodes than its sender, and deliveries are measured
// cross-node and same-node apart. An https:// target's connections do their
// TLS handshake on a goroutine (crypto/tls), then their socket joins a
// loop, which passes ciphertext through the same tls.Conn over in-memory
// buffers (tls_linux.go); plain sockets never reach that code.
//
// # Time
//
// All loops and all child processes of a run share one time line (Clock):
// nanoseconds since an origin chosen by the parent process. A paced run
// (Config.Rate > 0) gives each operation an intended send time on a fixed
// schedule and measures its latency from that time, not from the moment the
// loop got round to sending it, so a stalled server or a busy client shows in
// the latencies instead of silently lowering the offered rate (no coordinated
// omission).
//
// # Measurement window
//
// A run connects every connection first (the connect phase), then, once all
// processes report their connections up, sends during Warmup (not counted)
// and during the window (Duration, or until Count operations were sent),
// then drains: no new sends, outstanding replies and deliveries are still
// awaited up to Drain. An operation counts when its intended send time falls
// in the window; throughput is completed operations over the window length.
//
// A run whose server failed it in any way (connections refused or dropped,
// ops without a reply, deliveries missing, errors) lists what in
// Result.Problems; when every connection is lost before the window ends,
// the window ends there.
//
// Run returns a Result (the JSON document cmd/siobench prints); Merge combines
// the Results of child processes.
package loadgen
