package main

import "github.com/sioloop/sioloop/sio"

// opEmit is an addition to the captured application, for the interop
// scenarios that exercise every broadcast operator (the Node twin
// interop/node/sio-ref-server.js has the same handler):
//
//	op-emit(spec, msg, ack): spec = {from: "self"|"socket"|"nsp",
//	to: [rooms], except: [rooms], volatile: bool}; emits "op-msg" with msg.
func opEmit(s *sio.Socket) {
	s.On("op-emit", func(e *sio.Event) {
		var spec struct {
			From     string   `json:"from"`
			To       []string `json:"to"`
			Except   []string `json:"except"`
			Volatile bool     `json:"volatile"`
		}
		_ = e.Decode(0, &spec)
		var op *sio.BroadcastOperator
		switch spec.From {
		case "self":
			if !spec.Volatile {
				_ = s.Emit("op-msg", relayArg(e, 1))
				_ = e.Ack()
				return
			}
			op = s.Volatile()
		case "socket":
			op = s.Broadcast()
		default:
			op = s.Namespace().To()
		}
		if len(spec.To) > 0 {
			op = op.To(spec.To...)
		}
		if len(spec.Except) > 0 {
			op = op.Except(spec.Except...)
		}
		if spec.Volatile {
			op = op.Volatile()
		}
		_ = op.Emit("op-msg", relayArg(e, 1))
		_ = e.Ack()
	})
}
