package interop

import (
	"testing"
)

// Issue-9 cases with the official clients.

type greetResult struct {
	Messages []string `json:"messages"`
}

// TestEIOClientGreeting: the server sends a message from its connection
// callback to a client that connects with WebSocket only; the official
// engine.io-client receives it (it drops a message that comes before the
// open packet).
func TestEIOClientGreeting(t *testing.T) {
	requireNode(t)
	forKinds(t, kindsWithHTTP, func(t *testing.T, kind string) {
		tg := StartTarget(t, kind, append(append([]string{}, profileDefault...), "-greet", "hello")...)
		var res greetResult
		RunNode(t, nodeScriptTimeout, "eio-greet.js", map[string]any{"url": tg.URL, "transport": "websocket", "timeoutMs": scriptDeadlineMs}, &res)
		if len(res.Messages) < 2 || res.Messages[0] != "(open)" || res.Messages[1] != "hello" {
			t.Fatalf("events %q, want the open, then the greeting", res.Messages)
		}
	})
}

type upgradeNoopResult struct {
	Packets []struct {
		Type             string `json:"type"`
		AfterUpgradingMs int    `json:"afterUpgradingMs"`
	} `json:"packets"`
	Upgraded bool `json:"upgraded"`
}

// TestSIOClientUpgradeNoop: the official socket.io-client receives no
// packet in the first 100 ms after its probe is answered (the reference
// releases the held GET from a 100 ms check), and then the noop.
func TestSIOClientUpgradeNoop(t *testing.T) {
	requireNode(t)
	forKinds(t, sioClientKinds(), func(t *testing.T, kind string) {
		tg := startSIOTarget(t, kind, "default")
		var res upgradeNoopResult
		runSIO(t, tg, "sio-upgrade-noop.js", nil, &res)
		if !res.Upgraded {
			t.Fatalf("not upgraded; packets %+v", res.Packets)
		}
		early, noops := 0, 0
		for _, p := range res.Packets {
			// 90: the client's clock starts when it reads 3probe, after
			// the server's check started.
			if p.AfterUpgradingMs < 90 {
				early++
			}
			if p.Type == "noop" {
				noops++
			}
		}
		if early != 0 || noops != 1 {
			t.Errorf("packets after the probe %+v: want none in the first 100 ms, then one noop", res.Packets)
		}
	})
}
