// Package sio is a Socket.IO v4 server (Socket.IO protocol 5 over
// Engine.IO 4) with the API of the Node.js server in Go form: Server,
// Namespace (static or dynamic), middleware, Socket with events and
// acknowledgements both ways, binary attachments, rooms, broadcast
// operators (To, Except, Broadcast, Local, Volatile, Timeout with acks
// from many clients), catch-all listeners, disconnect reasons and
// connection state recovery. The official socket.io-client 4.x connects
// to it unmodified.
//
//	srv := sio.NewServer(nil)
//	srv.OnConnection(func(s *sio.Socket) {
//		s.On("chat", func(e *sio.Event) { _ = s.Broadcast().Emit("chat", &e.Args) })
//	})
//	if err := srv.ListenAndServe("127.0.0.1:3000", nil); !errors.Is(err, sio.ErrServerClosed) {
//		log.Fatal(err) // ErrServerClosed: stopped by Shutdown
//	}
//
// Handlers run on the event loop that read the packet (or on a worker
// pool with Options.Workers), in order per socket. An Event and the bytes
// it exposes are valid until its handler returns. Emit, broadcasts and
// every other method are safe from any goroutine. Passing &e.Args to Emit
// or Ack relays the received arguments without decoding them.
//
// Options.Parser selects the wire format: the default parser's, or that
// of the npm package socket.io-msgpack-parser (ParserMsgpack), for clients
// created with it. The packet codecs are package sio/parser.
package sio
