package interop

import "testing"

// eio.Options.AllowRequestAsync with the official client, on both
// transports and both server modes: an accepted client connects and
// echoes, a refused one gets connect_error.
func TestSIOAsyncAllowRequest(t *testing.T) {
	requireNode(t)
	forKinds(t, []string{SIOKindOurs, SIOKindOursHTTP}, func(t *testing.T, kind string) {
		for _, transport := range []string{"polling", "websocket"} {
			t.Run(transport, func(t *testing.T) {
				t.Parallel()
				tg := startSIOTarget(t, kind, "asyncallow")
				var res struct {
					Echo         any    `json:"echo"`
					Transport    string `json:"transport"`
					Refused      string `json:"refused"`
					BadConnected bool   `json:"badConnected"`
					OkMs         int    `json:"okMs"`
					RefusedMs    int    `json:"refusedMs"`
				}
				runSIO(t, tg, "sio-async-allow.js", map[string]any{"transports": []string{transport}}, &res)
				if res.Echo == nil || res.Transport != transport {
					t.Errorf("accepted client: echo %v on %q", res.Echo, res.Transport)
				}
				t.Logf("accepted in %d ms, refused in %d ms (%s)", res.OkMs, res.RefusedMs, res.Refused)
				if res.Refused == "" || res.BadConnected {
					t.Errorf("refused client: connect_error %q, connected %v", res.Refused, res.BadConnected)
				}
			})
		}
	})
}
