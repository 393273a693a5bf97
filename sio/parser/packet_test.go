package parser

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/sioloop/sioloop/internal/golden"
)

// refCase is a Socket.IO packet and what socket.io-parser 4.2.7 (the
// reference decoder of socket.io 4.8.4) makes of it: refErr is its error
// message ("" when it accepts the packet), then the decoded fields. The
// tables were produced by feeding each input to the reference Decoder
// (Node.js 20) and are checked against ParsePacket below.
type refCase struct {
	in     string
	refErr string
	typ    PacketType
	nsp    string
	id     int64
	atts   int
	data   string
}

// goldenPackets is every Socket.IO packet of the golden captures
// (interop/testdata/golden/sio-*.txt, both directions, deduplicated).
var goldenPackets = []refCase{
	{`0`, "", 0, `/`, -1, 0, ``},
	{`0{"sid":"<SOCKET_ID>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID>"}`},
	{`2["auth",{}]`, "", 2, `/`, -1, 0, `["auth",{}]`},
	{`21["message-with-ack",1,"2",{"3":[4]}]`, "", 2, `/`, 1, 0, `["message-with-ack",1,"2",{"3":[4]}]`},
	{`31[1,"2",{"3":[4]}]`, "", 3, `/`, 1, 0, `[1,"2",{"3":[4]}]`},
	{`299["message-with-ack"]`, "", 2, `/`, 99, 0, `["message-with-ack"]`},
	{`399[]`, "", 3, `/`, 99, 0, `[]`},
	{`212345678["message-with-ack",null]`, "", 2, `/`, 12345678, 0, `["message-with-ack",null]`},
	{`312345678[null]`, "", 3, `/`, 12345678, 0, `[null]`},
	{`0/custom,`, "", 0, `/custom`, -1, 0, ``},
	{`0/custom,{"sid":"<SOCKET_ID2>"}`, "", 0, `/custom`, -1, 0, `{"sid":"<SOCKET_ID2>"}`},
	{`2/custom,["auth",{}]`, "", 2, `/custom`, -1, 0, `["auth",{}]`},
	{`2/custom,7["message-with-ack","c"]`, "", 2, `/custom`, 7, 0, `["message-with-ack","c"]`},
	{`3/custom,7["c"]`, "", 3, `/custom`, 7, 0, `["c"]`},
	{`2["ask",1000]`, "", 2, `/`, -1, 0, `["ask",1000]`},
	{`20["question","are you there?"]`, "", 2, `/`, 0, 0, `["question","are you there?"]`},
	{`30["yes",42]`, "", 3, `/`, 0, 0, `["yes",42]`},
	{`2["ask",500]`, "", 2, `/`, -1, 0, `["ask",500]`},
	{`21["question","are you there?"]`, "", 2, `/`, 1, 0, `["question","are you there?"]`},
	{`31["too late"]`, "", 3, `/`, 1, 0, `["too late"]`},
	{`2["message","still connected"]`, "", 2, `/`, -1, 0, `["message","still connected"]`},
	{`2["message-back","still connected"]`, "", 2, `/`, -1, 0, `["message-back","still connected"]`},
	{`51-["message",{"_placeholder":true,"num":0}]`, "", 5, `/`, -1, 1, `["message",{"_placeholder":true,"num":0}]`},
	{`51-["message-back",{"_placeholder":true,"num":0}]`, "", 5, `/`, -1, 1, `["message-back",{"_placeholder":true,"num":0}]`},
	{`52-3["message-with-ack",{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]`, "", 5, `/`, 3, 2, `["message-with-ack",{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]`},
	{`62-3[{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]`, "", 6, `/`, 3, 2, `[{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]`},
	{`61-0[{"_placeholder":true,"num":0}]`, "", 6, `/`, 0, 1, `[{"_placeholder":true,"num":0}]`},
	{`0{"sid":"<SOCKET_ID2>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID2>"}`},
	{`2["send-binary"]`, "", 2, `/`, -1, 0, `["send-binary"]`},
	{`52-["binary",{"_placeholder":true,"num":0},{"nested":{"_placeholder":true,"num":1},"text":"x"}]`, "", 5, `/`, -1, 2, `["binary",{"_placeholder":true,"num":0},{"nested":{"_placeholder":true,"num":1},"text":"x"}]`},
	{`21["binary-ack"]`, "", 2, `/`, 1, 0, `["binary-ack"]`},
	{`61-1[{"_placeholder":true,"num":0},"text"]`, "", 6, `/`, 1, 1, `[{"_placeholder":true,"num":0},"text"]`},
	{`0{"sid":"<SOCKET_ID3>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID3>"}`},
	{`2["broadcast-ask",1000]`, "", 2, `/`, -1, 0, `["broadcast-ask",1000]`},
	{`20["poll","which one?"]`, "", 2, `/`, 0, 0, `["poll","which one?"]`},
	{`30["A says hi"]`, "", 3, `/`, 0, 0, `["A says hi"]`},
	{`30["B says hi"]`, "", 3, `/`, 0, 0, `["B says hi"]`},
	{`30["C says hi"]`, "", 3, `/`, 0, 0, `["C says hi"]`},
	{`2["broadcast-ask",500]`, "", 2, `/`, -1, 0, `["broadcast-ask",500]`},
	{`21["poll","which one?"]`, "", 2, `/`, 1, 0, `["poll","which one?"]`},
	{`31["A again"]`, "", 3, `/`, 1, 0, `["A again"]`},
	{`31["B again"]`, "", 3, `/`, 1, 0, `["B again"]`},
	{`1/custom,`, "", 1, `/custom`, -1, 0, ``},
	{`2["message","main still connected"]`, "", 2, `/`, -1, 0, `["message","main still connected"]`},
	{`2["message-back","main still connected"]`, "", 2, `/`, -1, 0, `["message-back","main still connected"]`},
	{`1`, "", 1, `/`, -1, 0, ``},
	{`0{"token":"abc"}`, "", 0, `/`, -1, 0, `{"token":"abc"}`},
	{`2["auth",{"token":"abc"}]`, "", 2, `/`, -1, 0, `["auth",{"token":"abc"}]`},
	{`0/custom,{"token":"xyz","n":1}`, "", 0, `/custom`, -1, 0, `{"token":"xyz","n":1}`},
	{`2/custom,["auth",{"token":"xyz","n":1}]`, "", 2, `/custom`, -1, 0, `["auth",{"token":"xyz","n":1}]`},
	{`0/nope,`, "", 0, `/nope`, -1, 0, ``},
	{`4/nope,{"message":"Invalid namespace"}`, "", 4, `/nope`, -1, 0, `{"message":"Invalid namespace"}`},
	{`2/custom,["message","on custom"]`, "", 2, `/custom`, -1, 0, `["message","on custom"]`},
	{`2/custom,["message-back","on custom"]`, "", 2, `/custom`, -1, 0, `["message-back","on custom"]`},
	{`2["message","on main"]`, "", 2, `/`, -1, 0, `["message","on main"]`},
	{`2["message-back","on main"]`, "", 2, `/`, -1, 0, `["message-back","on main"]`},
	{`0{"sid":"<SOCKET_ID4>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID4>"}`},
	{`0{"sid":"<SOCKET_ID5>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID5>"}`},
	{`2["kick"]`, "", 2, `/`, -1, 0, `["kick"]`},
	{`0{"sid":"<SOCKET_ID6>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID6>"}`},
	{`2["kick-close"]`, "", 2, `/`, -1, 0, `["kick-close"]`},
	{`0{"sid":"<SOCKET_ID7>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID7>"}`},
	{`2["conn-close"]`, "", 2, `/`, -1, 0, `["conn-close"]`},
	{`0{"sid":"<SOCKET_ID8>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID8>"}`},
	{in: `2{"bad":1}`, refErr: "invalid payload"},
	{`0{"sid":"<SOCKET_ID9>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID9>"}`},
	{`0{"sid":"<SOCKET_ID10>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID10>"}`},
	{`0{"sid":"<SOCKET_ID11>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID11>"}`},
	{`0{"sid":"<SOCKET_ID12>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID12>"}`},
	{`0{"sid":"<SOCKET_ID13>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID13>"}`},
	{`0{"sid":"<SOCKET_ID14>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID14>"}`},
	{`0{"sid":"<SOCKET_ID15>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID15>"}`},
	{`2["shutdown"]`, "", 2, `/`, -1, 0, `["shutdown"]`},
	{`0/dyn-42,`, "", 0, `/dyn-42`, -1, 0, ``},
	{`0/dyn-42,{"sid":"<SOCKET_ID>"}`, "", 0, `/dyn-42`, -1, 0, `{"sid":"<SOCKET_ID>"}`},
	{`2/dyn-42,["hello","/dyn-42"]`, "", 2, `/dyn-42`, -1, 0, `["hello","/dyn-42"]`},
	{`0/dyn-abc,`, "", 0, `/dyn-abc`, -1, 0, ``},
	{`4/dyn-abc,{"message":"Invalid namespace"}`, "", 4, `/dyn-abc`, -1, 0, `{"message":"Invalid namespace"}`},
	{`0/dyn-7,`, "", 0, `/dyn-7`, -1, 0, ``},
	{`0/dyn-7,{"sid":"<SOCKET_ID2>"}`, "", 0, `/dyn-7`, -1, 0, `{"sid":"<SOCKET_ID2>"}`},
	{`2/dyn-7,["hello","/dyn-7"]`, "", 2, `/dyn-7`, -1, 0, `["hello","/dyn-7"]`},
	{in: `2{"not":"array"}`, refErr: "invalid payload"},
	{in: `2["connect"]`, refErr: "invalid payload"},
	{in: `2[]`, refErr: "invalid payload"},
	{in: `z`, refErr: "unknown packet type NaN"},
	{in: `0"str"`, refErr: "invalid payload"},
	{`2/custom,["message","x"]`, "", 2, `/custom`, -1, 0, `["message","x"]`},
	{in: `2["message",`, refErr: "invalid payload"},
	{`4{"message":"x"}`, "", 4, `/`, -1, 0, `{"message":"x"}`},
	{`39["x"]`, "", 3, `/`, 9, 0, `["x"]`},
	{"2[\"message\",\"<b>&amp;</b>\",\"café\",\"\u2028\u2029\",\"😀\",\"\\u00e9\\ud83d\\ude00\",\"tab\\tq\\\"\",null,1.5,-0,1e21,1E2,0.1,[],{}]", "", 2, `/`, -1, 0, "[\"message\",\"<b>&amp;</b>\",\"café\",\"\u2028\u2029\",\"😀\",\"\\u00e9\\ud83d\\ude00\",\"tab\\tq\\\"\",null,1.5,-0,1e21,1E2,0.1,[],{}]"},
	{"2[\"message-back\",\"<b>&amp;</b>\",\"café\",\"\u2028\u2029\",\"😀\",\"é😀\",\"tab\\tq\\\"\",null,1.5,0,1e+21,100,0.1,[],{}]", "", 2, `/`, -1, 0, "[\"message-back\",\"<b>&amp;</b>\",\"café\",\"\u2028\u2029\",\"😀\",\"é😀\",\"tab\\tq\\\"\",null,1.5,0,1e+21,100,0.1,[],{}]"},
	{`2["message",{"b":1,"a":2,"b":3}]`, "", 2, `/`, -1, 0, `["message",{"b":1,"a":2,"b":3}]`},
	{`2["message-back",{"b":3,"a":2}]`, "", 2, `/`, -1, 0, `["message-back",{"b":3,"a":2}]`},
	{`0/guarded,{"token":"bad"}`, "", 0, `/guarded`, -1, 0, `{"token":"bad"}`},
	{`4/guarded,{"message":"not authorized","data":{"content":"Please retry later"}}`, "", 4, `/guarded`, -1, 0, `{"message":"not authorized","data":{"content":"Please retry later"}}`},
	{`0/guarded-plain,`, "", 0, `/guarded-plain`, -1, 0, ``},
	{`4/guarded-plain,{"message":"plain refusal"}`, "", 4, `/guarded-plain`, -1, 0, `{"message":"plain refusal"}`},
	{`2["batch"]`, "", 2, `/`, -1, 0, `["batch"]`},
	{`2["a",1]`, "", 2, `/`, -1, 0, `["a",1]`},
	{`2["b",2]`, "", 2, `/`, -1, 0, `["b",2]`},
	{`2["c",3]`, "", 2, `/`, -1, 0, `["c",3]`},
	{`2["message",1,"two",{"three":3}]`, "", 2, `/`, -1, 0, `["message",1,"two",{"three":3}]`},
	{`21["message-with-ack","x"]`, "", 2, `/`, 1, 0, `["message-with-ack","x"]`},
	{`2["message-back",1,"two",{"three":3}]`, "", 2, `/`, -1, 0, `["message-back",1,"two",{"three":3}]`},
	{`31["x"]`, "", 3, `/`, 1, 0, `["x"]`},
	{`0{"sid":"<SOCKET_ID>","pid":"<PID>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID>","pid":"<PID>"}`},
	{`2["auth",{},"<OFFSET>"]`, "", 2, `/`, -1, 0, `["auth",{},"<OFFSET>"]`},
	{`0{"sid":"<SOCKET_ID2>","pid":"<PID2>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID2>","pid":"<PID2>"}`},
	{`2["auth",{},"<OFFSET2>"]`, "", 2, `/`, -1, 0, `["auth",{},"<OFFSET2>"]`},
	{`21["join","r1"]`, "", 2, `/`, 1, 0, `["join","r1"]`},
	{`31["r1"]`, "", 3, `/`, 1, 0, `["r1"]`},
	{`2["message","m1"]`, "", 2, `/`, -1, 0, `["message","m1"]`},
	{`2["message-back","m1","<OFFSET3>"]`, "", 2, `/`, -1, 0, `["message-back","m1","<OFFSET3>"]`},
	{`2["broadcast","missed-1"]`, "", 2, `/`, -1, 0, `["broadcast","missed-1"]`},
	{`2["to-room","r1","missed-2"]`, "", 2, `/`, -1, 0, `["to-room","r1","missed-2"]`},
	{`0{"pid":"<PID>","offset":"<OFFSET3>"}`, "", 0, `/`, -1, 0, `{"pid":"<PID>","offset":"<OFFSET3>"}`},
	{`2["bcast","missed-1","<OFFSET4>"]`, "", 2, `/`, -1, 0, `["bcast","missed-1","<OFFSET4>"]`},
	{`2["room-msg","missed-2","<OFFSET5>"]`, "", 2, `/`, -1, 0, `["room-msg","missed-2","<OFFSET5>"]`},
	{`2["auth",{"pid":"<PID>","offset":"<OFFSET3>"},"<OFFSET6>"]`, "", 2, `/`, -1, 0, `["auth",{"pid":"<PID>","offset":"<OFFSET3>"},"<OFFSET6>"]`},
	{`0{"pid":"AAAAAAAAAAAAAAAAAAAA","offset":"<OFFSET3>"}`, "", 0, `/`, -1, 0, `{"pid":"AAAAAAAAAAAAAAAAAAAA","offset":"<OFFSET3>"}`},
	{`0{"sid":"<SOCKET_ID3>","pid":"<PID3>"}`, "", 0, `/`, -1, 0, `{"sid":"<SOCKET_ID3>","pid":"<PID3>"}`},
	{`2["auth",{"pid":"AAAAAAAAAAAAAAAAAAAA","offset":"<OFFSET3>"},"<OFFSET7>"]`, "", 2, `/`, -1, 0, `["auth",{"pid":"AAAAAAAAAAAAAAAAAAAA","offset":"<OFFSET3>"},"<OFFSET7>"]`},
	{`30["yes"]`, "", 3, `/`, 0, 0, `["yes"]`},
	{`2["to-room","r1","hello r1"]`, "", 2, `/`, -1, 0, `["to-room","r1","hello r1"]`},
	{`2["room-msg","hello r1"]`, "", 2, `/`, -1, 0, `["room-msg","hello r1"]`},
	{`2["to-room-except-me","r1","not for A"]`, "", 2, `/`, -1, 0, `["to-room-except-me","r1","not for A"]`},
	{`2["room-msg","not for A"]`, "", 2, `/`, -1, 0, `["room-msg","not for A"]`},
	{`2["broadcast","to all but A"]`, "", 2, `/`, -1, 0, `["broadcast","to all but A"]`},
	{`2["bcast","to all but A"]`, "", 2, `/`, -1, 0, `["bcast","to all but A"]`},
	{`2/custom,["kick"]`, "", 2, `/custom`, -1, 0, `["kick"]`},
	{`0/custom,{"sid":"<SOCKET_ID4>"}`, "", 0, `/custom`, -1, 0, `{"sid":"<SOCKET_ID4>"}`},
}

