//go:build linux

package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sioloop/sioloop/internal/loadgen"
	"github.com/sioloop/sioloop/sio"
)

// msgpackCases are the scenarios run with --parser msgpack: each over
// WebSocket, the request/reply ones over polling and polling+upgrade too,
// and a custom mix with binary values (inline bin in this format).
var msgpackCases = []scenarioCase{
	{"echo", []string{"echo", "-c", "20"}},
	{"ack", []string{"ack", "-c", "20"}},
	{"broadcast", []string{"broadcast", "-c", "50", "--inflight", "2"}},
	{"rooms", []string{"rooms", "--rooms", "10", "--room-size", "4"}},
	{"churn", []string{"churn", "-c", "20", "--churn-ops", "5"}},
	{"connect-storm", []string{"connect", "-c", "100"}},
	{"polling", []string{"echo", "-c", "5", "--transport", "polling"}},
	{"polling-ack", []string{"ack", "-c", "5", "--transport", "polling"}},
	{"polling-rooms", []string{"rooms", "--rooms", "3", "--room-size", "3", "--transport", "polling"}},
	{"polling-upgrade", []string{"echo", "-c", "5", "--transport", "polling+upgrade"}},
	{"custom", []string{"custom", "--scenario", "testdata/mix.json", "-c", "10"}},
	{"custom-binary", []string{"custom", "--scenario", "testdata/mixbin.json", "-c", "10"}},
	{"custom-binary-polling", []string{"custom", "--scenario", "testdata/mixbin.json", "-c", "4", "--transport", "polling"}},
}

func checkMsgpack(t *testing.T, c scenarioCase, r *loadgen.Result) {
	t.Helper()
	checkSane(t, c, r)
	if r.Parser != loadgen.ParserMsgpack {
		t.Errorf("result parser %q", r.Parser)
	}
	if r.Scenario == loadgen.ScenarioCustom {
		if len(r.Received) == 0 {
			t.Errorf("custom: nothing received")
		}
	}
}

// TestMsgpackBundled runs the scenarios with --parser msgpack against the
// bundled server, which then uses sio.ParserMsgpack.
func TestMsgpackBundled(t *testing.T) {
	for _, c := range msgpackCases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := runJSON(t, append(append(c.args, "--parser", "msgpack"), short...)...)
			checkMsgpack(t, c, r)
		})
	}
}

// TestMsgpackNode runs them against the Node.js peer with the npm
// socket.io-msgpack-parser.
func TestMsgpackNode(t *testing.T) {
	url, _ := startNode(t, "--parser", "msgpack")
	for _, c := range msgpackCases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{}, c.args...), short...)
			args = append(args, "--parser", "msgpack", "--url", url, "--label", "node")
			if strings.Contains(strings.Join(c.args, " "), "polling") {
				// a cold Node.js answers its first polling requests
				// slowly: let the warm-up cover them
				args = append(args, "--warmup", "1s")
			}
			r, _ := runJSON(t, args...)
			checkMsgpack(t, c, r)
		})
	}
}

// TestMsgpackServe: `siobench serve --parser msgpack` is a server with that
// parser (checked on its option mapping; TestServe runs the command).
func TestMsgpackServeFlag(t *testing.T) {
	if p, err := serverParser("msgpack"); err != nil || p != sio.ParserMsgpack {
		t.Errorf("msgpack: %v %v", p, err)
	}
	if _, err := serverParser("protobuf"); err == nil {
		t.Error("unknown parser accepted")
	}
	var out, errb bytes.Buffer
	if code := cli([]string{"echo", "--parser", "protobuf"}, &out, &errb); code != exitUsage || strings.Count(errb.String(), "\n") > 2 {
		t.Errorf("--parser protobuf: exit %d %q", code, errb.String())
	}
	if code := cli([]string{"echo", "--parser", "msgpack", "--eio", "3", "--url", "http://127.0.0.1:1"}, &out, &errb); code != exitUsage {
		t.Errorf("--parser msgpack --eio 3: exit %d", code)
	}
}

// TestParserMismatch: a client and a server with different parsers fail
// at once, with one line that names the cause, both ways and on both
// servers.
func TestParserMismatch(t *testing.T) {
	defaultSrv, err := startBundled("127.0.0.1:0", "/socket.io/", 1, 0, 0, nil, sio.ParserDefault)
	if err != nil {
		t.Fatal(err)
	}
	defer defaultSrv.stop()
	msgpackSrv, err := startBundled("127.0.0.1:0", "/socket.io/", 1, 0, 0, nil, sio.ParserMsgpack)
	if err != nil {
		t.Fatal(err)
	}
	defer msgpackSrv.stop()
	nodeDefault, _ := startNode(t)
	nodeMsgpack, _ := startNode(t, "--parser", "msgpack")
	for _, c := range []struct {
		name, url, want string
		args            []string
	}{
		{"msgpack-client-go", defaultSrv.url, "it does not use the msgpack parser (drop --parser msgpack)", []string{"--parser", "msgpack"}},
		{"msgpack-client-node", nodeDefault, "it does not use the msgpack parser (drop --parser msgpack)", []string{"--parser", "msgpack"}},
		{"msgpack-client-go-polling", defaultSrv.url, "it does not use the msgpack parser (drop --parser msgpack)", []string{"--parser", "msgpack", "--transport", "polling"}},
		{"default-client-go", msgpackSrv.url, "try --parser msgpack", nil},
		{"default-client-node", nodeMsgpack, "try --parser msgpack", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"echo", "-c", "3", "--quiet", "--url", c.url, "--duration", "300ms", "--handshake-timeout", "20s"}, c.args...)
			code := cli(args, &out, &errb)
			if code != exitFail {
				t.Errorf("exit %d, want %d", code, exitFail)
			}
			msg := errb.String()
			if strings.Count(msg, "\n") != 1 || !strings.Contains(msg, c.want) {
				t.Errorf("want one line saying %q, got %q", c.want, msg)
			}
		})
	}
}
