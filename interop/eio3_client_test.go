package interop

import (
	"encoding/hex"
	"testing"
)

// TestEIO3Client: an Engine.IO protocol 3 client (the official
// engine.io-client 3.x, as used by socket.io-client 2.x) against servers
// started with AllowEIO3: client-driven ping/pong, length-prefixed polling
// payloads, binary over both transports, the upgrade.
func TestEIO3Client(t *testing.T) {
	requireNode(t)
	flags := []string{"-allow-eio3", "-ping-interval", "300ms", "-ping-timeout", "2s"}
	forKinds(t, kindsAll, func(t *testing.T, kind string) {
		for _, tc := range []struct {
			name       string
			transports []string
			want       string
		}{
			{"polling", []string{"polling"}, "polling"},
			{"websocket", []string{"websocket"}, "websocket"},
			{"upgrade", []string{"polling", "websocket"}, "websocket"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tg := StartTarget(t, kind, flags...)
				var res struct {
					Transport string `json:"transport"`
					Upgraded  bool   `json:"upgraded"`
					Pongs     int    `json:"pongs"`
					Echoed    []struct {
						Text   *string `json:"text"`
						Binary *string `json:"binary"`
					} `json:"echoed"`
				}
				RunNode(t, nodeScriptTimeout, "eio3-echo.js", map[string]any{
					"url": tg.URL, "transports": tc.transports, "timeoutMs": scriptDeadlineMs,
				}, &res)
				if res.Transport != tc.want {
					t.Errorf("transport %q, want %q", res.Transport, tc.want)
				}
				if res.Pongs < 1 {
					t.Errorf("no pong answered to the client's pings")
				}
				want := []string{"hello", "caf\u00e9 \u2615 \U0001d11e", "bin:010203fa", "x*5000", "bye"}
				if len(res.Echoed) != len(want) {
					t.Fatalf("echoed %d messages, want %d", len(res.Echoed), len(want))
				}
				for i, e := range res.Echoed {
					var got string
					switch {
					case e.Binary != nil:
						b, _ := hex.DecodeString(*e.Binary)
						got = "bin:" + hex.EncodeToString(b)
					case e.Text != nil && len(*e.Text) == 5000:
						got = "x*5000"
					case e.Text != nil:
						got = *e.Text
					}
					if got != want[i] {
						t.Errorf("message %d: got %q, want %q", i, got, want[i])
					}
				}
			})
		}
	})
}