// referencePackets are edge cases; see refCase.
var referencePackets = []refCase{
	{`2`, "", 2, `/`, -1, 0, ``},
	{`3`, "", 3, `/`, -1, 0, ``},
	{`4`, "", 4, `/`, -1, 0, ``},
	{`1`, "", 1, `/`, -1, 0, ``},
	{`0`, "", 0, `/`, -1, 0, ``},
	{`0/`, "", 0, `/`, -1, 0, ``},
	{`0/custom`, "", 0, `/custom`, -1, 0, ``},
	{`0/custom,`, "", 0, `/custom`, -1, 0, ``},
	{`0/custom,{}`, "", 0, `/custom`, -1, 0, `{}`},
	{in: `0[]`, refErr: "invalid payload"},
	{in: `0null`, refErr: "invalid payload"},
	{in: `0"s"`, refErr: "invalid payload"},
	{`2["a"] `, "", 2, `/`, -1, 0, `["a"]`},
	{"2[\"a\"]\n", "", 2, `/`, -1, 0, `["a"]`},
	{`2[1]`, "", 2, `/`, -1, 0, `[1]`},
	{`2[1.5]`, "", 2, `/`, -1, 0, `[1.5]`},
	{in: `2[null]`, refErr: "invalid payload"},
	{in: `2[true]`, refErr: "invalid payload"},
	{in: `2[["a"]]`, refErr: "invalid payload"},
	{in: `2["connect"]`, refErr: "invalid payload"},
	{in: `2["disconnecting"]`, refErr: "invalid payload"},
	{in: `2["newListener"]`, refErr: "invalid payload"},
	{`2["constructor"]`, "", 2, `/`, -1, 0, `["constructor"]`},
	{`2["Connect"]`, "", 2, `/`, -1, 0, `["Connect"]`},
	{in: `2["conn\u0065ct"]`, refErr: "invalid payload"},
	{`2/a["x"]`, "", 2, `/a["x"]`, -1, 0, ``},
	{`2/a,["x"]`, "", 2, `/a`, -1, 0, `["x"]`},
	{`2/,["x"]`, "", 2, `/`, -1, 0, `["x"]`},
	{in: `2/a,b,["x"]`, refErr: "invalid payload"},
	{`2/a,12["x"]`, "", 2, `/a`, 12, 0, `["x"]`},
	{`201["x"]`, "", 2, `/`, 1, 0, `["x"]`},
	{in: `212a`, refErr: "invalid payload"},
	{`3[]`, "", 3, `/`, -1, 0, `[]`},
	{in: `3{}`, refErr: "invalid payload"},
	{`31`, "", 3, `/`, 1, 0, ``},
	{`4"x"`, "", 4, `/`, -1, 0, `"x"`},
	{`4{}`, "", 4, `/`, -1, 0, `{}`},
	{in: `4[]`, refErr: "invalid payload"},
	{`1/a,`, "", 1, `/a`, -1, 0, ``},
	{in: `1/a,{}`, refErr: "invalid payload"},
	{in: `1/a,null`, refErr: "invalid payload"},
	{in: `50-["x"]`, refErr: "Illegal attachments"},
	{in: `5-["x"]`, refErr: "Illegal attachments"},
	{`51-["x"]`, "", 5, `/`, -1, 1, `["x"]`},
	{`51-`, "", 5, `/`, -1, 1, ``},
	{in: `511-["x"]`, refErr: "too many attachments"},
	{`510-["x"]`, "", 5, `/`, -1, 10, `["x"]`},
	{in: `51["x"]`, refErr: "Illegal attachments"},
	{`51-/a,3["x"]`, "", 5, `/a`, 3, 1, `["x"]`},
	{`61-[]`, "", 6, `/`, -1, 1, `[]`},
	{`61-3[]`, "", 6, `/`, 3, 1, `[]`},
	{in: `61-{}`, refErr: "invalid payload"},
	{in: `7`, refErr: "unknown packet type 7"},
	{in: `8`, refErr: "unknown packet type 8"},
	{in: `9`, refErr: "unknown packet type 9"},
	{in: `z`, refErr: "unknown packet type NaN"},
	{in: `2x`, refErr: "invalid payload"},
	{in: `0{}x`, refErr: "invalid payload"},
	{in: `2["a"]]`, refErr: "invalid payload"},
	{in: `2["a"][]`, refErr: "invalid payload"},
	{`22`, "", 2, `/`, 2, 0, ``},
	{`2/a`, "", 2, `/a`, -1, 0, ``},
	{`2/a,`, "", 2, `/a`, -1, 0, ``},
	{`2/a,5`, "", 2, `/a`, 5, 0, ``},
	{in: `2"str"`, refErr: "invalid payload"},
	{in: `2{}`, refErr: "invalid payload"},
	{in: `2[{}]`, refErr: "invalid payload"},
	{in: `6`, refErr: "Illegal attachments"},
	{in: `5`, refErr: "Illegal attachments"},
	{in: `5/a,1-["x"]`, refErr: "Illegal attachments"},
	{`2["x",1e400]`, "", 2, `/`, -1, 0, `["x",1e400]`},
	{`2["\ud800"]`, "", 2, `/`, -1, 0, `["\ud800"]`},
	{`0{"a":1,"a":2}`, "", 0, `/`, -1, 0, `{"a":1,"a":2}`},
	{`0{} `, "", 0, `/`, -1, 0, `{}`},
	{in: "2[\"a\"]\u00a0", refErr: "invalid payload"}, // NBSP is no JSON whitespace
	{in: `2["connect_error"]`, refErr: "invalid payload"},
	{in: `2["disconnect"]`, refErr: "invalid payload"},
	{in: `2["removeListener"]`, refErr: "invalid payload"},
	{`2["connectx"]`, "", 2, `/`, -1, 0, `["connectx"]`},
	{in: `2["\u0063onnect"]`, refErr: "invalid payload"},
	{`2["connect\u0000"]`, "", 2, `/`, -1, 0, `["connect\u0000"]`},
	{`2[-1]`, "", 2, `/`, -1, 0, `[-1]`},
	{`2[0.5,"x"]`, "", 2, `/`, -1, 0, `[0.5,"x"]`},
	{`2[1e400]`, "", 2, `/`, -1, 0, `[1e400]`},
	{`2["a",{"x":[1,2,{"y":null}]}]`, "", 2, `/`, -1, 0, `["a",{"x":[1,2,{"y":null}]}]`},
	{`2[ "a" ]`, "", 2, `/`, -1, 0, `[ "a" ]`},
	{`2["a" ,1]`, "", 2, `/`, -1, 0, `["a" ,1]`},
	{"3[\"x\"] \r\n\t", "", 3, `/`, -1, 0, `["x"]`},
	{`0{"token":"abc"}`, "", 0, `/`, -1, 0, `{"token":"abc"}`},
	{`0/custom,{"token":"xyz","n":1}`, "", 0, `/custom`, -1, 0, `{"token":"xyz","n":1}`},
	{in: `0/custom,[]`, refErr: "invalid payload"},
	{`1/custom,`, "", 1, `/custom`, -1, 0, ``},
	{`1/custom`, "", 1, `/custom`, -1, 0, ``},
	{`4/nope,{"message":"Invalid namespace"}`, "", 4, `/nope`, -1, 0, `{"message":"Invalid namespace"}`},
	{`4"plain"`, "", 4, `/`, -1, 0, `"plain"`},
	{in: `4null`, refErr: "invalid payload"},
	{`2/custom,7["message-with-ack","c"]`, "", 2, `/custom`, 7, 0, `["message-with-ack","c"]`},
	{in: `2/a,b["x"]`, refErr: "invalid payload"},
	{`2/é,["x"]`, "", 2, `/é`, -1, 0, `["x"]`},
	{`2/a/b,["x"]`, "", 2, `/a/b`, -1, 0, `["x"]`},
	{`2/["x"]`, "", 2, `/["x"]`, -1, 0, ``},
	{in: `2/a,["x"`, refErr: "invalid payload"},
	{in: `2["x"]x`, refErr: "invalid payload"},
	{in: `2["x",]`, refErr: "invalid payload"},
	{in: `2["x" "y"]`, refErr: "invalid payload"},
	{in: `2["\x"]`, refErr: "invalid payload"},
	{in: "2[\"\t\"]", refErr: "invalid payload"},
	{in: `2[01]`, refErr: "invalid payload"},
	{in: `2[1.]`, refErr: "invalid payload"},
	{in: `2[.5]`, refErr: "invalid payload"},
	{in: `2[-]`, refErr: "invalid payload"},
	{in: `2[1e]`, refErr: "invalid payload"},
	{in: `2[tru]`, refErr: "invalid payload"},
	{`2["a",true,false,null]`, "", 2, `/`, -1, 0, `["a",true,false,null]`},
	{`29223372036854775807["x"]`, "", 2, `/`, 9223372036854775807, 0, `["x"]`}, // the reference: an inexact float
	{`20["x"]`, "", 2, `/`, 0, 0, `["x"]`},
	{`2007["x"]`, "", 2, `/`, 7, 0, `["x"]`},
	{`52-["x",{"_placeholder":true,"num":1}]`, "", 5, `/`, -1, 2, `["x",{"_placeholder":true,"num":1}]`},
	{in: `51-3/a,["x"]`, refErr: "invalid payload"},
	{in: `5999999999-["x"]`, refErr: "too many attachments"},
	{in: `51-[]`, refErr: "invalid payload"},
	{in: `51-{}`, refErr: "invalid payload"},
	{in: `51-["connect"]`, refErr: "invalid payload"},
	{in: `51-"x"`, refErr: "invalid payload"},
	{in: `61-"x"`, refErr: "invalid payload"},
	{`61-`, "", 6, `/`, -1, 1, ``},
	{`610-[]`, "", 6, `/`, -1, 10, `[]`},
	{in: `51--["x"]`, refErr: "invalid payload"},
	{in: `5-1-["x"]`, refErr: "Illegal attachments"},
}

