package interop

import (
	"testing"
)

// TestSIOHandlerPanic: with the official client, a server handler that
// panics disconnects its own socket ("io server disconnect") and nothing
// else: another client keeps its echo, a new one connects. Ours only (both
// server modes, both transports): Node's reference crashes on a throwing
// handler, which is the behaviour this replaces.
func TestSIOHandlerPanic(t *testing.T) {
	requireNode(t)
	forKinds(t, []string{SIOKindOurs, SIOKindOursHTTP}, func(t *testing.T, kind string) {
		for _, transport := range []string{"polling", "websocket"} {
			t.Run(transport, func(t *testing.T) {
				t.Parallel()
				tg := startSIOTarget(t, kind, "default")
				var res struct {
					Reason         string `json:"reason"`
					Echo           any    `json:"echo"`
					GoodConnected  bool   `json:"goodConnected"`
					FreshConnected bool   `json:"freshConnected"`
				}
				runSIO(t, tg, "sio-panic.js", map[string]any{"transports": []string{transport}}, &res)
				if res.Reason != "io server disconnect" {
					t.Errorf("the panicking socket saw %q, want io server disconnect", res.Reason)
				}
				if !res.GoodConnected || !res.FreshConnected || res.Echo == nil {
					t.Errorf("the others: connected %v, fresh %v, echo %v", res.GoodConnected, res.FreshConnected, res.Echo)
				}
			})
		}
	})
}
