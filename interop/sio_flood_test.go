package interop

import "testing"

// Options.EventRate with FloodDisconnect, seen by the official client: the
// flooding socket gets a server disconnect after about its burst, a calm
// one on the same server is untouched (sioloop only: Node has no limit).
func TestSIOFloodControl(t *testing.T) {
	requireNode(t)
	forKinds(t, []string{SIOKindOurs, SIOKindOursHTTP}, func(t *testing.T, kind string) {
		for _, transport := range []string{"polling", "websocket"} {
			t.Run(transport, func(t *testing.T) {
				t.Parallel()
				tg := startSIOTarget(t, kind, "flood")
				var res struct {
					Reason        string `json:"reason"`
					FloodEchoes   int    `json:"floodEchoes"`
					CalmEchoes    int    `json:"calmEchoes"`
					CalmConnected bool   `json:"calmConnected"`
				}
				runSIO(t, tg, "sio-flood.js", map[string]any{"transports": []string{transport}}, &res)
				if res.Reason != "io server disconnect" {
					t.Errorf("the flooding socket saw %q, want io server disconnect", res.Reason)
				}
				if res.FloodEchoes > 21 {
					t.Errorf("the flooding socket got %d echoes, want at most the burst (20) and what refilled", res.FloodEchoes)
				}
				if res.CalmEchoes != 5 || !res.CalmConnected {
					t.Errorf("the calm socket: %d echoes of 5, connected %v", res.CalmEchoes, res.CalmConnected)
				}
			})
		}
	})
}