// divergentPackets are accepted by the reference only through
// JavaScript's loose number coercion (Number(" ") is 0, Number("1e0") is
// 1, huge ids become inexact floats); ParsePacket rejects them.
var divergentPackets = []struct {
	in   string
	want error
}{
	{``, ErrUnknownType},
	{` `, ErrUnknownType},
	{`2 ["a"]`, errPayloadSpace},
	{"2\t[\"a\"]", errPayloadSpace},
	{`21 2["a"]`, errPayloadSpace},
	{`299999999999999999999["x"]`, ErrInvalidID},
	{`5 1-["x"]`, ErrIllegalAttachments},
	{`51e0-["x"]`, ErrIllegalAttachments},
	{`50x1-["x"]`, ErrIllegalAttachments},
	{`5+1-["x"]`, ErrIllegalAttachments},
	{`51.0-["x"]`, ErrIllegalAttachments},
	{`2 `, errPayloadSpace},
	{`0 {}`, errPayloadSpace},
	{`4 `, errPayloadSpace},
	{`29223372036854775808["x"]`, ErrInvalidID},
	{"\u00a02[\"a\"]", ErrUnknownType}, // NBSP is JavaScript whitespace: CONNECT, then bad JSON
}

// refErrors maps the reference's error messages to ParsePacket's errors.
var refErrors = map[string]error{
	"unknown packet type NaN": ErrUnknownType,
	"unknown packet type 7":   ErrUnknownType,
	"unknown packet type 8":   ErrUnknownType,
	"unknown packet type 9":   ErrUnknownType,
	"Illegal attachments":     ErrIllegalAttachments,
	"invalid payload":         ErrInvalidPayload,
}

