// Package interop checks sioloop's Engine.IO server against the Node.js
// reference implementation and the official clients.
//
// Everything lives in _test.go files; this file only documents the package.
//
// Every case starts its own server process (a free loopback port, killed
// by PID when the case ends), of one of three kinds:
//
//   - node: interop/node/eio-ref-server.js, the npm engine.io 6.6.12 server
//     configured like examples/conformance (the expected behaviour);
//   - ours: examples/conformance built once per `go test` run (with -race
//     when the tests run with -race), gnet mode;
//   - ours-http: the same binary with -mode http (net/http handler).
//
// The suites:
//
//   - conformance_test.go, conformance_lifecycle_test.go: raw HTTP/1.1 and
//     WebSocket frames over net.Conn covering what the public
//     engine.io-protocol test-suite checks;
//   - golden_replay_test.go: replays of the golden captures of the
//     reference server, testdata/golden/eio-*.txt (a copy of the project's
//     shared golden/ directory), compared after id normalisation;
//   - eio_client_test.go: the official engine.io-client (npm) driving
//     scenarios written in interop/node/eio-*.js.
//
// Requirements: node on $PATH (or $SIOLOOP_NODE) and the pinned npm
// packages (`make deps`, or `cd interop && npm ci`).
//
// Environment:
//
//	SIOLOOP_SKIP_OURS=1          skip the ours/ours-http targets (local use while
//	                             examples/conformance does not build)
//	SIOLOOP_INTEROP_SERVER_RACE  0 or 1: build examples/conformance with -race
//	                             (default: same as the test binary)
//	SIOLOOP_GOLDEN_DIR           read the golden captures from this directory
//	                             instead of testdata/golden
//	SIOLOOP_NODE                 node binary
//
// Server option profiles (harness_test.go): "ref" is the contract's
// pingInterval 300 ms / pingTimeout 200 ms / maxPayload 1000000; "default"
// the library default heartbeat (25 s / 20 s) for cases that are not about
// the heartbeat; "small" adds maxPayload 1000; "beat" is 300 ms / 3 s for
// official-client heartbeat cases (a starved Node process must not trip
// the client's own 500 ms watchdog on a loaded machine).
//
// Timer checks have tight lower bounds (timers never fire early) and loose
// upper bounds (3 s of slack: they catch a missing or wrong timer, not
// scheduling noise).
//
// Run: go test -race -count=1 ./interop/
// One kind or case: go test -run 'TestConformance/ours/upgrade/success$' ./interop/
// Reference deviations that do not fail (reason phrase, chunked framing,
// header case) are logged as "NOTE (not a failure)" with -v.
package interop
