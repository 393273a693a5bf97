package interop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// The socket.io-msgpack-parser wire format (sio.ParserMsgpack) with the
// official client created with parser: require("socket.io-msgpack-parser")
// (npm 3.0.2): interop/node/sio-msgpack.js against the refapp's "msgpack"
// profile, on both transports, in both server modes, and against the Node
// server with that parser (the scenario's reference).
func TestSIOMsgpackParser(t *testing.T) {
	requireNode(t)
	forKinds(t, []string{SIOKindNode, SIOKindOurs, SIOKindOursHTTP}, func(t *testing.T, kind string) {
		for _, transport := range []string{"websocket", "polling"} {
			t.Run(transport, func(t *testing.T) {
				t.Parallel()
				sioMsgpack(t, startSIOTarget(t, kind, "msgpack"), transport)
			})
			// Connection state recovery: the CONNECT's pid and offset, and
			// the missed packets replayed, in msgpack.
			t.Run("recovery/"+transport, func(t *testing.T) {
				t.Parallel()
				sioRecovery(t, startSIOTarget(t, kind, "recovery-msgpack"), transport, true)
			})
		}
	})
}

type sioMsgpackResult struct {
	Transport   string          `json:"transport"`
	Auth        json.RawMessage `json:"auth"`
	Echo        json.RawMessage `json:"echo"`
	AckEcho     json.RawMessage `json:"ackEcho"`
	Binary      json.RawMessage `json:"binary"`
	BinaryAck   json.RawMessage `json:"binaryAck"`
	ArrayBuffer struct {
		Hex  string `json:"hex"`
		Kind string `json:"kind"`
	} `json:"arrayBuffer"`
	Join           json.RawMessage `json:"join"`
	RoomMsg        json.RawMessage `json:"roomMsg"`
	Bcast          json.RawMessage `json:"bcast"`
	Poll           string          `json:"poll"`
	Custom         json.RawMessage `json:"custom"`
	Guarded        json.RawMessage `json:"guarded"`
	After          json.RawMessage `json:"after"`
	TransportAtEnd string          `json:"transportAtEnd"`
}

func sioMsgpack(t *testing.T, tg *Target, transport string) {
	var res sioMsgpackResult
	runSIO(t, tg, "sio-msgpack.js", map[string]any{"transports": []string{transport}}, &res)
	if res.Transport != transport || res.TransportAtEnd != transport {
		t.Errorf("transport %q then %q, want %q", res.Transport, res.TransportAtEnd, transport)
	}
	sameJSON(t, "auth", res.Auth, `[{}]`)
	echo := fmt.Sprintf(`["bin",%s,{"deep":{"buf":%s,"list":[%s,%s,"s"]},"n":1.5,"t":true,"z":null},[%s,[%s]],%s,"é😀",-7,4294967296]`,
		binJSON([]byte{0, 1, 2}), binJSON([]byte{0xca, 0xfe}), binJSON(nil), binJSON([]byte{7}),
		binJSON([]byte{9, 9}), binJSON([]byte("hi")), binJSON(bytes.Repeat([]byte{0xab}, 3000)))
	sameJSON(t, "message with nested buffers -> message-back", res.Echo, echo)
	sameJSON(t, "message-with-ack with buffers: ack args", res.AckEcho,
		fmt.Sprintf(`[%s,{"b":[%s]}]`, binJSON([]byte("hello")), binJSON([]byte{1})))
	sameJSON(t, "send-binary -> binary", res.Binary,
		fmt.Sprintf(`[%s,{"nested":%s,"text":"x"}]`, binJSON([]byte{1, 2, 3}), binJSON([]byte{0xff})))
	sameJSON(t, "binary-ack: ack args", res.BinaryAck, fmt.Sprintf(`[%s,"text"]`, binJSON([]byte{0xde, 0xad, 0xbe, 0xef})))
	// An ArrayBuffer comes back with its bytes; Node's server keeps it an
	// ArrayBuffer, ours holds every binary value as []byte and sends a
	// Buffer (bin).
	wantKind := "buffer"
	if tg.Kind == SIOKindNode {
		wantKind = "arraybuffer"
	}
	if res.ArrayBuffer.Hex != "050607" || res.ArrayBuffer.Kind != wantKind {
		t.Errorf("ArrayBuffer echoed as %s %q, want 050607 %q", res.ArrayBuffer.Kind, res.ArrayBuffer.Hex, wantKind)
	}
	sameJSON(t, "join ack", res.Join, `["r"]`)
	sameJSON(t, "to-room broadcast with a buffer", res.RoomMsg, fmt.Sprintf(`[{"buf":%s,"s":"to r"}]`, binJSON([]byte{0xbe, 0xef})))
	sameJSON(t, "socket.broadcast", res.Bcast, `[[1,{"two":2}]]`)
	if res.Poll != "which one?" {
		t.Errorf("broadcast with ack: poll %q", res.Poll)
	}
	sameJSON(t, "namespace /custom", res.Custom, fmt.Sprintf(`{"auth":[{"who":"custom"}],"echo":["on custom",%s]}`, binJSON([]byte{1})))
	sameJSON(t, "middleware refusal", res.Guarded, `{"message":"not authorized","data":{"content":"Please retry later"},"connected":false}`)
	sameJSON(t, "text afterwards", res.After, `["text again"]`)

	cbs := serverEvents(t, tg, "ask-callback", 1, sioReportWait)
	if len(cbs) == 1 {
		expectCallback(t, "ask answered with buffers", cbs[0], false, "answers", `["<Buffer cafe>",{"x":"<Buffer 01>"}]`, false)
	}
	polls := serverEvents(t, tg, "broadcast-ask-callback", 1, sioReportWait)
	if len(polls) == 1 {
		expectCallback(t, "broadcast with acks", polls[0], false, "responses", `["A","B"]`, true)
	}
}