func checkRefCase(t *testing.T, c refCase) {
	t.Helper()
	p, err := ParsePacket([]byte(c.in))
	if c.refErr != "" {
		if c.refErr == "too many attachments" {
			// ParsePacket leaves the limit to the Assembler.
			var a Assembler
			if err == nil {
				err = a.Start(&p)
			}
			if !errors.Is(err, ErrTooManyAttachments) && !errors.Is(err, ErrIllegalAttachments) {
				t.Errorf("%q: err = %v, want the attachment limit", c.in, err)
			}
			return
		}
		want := refErrors[c.refErr]
		if want == nil {
			t.Fatalf("%q: no mapping for reference error %q", c.in, c.refErr)
		}
		if !errors.Is(err, want) || !errors.Is(err, ErrInvalidPacket) {
			t.Errorf("%q: err = %v, want %v (reference: %s)", c.in, err, want, c.refErr)
		}
		return
	}
	if err != nil {
		t.Errorf("%q: unexpected error %v", c.in, err)
		return
	}
	if p.Type != c.typ || string(p.Namespace) != c.nsp || p.ID != c.id || p.Attachments != c.atts || string(p.Data) != c.data {
		t.Errorf("%q: got {%v %q %d %d %q}, want {%v %q %d %d %q}", c.in,
			p.Type, p.Namespace, p.ID, p.Attachments, p.Data, c.typ, c.nsp, c.id, c.atts, c.data)
	}
}

