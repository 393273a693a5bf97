// Command siobench load-tests Socket.IO v4 servers (sioloop, the Node.js
// socket.io server, any other) and reports latencies people can trust.
//
//	siobench [scenario] [flags]          run a scenario (default echo)
//	siobench serve -addr HOST:PORT       serve the bundled bench app
//	siobench --compare a.json b.json...  compare saved results
//
// Scenarios: connect (storm, ramp, hold), echo, ack, broadcast, rooms, churn
// and custom (an event mix from a JSON file). Without --url, siobench starts
// the bundled server in-process on a free loopback port, so
//
//	go run ./cmd/siobench echo
//
// prints a result table in about ten seconds. Run `siobench -h` for flags;
// the load engine is internal/loadgen.
package main

import "os"

func main() {
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
}
