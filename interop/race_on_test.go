//go:build race

package interop

// raceEnabled: the test binary runs with the race detector, so
// examples/conformance is built with -race too.
const raceEnabled = true