func TestParsePacketGolden(t *testing.T) {
	invalid := 0
	for _, c := range goldenPackets {
		checkRefCase(t, c)
		if c.refErr != "" {
			invalid++
		}
	}
	// 4z, 40"str", 42[], 42["connect"], 42{"not":"array"}, 42["message",
	// (sio-invalid-packets) and 42{"bad":1} (sio-disconnect-reasons).
	if invalid != 7 {
		t.Errorf("%d invalid golden packets, want 7", invalid)
	}
}

func TestParsePacketReference(t *testing.T) {
	for _, c := range referencePackets {
		checkRefCase(t, c)
	}
}

func TestParsePacketDivergences(t *testing.T) {
	for _, c := range divergentPackets {
		if _, err := ParsePacket([]byte(c.in)); !errors.Is(err, c.want) || !errors.Is(err, ErrInvalidPacket) {
			t.Errorf("%q: err = %v, want %v", c.in, err, c.want)
		}
	}
}

// TestParsePacketStateErrors: packets of sio-invalid-packets.txt that the
// reference server refuses for the connection's state, not because its
// decoder rejects them; ParsePacket must accept them (the server decides).
func TestParsePacketStateErrors(t *testing.T) {
	for _, in := range []string{
		`2/custom,["message","x"]`, // namespace not joined
		`0`,                        // second CONNECT
		`4{"message":"x"}`,         // CONNECT_ERROR from a client
		`39["x"]`,                  // ACK for an id never used: ignored
	} {
		if _, err := ParsePacket([]byte(in)); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestParsePacketRoundTrip(t *testing.T) {
	var buf []byte
	for _, c := range goldenPackets {
		if c.refErr != "" {
			continue
		}
		p, err := ParsePacket([]byte(c.in))
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		buf = AppendPacket(buf[:0], &p)
		if string(buf) != c.in {
			t.Errorf("AppendPacket(ParsePacket(%q)) = %q", c.in, buf)
		}
		h := AppendPacketHeader(nil, &p)
		if string(h)+string(p.Data) != c.in {
			t.Errorf("AppendPacketHeader(%q) = %q", c.in, h)
		}
	}
}

func TestAppendPacket(t *testing.T) {
	tests := []struct {
		p    Packet
		want string
	}{
		{Packet{Type: PacketConnect, ID: NoID}, "0"},
		{Packet{Type: PacketConnect, Namespace: []byte("/"), ID: NoID, Data: []byte(`{"sid":"x"}`)}, `0{"sid":"x"}`},
		{Packet{Type: PacketDisconnect, Namespace: []byte("/custom"), ID: NoID}, "1/custom,"},
		{Packet{Type: PacketEvent, Namespace: []byte("/a"), ID: 12, Data: []byte(`["x"]`)}, `2/a,12["x"]`},
		{Packet{Type: PacketEvent, ID: 0, Data: []byte(`["x"]`)}, `20["x"]`},
		{Packet{Type: PacketAck, ID: 9223372036854775807, Data: []byte(`[]`)}, `39223372036854775807[]`},
		{Packet{Type: PacketConnectError, Namespace: []byte("/nope"), ID: NoID, Data: []byte(`{"message":"Invalid namespace"}`)},
			`4/nope,{"message":"Invalid namespace"}`},
		{Packet{Type: PacketBinaryEvent, ID: NoID, Attachments: 2, Data: []byte(`["b",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)},
			`52-["b",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`},
		{Packet{Type: PacketBinaryAck, Namespace: []byte("/c"), ID: 3, Attachments: 1, Data: []byte(`[{"_placeholder":true,"num":0}]`)},
			`61-/c,3[{"_placeholder":true,"num":0}]`},
	}
	for _, tt := range tests {
		if got := string(AppendPacket([]byte("4"), &tt.p)); got != "4"+tt.want {
			t.Errorf("AppendPacket(%+v) = %q, want %q", tt.p, got, "4"+tt.want)
		}
		p, err := ParsePacket([]byte(tt.want))
		if err != nil {
			t.Errorf("ParsePacket(%q): %v", tt.want, err)
			continue
		}
		if got := string(AppendPacket(nil, &p)); got != tt.want {
			t.Errorf("round trip %q → %q", tt.want, got)
		}
	}
}

func TestParsePacketAliases(t *testing.T) {
	b := []byte(`2/chat,7["msg","hi"]`)
	p, err := ParsePacket(b)
	if err != nil {
		t.Fatal(err)
	}
	if &p.Namespace[0] != &b[1] || &p.Data[0] != &b[8] {
		t.Error("Namespace and Data must alias the input")
	}
	p, _ = ParsePacket([]byte(`2["x"]`))
	if string(p.Namespace) != "/" || cap(p.Namespace) != 1 {
		t.Errorf("default namespace %q (cap %d)", p.Namespace, cap(p.Namespace))
	}
}

func TestPacketTypeString(t *testing.T) {
	want := []string{"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK", "PacketType(7)"}
	for i, w := range want {
		if got := PacketType(i).String(); got != w {
			t.Errorf("PacketType(%d) = %q, want %q", i, got, w)
		}
	}
}

func TestParsePacketDepth(t *testing.T) {
	deep := func(n int) []byte {
		return []byte(`2["x",` + strings.Repeat("[", n) + strings.Repeat("]", n) + "]")
	}
	if _, err := ParsePacket(deep(maxJSONDepth - 1)); err != nil {
		t.Errorf("depth %d: %v", maxJSONDepth, err)
	}
	if _, err := ParsePacket(deep(maxJSONDepth)); !errors.Is(err, ErrInvalidPayload) {
		t.Errorf("depth %d: err = %v", maxJSONDepth+1, err)
	}
}

func TestEventName(t *testing.T) {
	tests := []struct {
		data, name string
		alias      bool // name aliases data
	}{
		{`["chat","hello"]`, "chat", true},
		{`["chat"]`, "chat", true},
		{` [ "chat" , 1 ] `, "chat", true},
		{`[""]`, "", true},
		{`["caf\u00e9",1]`, "café", false},
		{`["a\"b\\c\n"]`, "a\"b\\c\n", false},
		{`["\ud83d\ude00"]`, "😀", false},
		{`["\ud800x"]`, "\uFFFDx", false},
		{`[1,"x"]`, "1", true},
		{`[-12]`, "-12", true},
		{`[1.5]`, "1.5", false},
		{`[1e2]`, "100", false},
		{`[1E21]`, "1e+21", false},
		{`[-0]`, "0", false},
		{`[0]`, "0", true},
		{`[007]`, "", false}, // not JSON
		{`[1e400]`, "Infinity", false},
		{`[-1e400]`, "-Infinity", false},
		{`[12345678901234567890]`, "12345678901234567000", false},
	}
	for _, tt := range tests {
		name, err := EventName([]byte(tt.data))
		if tt.name == "" && tt.data != `[""]` {
			if err == nil {
				t.Errorf("EventName(%s) = %q, want an error", tt.data, name)
			}
			continue
		}
		if err != nil || string(name) != tt.name {
			t.Errorf("EventName(%s) = %q, %v; want %q", tt.data, name, err, tt.name)
			continue
		}
		data := []byte(tt.data)
		name, _ = EventName(data)
		aliased := len(name) > 0 && within(name, data)
		if aliased != tt.alias && len(name) > 0 {
			t.Errorf("EventName(%s): aliased = %v", tt.data, aliased)
		}
		// AppendEventName decodes into the caller's buffer.
		scratch := make([]byte, 0, 64)
		n2, err := AppendEventName(scratch, data)
		if err != nil || string(n2) != tt.name {
			t.Errorf("AppendEventName(%s) = %q, %v", tt.data, n2, err)
		}
	}
	for _, bad := range []string{``, `{}`, `[]`, `[null]`, `[true]`, `[{}]`, `[[]]`, `["x"`, `["x" 1]`, `["x`, `[`, `"x"`, `[-]`} {
		if name, err := EventName([]byte(bad)); err == nil {
			t.Errorf("EventName(%s) = %q, want an error", bad, name)
		}
	}
}

// within reports whether sub's bytes lie inside b.
func within(sub, b []byte) bool {
	if len(sub) == 0 || len(b) == 0 {
		return false
	}
	s, lo := uintptr(unsafe.Pointer(&sub[0])), uintptr(unsafe.Pointer(&b[0]))
	return s >= lo && s+uintptr(len(sub)) <= lo+uintptr(len(b))
}

// goldenDir is where the golden captures live in the repository; the
// environment variable SIOLOOP_GOLDEN overrides it.
func goldenDir() string {
	if d := os.Getenv("SIOLOOP_GOLDEN"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "interop", "testdata", "golden")
}

var goldenLineRe = regexp.MustCompile(`^(?:\[[^\]]+\] )?([<>]) (ws text|body): (.*)$`)

// TestGoldenFiles reads the captures themselves: every Socket.IO packet in
// them (WebSocket text frames and polling records that are Engine.IO
// messages) must parse, except the ones the reference rejected, and must
// be in goldenPackets.
func TestGoldenFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(goldenDir(), "sio-*.txt"))
	if len(files) == 0 {
		t.Skip("no sio-*.txt golden captures in " + goldenDir())
	}
	known := map[string]refCase{}
	for _, c := range goldenPackets {
		known[c.in] = c
	}
	seen := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			m := goldenLineRe.FindStringSubmatch(sc.Text())
			if m == nil || strings.HasPrefix(m[3], "(") {
				continue // not a message, or an abbreviated one
			}
			recs := [][]byte{golden.Unrender(m[3])}
			if m[2] == "body" {
				recs = bytes.Split(recs[0], []byte{0x1e})
			}
			for _, r := range recs {
				if len(r) == 0 || r[0] != '4' {
					continue
				}
				seen++
				c, ok := known[string(r[1:])]
				if !ok {
					t.Errorf("%s: packet %q missing from goldenPackets", filepath.Base(f), r[1:])
					continue
				}
				checkRefCase(t, c)
			}
		}
		fh.Close()
	}
	if seen == 0 {
		t.Error("no Socket.IO packets found in the captures")
	}
}

// TestParsePacketPlain compares ParsePacket with parsePlain, a slow,
// obviously-correct reading of the reference algorithm built on
// encoding/json, over the tables and mutations of them.
func TestParsePacketPlain(t *testing.T) {
	var inputs []string
	for _, c := range goldenPackets {
		inputs = append(inputs, c.in)
	}
	for _, c := range referencePackets {
		inputs = append(inputs, c.in)
	}
	n := len(inputs)
	for _, in := range inputs[:n] {
		for i := 0; i <= len(in) && i < 40; i++ {
			inputs = append(inputs, in[:i], in[:i]+in[min(i+1, len(in)):])
		}
	}
	for _, in := range inputs {
		comparePlain(t, []byte(in))
	}
}

func comparePlain(t testing.TB, b []byte) {
	t.Helper()
	p, err := ParsePacket(b)
	q, ok := parsePlain(b)
	if (err == nil) != ok {
		t.Fatalf("%q: ParsePacket err = %v, plain ok = %v", b, err, ok)
	}
	if !ok {
		return
	}
	if p.Type != q.Type || !bytes.Equal(p.Namespace, q.Namespace) || p.ID != q.ID ||
		p.Attachments != q.Attachments || !bytes.Equal(p.Data, q.Data) {
		t.Fatalf("%q: ParsePacket %+v, plain %+v", b, p, q)
	}
}

// parsePlain follows socket.io-parser's decodeString step by step, with
// ParsePacket's documented restrictions, using encoding/json for the
// payload.
func parsePlain(b []byte) (Packet, bool) {
	s := string(b)
	if s == "" || s[0] < '0' || s[0] > '6' {
		return Packet{}, false
	}
	p := Packet{Type: PacketType(s[0] - '0'), Namespace: []byte("/"), ID: -1}
	i := 1
	if p.Type == PacketBinaryEvent || p.Type == PacketBinaryAck {
		dash := strings.IndexByte(s, '-')
		if dash < 0 {
			return Packet{}, false
		}
		digits := s[1:dash]
		if len(digits) == 0 || len(digits) > 9 || strings.Trim(digits, "0123456789") != "" {
			return Packet{}, false
		}
		n, _ := strconv.Atoi(digits)
		if n < 1 {
			return Packet{}, false
		}
		p.Attachments = n
		i = dash + 1
	}
	if i < len(s) && s[i] == '/' {
		end := strings.IndexByte(s[i:], ',')
		if end < 0 {
			p.Namespace = []byte(s[i:])
			i = len(s)
		} else {
			p.Namespace = []byte(s[i : i+end])
			i += end + 1
		}
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j > i {
		id, err := strconv.ParseInt(s[i:j], 10, 64)
		if err != nil {
			return Packet{}, false
		}
		p.ID = id
		i = j
	}
	if i == len(s) {
		return p, true
	}
	rest := s[i:]
	if strings.IndexAny(rest[:1], " \t\r\n") == 0 || !json.Valid([]byte(rest)) {
		return Packet{}, false
	}
	p.Data = []byte(strings.TrimRight(rest, " \t\r\n"))
	var v any
	if err := json.Unmarshal(p.Data, &v); err != nil {
		// encoding/json refuses numbers beyond float64; JSON.parse does not.
		var arr []json.RawMessage
		if json.Unmarshal(p.Data, &arr) != nil {
			if p.Type == PacketConnect || p.Type == PacketConnectError {
				return p, json.Unmarshal(p.Data, &map[string]json.RawMessage{}) == nil
			}
			return Packet{}, false
		}
		v = []any{}
		for _, e := range arr {
			var x any
			if json.Unmarshal(e, &x) != nil {
				x = 1e308 // a number out of range
			}
			v = append(v.([]any), x)
		}
	}
	switch p.Type {
	case PacketConnect:
		_, ok := v.(map[string]any)
		return p, ok
	case PacketDisconnect:
		return Packet{}, false
	case PacketConnectError:
		switch v.(type) {
		case map[string]any, string:
			return p, true
		}
		return Packet{}, false
	case PacketAck, PacketBinaryAck:
		_, ok := v.([]any)
		return p, ok
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return Packet{}, false
	}
	switch name := arr[0].(type) {
	case float64:
		return p, true
	case string:
		switch name {
		case "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener":
			return Packet{}, false
		}
		return p, true
	}
	return Packet{}, false
}

// nodeDecoder is a Node.js script that runs socket.io-parser's Decoder on
// each JSON-string line of stdin and writes what it made of it.
const nodeDecoder = `
const { Decoder } = require(process.argv[2]);
const out = [];
for (const l of require("fs").readFileSync(0, "utf8").split("\n")) {
  if (!l) continue;
  const d = new Decoder();
  let p = null;
  d.on("decoded", (x) => { p = x; });
  try {
    d.add(JSON.parse(l));
    if (!p && d.reconstructor) p = Object.assign({}, d.reconstructor.reconPack, { bin: true });
    out.push(JSON.stringify({ t: p.type + (p.bin ? 3 : 0), nsp: p.nsp, id: p.id === undefined ? -1 : p.id,
      n: p.attachments || 0, data: p.data === undefined ? "" : JSON.stringify(p.data) }));
  } catch (e) {
    out.push(JSON.stringify({ err: e.message }));
  }
}
process.stdout.write(out.join("\n") + "\n");
`

// TestParsePacketNode compares ParsePacket with the reference decoder
// itself over a combinatorial set of packets. It needs node and the
// interop package's node_modules (make deps); it is skipped without them.
func TestParsePacketNode(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	mod, err := filepath.Abs(filepath.Join("..", "..", "interop", "node_modules", "socket.io-parser"))
	if err != nil {
		t.Skip(err)
	}
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(mod); err != nil || serr != nil {
		t.Skip("node or interop/node_modules/socket.io-parser not available")
	}
	var inputs []string
	for _, typ := range []string{"0", "1", "2", "3", "4", "5", "6", "7", "z"} {
		for _, att := range []string{"", "1-", "2-", "0-", "10-", "11-", "-", "1"} {
			for _, nsp := range []string{"", "/", "/a,", "/a", "/,", "/a,b,", "/é,"} {
				for _, id := range []string{"", "0", "1", "007", "123"} {
					for _, data := range []string{"", `[]`, `{}`, `"s"`, `["x"]`, `[1]`, `["connect"]`,
						`["conn\u0065ct"]`, `[null]`, `["x",1]`, "[\"x\"] \n", `["x"`, `null`, `1`,
						`[{"_placeholder":true,"num":0}]`, `["x"]x`, `[["x"]]`, `[-1.5e3]`, `[1e400]`,
						`"a\u0000"`, `{"a":[1,{}]}`, `["x",{"y":"\ud800"}]`, `[ "x" ]`, `[true]`, `{"a":1,"a":2}`} {
						inputs = append(inputs, typ+att+nsp+id+data)
					}
				}
			}
		}
	}
	script := filepath.Join(t.TempDir(), "decode.js")
	if err := os.WriteFile(script, []byte(nodeDecoder), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdin bytes.Buffer
	for _, in := range inputs {
		b, _ := json.Marshal(in)
		stdin.Write(append(b, '\n'))
	}
	// A file, not a pipe: node's readFileSync(0) is slow on a pipe.
	inFile := filepath.Join(t.TempDir(), "packets.txt")
	if err := os.WriteFile(inFile, stdin.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(inFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(node, script, mod)
	cmd.Stdin = f
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("node answered %d lines for %d inputs", len(lines), len(inputs))
	}
	for k, in := range inputs {
		var ref struct {
			Err  string
			T    int
			Nsp  string
			ID   json.Number
			N    int
			Data string
		}
		if err := json.Unmarshal([]byte(lines[k]), &ref); err != nil {
			t.Fatal(err)
		}
		p, err := ParsePacket([]byte(in))
		switch {
		case ref.Err == "too many attachments":
			if err == nil && p.Attachments <= DefaultMaxAttachments {
				t.Errorf("%q: accepted with %d attachments; reference: %s", in, p.Attachments, ref.Err)
			}
		case ref.Err != "":
			if err == nil {
				t.Errorf("%q: accepted %+v; reference: %s", in, p, ref.Err)
			}
		case err != nil:
			t.Errorf("%q: %v; reference accepts it", in, err)
		default:
			id := strconv.FormatInt(p.ID, 10)
			if int(p.Type) != ref.T || string(p.Namespace) != ref.Nsp || id != string(ref.ID) || p.Attachments != ref.N {
				t.Errorf("%q: got {%d %q %s %d}, reference {%d %q %s %d}", in,
					p.Type, p.Namespace, id, p.Attachments, ref.T, ref.Nsp, ref.ID, ref.N)
			}
			var mine, theirs any
			if json.Unmarshal(p.Data, &mine) == nil && len(ref.Data) > 0 {
				_ = json.Unmarshal([]byte(ref.Data), &theirs)
				if !reflect.DeepEqual(mine, theirs) {
					t.Errorf("%q: data %s, reference %s", in, p.Data, ref.Data)
				}
			} else if (len(p.Data) == 0) != (ref.Data == "") {
				t.Errorf("%q: data %q, reference %q", in, p.Data, ref.Data)
			}
		}
	}
	t.Logf("%d packets compared with the reference decoder", len(inputs))
}
