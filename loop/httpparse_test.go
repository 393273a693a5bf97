package loop

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// Requests as real clients send them.
const (
	// Golden captures (interop/testdata/golden, <HOST> = 127.0.0.1:3000).
	// eio-polling-handshake.txt
	reqGoldenHandshake = "GET /socket.io/?EIO=4&transport=polling&t=PxYz12a HTTP/1.1\r\n" +
		"Host: 127.0.0.1:3000\r\n\r\n"
	// eio-polling-cors.txt, POST from the allowed origin.
	reqGoldenPost = "POST /socket.io/?EIO=4&transport=polling&sid=Sk4tyB1rK9oZpQ3xAAAA HTTP/1.1\r\n" +
		"Host: 127.0.0.1:3000\r\n" +
		"Content-Type: text/plain;charset=UTF-8\r\n" +
		"Origin: https://app.example.com\r\n" +
		"Content-Length: 2\r\n\r\n" +
		"40"
	// eio-polling-cors.txt, preflight.
	reqGoldenPreflight = "OPTIONS /socket.io/?EIO=4&transport=polling&sid=Sk4tyB1rK9oZpQ3xAAAA HTTP/1.1\r\n" +
		"Host: 127.0.0.1:3000\r\n" +
		"Origin: https://app.example.com\r\n" +
		"Access-Control-Request-Method: POST\r\n" +
		"Access-Control-Request-Headers: content-type\r\n\r\n"
	// eio-ws-handshake.txt
	reqGoldenWS = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n" +
		"Host: 127.0.0.1:3000\r\n" +
		"Connection: Upgrade\r\n" +
		"Upgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
	// eio-polling-binary.txt: a binary POST body.
	reqGoldenBinaryPost = "POST /socket.io/?EIO=4&transport=polling&sid=Sk4tyB1rK9oZpQ3xAAAA HTTP/1.1\r\n" +
		"Host: 127.0.0.1:3000\r\n" +
		"Content-Type: application/octet-stream\r\n" +
		"Content-Length: 3\r\n\r\n" +
		"\x04\x01\x02"

	// engine.io-client 6.6 on Node 20 (xmlhttprequest-ssl and ws), as
	// captured on the wire.
	reqNodeGet = "GET /socket.io/?EIO=4&transport=polling&t=fioplkgv HTTP/1.1\r\n" +
		"User-Agent: node-XMLHttpRequest\r\n" +
		"Accept: */*\r\n" +
		"Host: 127.0.0.1:33287\r\n" +
		"Connection: close\r\n\r\n"
	reqNodePost = "POST /socket.io/?EIO=4&transport=polling&t=fioqh6iu&sid=ZdJl95os2qAYBw58AAAA HTTP/1.1\r\n" +
		"User-Agent: node-XMLHttpRequest\r\n" +
		"Accept: */*\r\n" +
		"Content-type: text/plain;charset=UTF-8\r\n" +
		"Host: 127.0.0.1:33287\r\n" +
		"Content-Length: 20\r\n" +
		"Connection: close\r\n\r\n" +
		`420["hello","world"]`
	reqNodeWS = "GET /socket.io/?EIO=4&transport=websocket&sid=ZdJl95os2qAYBw58AAAA HTTP/1.1\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: J64zWW4G70v4GeO6Nei3tA==\r\n" +
		"Connection: Upgrade\r\n" +
		"Upgrade: websocket\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
		"Host: 127.0.0.1:33287\r\n\r\n"
	// The client's first frame ("2probe", masked) arrived in the same read.
	nodeWSFrame = "\x81\x86\xdc\x9d\x0a\x53\xee\xed\x78\x3c\xbe\xf8"

	// Browsers (engine.io-client 6.6 in Chrome 131 and Firefox 133).
	reqChromeGet = "GET /socket.io/?EIO=4&transport=polling&t=PIxYz9q&sid=ZdJl95os2qAYBw58AAAA HTTP/1.1\r\n" +
		"Host: localhost:3000\r\n" +
		"Connection: keep-alive\r\n" +
		"sec-ch-ua-platform: \"macOS\"\r\n" +
		"User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
		"sec-ch-ua: \"Google Chrome\";v=\"131\", \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n" +
		"sec-ch-ua-mobile: ?0\r\n" +
		"Accept: */*\r\n" +
		"Origin: http://localhost:8080\r\n" +
		"Sec-Fetch-Site: same-site\r\n" +
		"Sec-Fetch-Mode: cors\r\n" +
		"Sec-Fetch-Dest: empty\r\n" +
		"Referer: http://localhost:8080/\r\n" +
		"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
		"Accept-Language: en-US,en;q=0.9\r\n" +
		"Cookie: io=ZdJl95os2qAYBw58AAAA; _ga=GA1.1.123456789.1700000000\r\n\r\n"
	reqChromePost = "POST /socket.io/?EIO=4&transport=polling&t=PIxYzB1&sid=ZdJl95os2qAYBw58AAAA HTTP/1.1\r\n" +
		"Host: localhost:3000\r\n" +
		"Connection: keep-alive\r\n" +
		"Content-Length: 100\r\n" +
		"sec-ch-ua-platform: \"macOS\"\r\n" +
		"User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
		"sec-ch-ua: \"Google Chrome\";v=\"131\", \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n" +
		"Content-type: text/plain;charset=UTF-8\r\n" +
		"sec-ch-ua-mobile: ?0\r\n" +
		"Accept: */*\r\n" +
		"Origin: http://localhost:8080\r\n" +
		"Sec-Fetch-Site: same-site\r\n" +
		"Sec-Fetch-Mode: cors\r\n" +
		"Sec-Fetch-Dest: empty\r\n" +
		"Referer: http://localhost:8080/\r\n" +
		"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
		"Accept-Language: en-US,en;q=0.9\r\n\r\n" +
		`42["chat message","hello there, this is a message of exactly the right size to be 100 bytes......!"]`
	reqChromeWS = "GET /socket.io/?EIO=4&transport=websocket&sid=ZdJl95os2qAYBw58AAAA HTTP/1.1\r\n" +
		"Host: localhost:3000\r\n" +
		"Connection: Upgrade\r\n" +
		"Pragma: no-cache\r\n" +
		"Cache-Control: no-cache\r\n" +
		"User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
		"Upgrade: websocket\r\n" +
		"Origin: http://localhost:8080\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
		"Accept-Language: en-US,en;q=0.9\r\n" +
		"Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
	reqFirefoxWS = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n" +
		"Host: localhost:3000\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0\r\n" +
		"Accept: */*\r\n" +
		"Accept-Language: en-US,en;q=0.5\r\n" +
		"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"Origin: http://localhost:8080\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate\r\n" +
		"Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n" +
		"Connection: keep-alive, Upgrade\r\n" +
		"Sec-Fetch-Dest: empty\r\n" +
		"Sec-Fetch-Mode: websocket\r\n" +
		"Sec-Fetch-Site: same-site\r\n" +
		"Pragma: no-cache\r\n" +
		"Cache-Control: no-cache\r\n" +
		"Upgrade: websocket\r\n\r\n"
	// curl -T- (chunked upload) with a trailer added by hand.
	reqChunked = "POST /upload HTTP/1.1\r\n" +
		"Host: localhost\r\n" +
		"Transfer-Encoding: chunked\r\n\r\n" +
		"4\r\nWiki\r\n" +
		"7;name=\"x\"\r\npedia i\r\n" +
		"B\r\nn \r\nchunks.\r\n" +
		"0\r\n" +
		"Expires: never\r\n\r\n"
)

const needMore = -1 // parseCase.status: ErrNeedMore

type parseCase struct {
	name   string
	in     string
	lim    *Limits
	status int // 0: parsed; needMore; else the HTTPError status
	n      int // bytes consumed if parsed; 0 means len(in)
	check  func(t *testing.T, r *Request)
}

// field compares a parsed field with its expected value; "<nil>" expects nil.
func field(t *testing.T, name string, got []byte, want string) {
	t.Helper()
	if want == "<nil>" {
		if got != nil {
			t.Errorf("%s = %q, want nil", name, got)
		}
		return
	}
	if got == nil || string(got) != want {
		t.Errorf("%s = %q (nil %v), want %q", name, got, got == nil, want)
	}
}

func flags(t *testing.T, r *Request, keepAlive, upgrade, chunked bool) {
	t.Helper()
	if r.KeepAlive != keepAlive || r.Upgrade != upgrade || r.Chunked != chunked {
		t.Errorf("KeepAlive, Upgrade, Chunked = %v, %v, %v; want %v, %v, %v",
			r.KeepAlive, r.Upgrade, r.Chunked, keepAlive, upgrade, chunked)
	}
}

var parseCases = []parseCase{
	{name: "golden polling handshake", in: reqGoldenHandshake, check: func(t *testing.T, r *Request) {
		field(t, "Method", r.Method, "GET")
		field(t, "Target", r.Target, "/socket.io/?EIO=4&transport=polling&t=PxYz12a")
		field(t, "Path", r.Path, "/socket.io/")
		field(t, "RawQuery", r.RawQuery, "EIO=4&transport=polling&t=PxYz12a")
		field(t, "Host", r.Host, "127.0.0.1:3000")
		field(t, "Origin", r.Origin, "<nil>")
		field(t, "Body", r.Body, "<nil>")
		if r.Major != 1 || r.Minor != 1 || len(r.Headers) != 1 || r.ContentLength != -1 {
			t.Errorf("version %d.%d, %d headers, ContentLength %d", r.Major, r.Minor, len(r.Headers), r.ContentLength)
		}
		if r.HeaderLen != len(reqGoldenHandshake) || r.FieldsStart != len("GET /socket.io/?EIO=4&transport=polling&t=PxYz12a HTTP/1.1\r\n") {
			t.Errorf("FieldsStart = %d, HeaderLen = %d", r.FieldsStart, r.HeaderLen)
		}
		flags(t, r, true, false, false)
	}},
	{name: "golden polling POST", in: reqGoldenPost, check: func(t *testing.T, r *Request) {
		field(t, "Method", r.Method, "POST")
		field(t, "ContentType", r.ContentType, "text/plain;charset=UTF-8")
		field(t, "Origin", r.Origin, "https://app.example.com")
		field(t, "Body", r.Body, "40")
		if r.ContentLength != 2 || r.HeaderLen != len(reqGoldenPost)-2 {
			t.Errorf("ContentLength %d, HeaderLen %d", r.ContentLength, r.HeaderLen)
		}
		flags(t, r, true, false, false)
	}},
	{name: "golden preflight", in: reqGoldenPreflight, check: func(t *testing.T, r *Request) {
		field(t, "Method", r.Method, "OPTIONS")
		field(t, "ACRH", r.Header("access-control-request-headers"), "content-type")
		field(t, "ACRM", r.Header("ACCESS-CONTROL-REQUEST-METHOD"), "POST")
	}},
	{name: "golden websocket", in: reqGoldenWS, check: func(t *testing.T, r *Request) {
		field(t, "SecWebSocketKey", r.SecWebSocketKey, "dGhlIHNhbXBsZSBub25jZQ==")
		field(t, "SecWebSocketVersion", r.SecWebSocketVersion, "13")
		field(t, "Extensions", r.Header("Sec-WebSocket-Extensions"), "permessage-deflate; client_max_window_bits")
		flags(t, r, true, true, false)
	}},
	{name: "golden binary POST", in: reqGoldenBinaryPost, check: func(t *testing.T, r *Request) {
		field(t, "ContentType", r.ContentType, "application/octet-stream")
		field(t, "Body", r.Body, "\x04\x01\x02")
	}},
	{name: "node polling GET", in: reqNodeGet, check: func(t *testing.T, r *Request) {
		field(t, "Host", r.Host, "127.0.0.1:33287")
		flags(t, r, false, false, false)
	}},
	{name: "node polling POST", in: reqNodePost, check: func(t *testing.T, r *Request) {
		field(t, "ContentType", r.ContentType, "text/plain;charset=UTF-8")
		field(t, "Body", r.Body, `420["hello","world"]`)
		flags(t, r, false, false, false)
	}},
	{name: "node websocket with first frame", in: reqNodeWS + nodeWSFrame, n: len(reqNodeWS), check: func(t *testing.T, r *Request) {
		field(t, "SecWebSocketKey", r.SecWebSocketKey, "J64zWW4G70v4GeO6Nei3tA==")
		field(t, "Body", r.Body, "<nil>")
		flags(t, r, true, true, false)
	}},
	{name: "chrome polling GET", in: reqChromeGet, check: func(t *testing.T, r *Request) {
		field(t, "Cookie", r.Cookie, "io=ZdJl95os2qAYBw58AAAA; _ga=GA1.1.123456789.1700000000")
		field(t, "AcceptEncoding", r.AcceptEncoding, "gzip, deflate, br, zstd")
		field(t, "Origin", r.Origin, "http://localhost:8080")
		field(t, "sec-ch-ua", r.Header("Sec-CH-UA"), `"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"`)
		if len(r.Headers) != 15 {
			t.Errorf("%d headers", len(r.Headers))
		}
		flags(t, r, true, false, false)
	}},
	{name: "chrome polling POST", in: reqChromePost, check: func(t *testing.T, r *Request) {
		field(t, "ContentType", r.ContentType, "text/plain;charset=UTF-8")
		if len(r.Body) != 100 || r.ContentLength != 100 {
			t.Errorf("body %d bytes, ContentLength %d", len(r.Body), r.ContentLength)
		}
	}},
	{name: "chrome websocket", in: reqChromeWS, check: func(t *testing.T, r *Request) {
		field(t, "SecWebSocketKey", r.SecWebSocketKey, "x3JJHMbDL1EzLkh9GBhXDw==")
		flags(t, r, true, true, false)
	}},
	{name: "firefox websocket", in: reqFirefoxWS, check: func(t *testing.T, r *Request) {
		field(t, "Origin", r.Origin, "http://localhost:8080")
		flags(t, r, true, true, false)
	}},
	{name: "chunked with extension and trailer", in: reqChunked, check: func(t *testing.T, r *Request) {
		field(t, "Body", r.Body, "Wikipedia in \r\nchunks.")
		if r.ContentLength != -1 || cap(r.Body) != len(r.Body) {
			t.Errorf("ContentLength %d, cap(Body) %d", r.ContentLength, cap(r.Body))
		}
		flags(t, r, true, false, true)
	}},

	// Framing and connection variants.
	{name: "HTTP/1.0 no Host", in: "GET / HTTP/1.0\r\n\r\n", check: func(t *testing.T, r *Request) {
		flags(t, r, false, false, false)
		if r.Minor != 0 {
			t.Errorf("Minor = %d", r.Minor)
		}
	}},
	{name: "HTTP/1.0 keep-alive", in: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", check: func(t *testing.T, r *Request) {
		flags(t, r, true, false, false)
	}},
	{name: "HTTP/1.0 keep-alive and close", in: "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", check: func(t *testing.T, r *Request) {
		flags(t, r, false, false, false)
	}},
	{name: "close in second Connection field", in: "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo\r\nconnection:  ,CLOSE , \r\n\r\n", check: func(t *testing.T, r *Request) {
		flags(t, r, false, false, false)
	}},
	{name: "upgrade needs both fields", in: "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", check: func(t *testing.T, r *Request) {
		flags(t, r, true, false, false)
	}},
	{name: "upgrade other protocol", in: "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n", check: func(t *testing.T, r *Request) {
		flags(t, r, true, false, false)
	}},
	{name: "upgrade lists", in: "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive,UPGRADE\r\nUpgrade: h2c\r\nUPGRADE: foo, WebSocket\r\n\r\n", check: func(t *testing.T, r *Request) {
		flags(t, r, true, true, false)
	}},
	{name: "leading empty lines", in: "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", check: func(t *testing.T, r *Request) {
		field(t, "Method", r.Method, "GET")
		if r.HeaderLen != 4+len("GET / HTTP/1.1\r\nHost: a\r\n\r\n") {
			t.Errorf("HeaderLen = %d", r.HeaderLen)
		}
	}},
	{name: "value whitespace trimmed, empty value", in: "GET / HTTP/1.1\r\nHost:\t a b \t\r\nX-Empty:\r\nX-Spaces:   \r\n\r\n", check: func(t *testing.T, r *Request) {
		field(t, "Host", r.Host, "a b")
		field(t, "X-Empty", r.Header("x-empty"), "")
		field(t, "X-Spaces", r.Header("x-spaces"), "")
		field(t, "absent", r.Header("x-absent"), "<nil>")
	}},
	{name: "obs-text and tab in value", in: "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3\xa9\tau lait\r\n\r\n", check: func(t *testing.T, r *Request) {
		field(t, "X-Name", r.Header("X-Name"), "caf\xc3\xa9\tau lait")
	}},
	{name: "target forms", in: "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", check: func(t *testing.T, r *Request) {
		field(t, "Path", r.Path, "*")
		field(t, "RawQuery", r.RawQuery, "<nil>")
	}},
	{name: "empty query", in: "GET /a? HTTP/1.1\r\nHost: a\r\n\r\n", check: func(t *testing.T, r *Request) {
		field(t, "Path", r.Path, "/a")
		field(t, "RawQuery", r.RawQuery, "")
	}},
	{name: "absolute-form", in: "GET http://example.com/x?y=1 HTTP/1.1\r\nHost: example.com\r\n\r\n", check: func(t *testing.T, r *Request) {
		field(t, "Path", r.Path, "http://example.com/x")
		field(t, "RawQuery", r.RawQuery, "y=1")
	}},
	{name: "duplicate equal Content-Length", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc", check: func(t *testing.T, r *Request) {
		field(t, "Body", r.Body, "abc")
	}},
	{name: "Content-Length zero", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 000\r\n\r\n", check: func(t *testing.T, r *Request) {
		field(t, "Body", r.Body, "<nil>")
		if r.ContentLength != 0 {
			t.Errorf("ContentLength = %d", r.ContentLength)
		}
	}},
	{name: "body on GET", in: "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nxGET", n: len("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx")},
	{name: "chunked empty", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", check: func(t *testing.T, r *Request) {
		field(t, "Body", r.Body, "<nil>")
		flags(t, r, true, false, true)
	}},
	{name: "chunked hex case, zeros, BWS", in: "POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: Chunked\r\n\r\n00a \t;x\r\n0123456789\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n000\r\n\r\nnext", n: -4, check: func(t *testing.T, r *Request) {
		field(t, "Body", r.Body, "0123456789abcdefghijklmnopqrstuvwxyz")
	}},
	{name: "chunked list across fields", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", check: func(t *testing.T, r *Request) {
		field(t, "Body", r.Body, "x")
	}},
	{name: "expect continue, body pending", in: "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\nab", status: needMore, check: func(t *testing.T, r *Request) {
		if !r.ExpectContinue || r.HeaderLen != 69 || r.ContentLength != 5 || r.Body != nil {
			t.Errorf("ExpectContinue %v, HeaderLen %d, ContentLength %d, Body %q", r.ExpectContinue, r.HeaderLen, r.ContentLength, r.Body)
		}
	}},
	{name: "exactly MaxHeaderBytes", in: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", lim: &Limits{MaxHeaderBytes: 27}},
	{name: "exactly MaxHeaders", in: "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\n\r\n", lim: &Limits{MaxHeaders: 2}},
	{name: "exactly MaxBody", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd", lim: &Limits{MaxBody: 4}},
	{name: "chunked exactly MaxBody", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n", lim: &Limits{MaxBody: 4}},
	{name: "32 headers", in: "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X: y\r\n", 31) + "\r\n", check: func(t *testing.T, r *Request) {
		if len(r.Headers) != 32 || cap(r.Headers) != HeaderCap {
			t.Errorf("len %d cap %d", len(r.Headers), cap(r.Headers))
		}
	}},
	{name: "MaxHeaders clamped", in: "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X: y\r\n", 32) + "\r\n", lim: &Limits{MaxHeaders: 1000}, status: 431},

	// Incomplete.
	{name: "empty", in: "", status: needMore},
	{name: "headers pending", in: "GET / HTTP/1.1\r\nHost: a\r\n", status: needMore},
	{name: "body pending", in: reqGoldenPost[:len(reqGoldenPost)-1], status: needMore},
	{name: "chunk pending", in: reqChunked[:len(reqChunked)-2], status: needMore},
	{name: "only CRLFs", in: "\r\n\r\n\r", status: needMore},

	// 400
	{name: "bare LF request line", in: "GET / HTTP/1.1\nHost: a\r\n\r\n", status: 400},
	{name: "bare LF header", in: "GET / HTTP/1.1\r\nHost: a\n\r\n", status: 400},
	{name: "bare LF end", in: "GET / HTTP/1.1\r\nHost: a\r\n\n", status: 400},
	{name: "bare LF leading", in: "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "bare CR leading", in: "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "bare CR in value", in: "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", status: 400},
	{name: "bare CR end", in: "GET / HTTP/1.1\r\nHost: a\r\n\rx\r\n", status: 400},
	{name: "CR CR LF", in: "GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", status: 400},
	{name: "obs-fold", in: "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", status: 400},
	{name: "space before first header", in: "GET / HTTP/1.1\r\n Host: a\r\n\r\n", status: 400},
	{name: "space before colon", in: "GET / HTTP/1.1\r\nHost : a\r\n\r\n", status: 400},
	{name: "empty header name", in: "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", status: 400},
	{name: "no colon", in: "GET / HTTP/1.1\r\nHost: a\r\nfoo\r\n\r\n", status: 400},
	{name: "bad name char", in: "GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n", status: 400},
	{name: "NUL in value", in: "GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", status: 400},
	{name: "DEL in value", in: "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n", status: 400},
	{name: "control in long value", in: "GET / HTTP/1.1\r\nHost: a\r\nX: abcdefghijklmnopq\x01rstuvwxyz\r\n\r\n", status: 400},
	{name: "no method", in: " / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "bad method char", in: "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "double space", in: "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "tab separator", in: "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "no version", in: "GET /\r\nHost: a\r\n\r\n", status: 400},
	{name: "control in target", in: "GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "DEL in long target", in: "GET /abcdefghijklmnop\x7f HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "lower-case version", in: "GET / http/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "version junk", in: "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", status: 400},
	{name: "two-digit version", in: "GET / HTTP/11.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "missing Host", in: "GET / HTTP/1.1\r\nX: y\r\n\r\n", status: 400},
	{name: "duplicate Host", in: "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", status: 400},
	{name: "Content-Length letters", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1a\r\n\r\n", status: 400},
	{name: "Content-Length sign", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", status: 400},
	{name: "Content-Length negative", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", status: 400},
	{name: "Content-Length inner space", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", status: 400},
	{name: "Content-Length empty", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", status: 400},
	{name: "Content-Length conflict", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", status: 400},
	{name: "Content-Length list conflict", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\nab", status: 400},
	{name: "Content-Length and chunked", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400},
	{name: "huge Content-Length and chunked", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 99999999999999999999\r\n\r\n", status: 400},
	{name: "Transfer-Encoding in HTTP/1.0", in: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400},
	{name: "chunked not last", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", status: 400},
	{name: "chunked twice", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	{name: "identity coding", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", status: 400},
	{name: "empty Transfer-Encoding", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n", status: 400},
	{name: "chunk size missing", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\nx\r\n0\r\n\r\n", status: 400},
	{name: "chunk size not hex", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", status: 400},
	{name: "chunk size trailing space", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1 \r\nx\r\n0\r\n\r\n", status: 400},
	{name: "chunk size bare LF", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\n", status: 400},
	{name: "chunk data too long", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n0\r\n\r\n", status: 400},
	{name: "chunk data bare LF", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\n0\r\n\r\n", status: 400},
	{name: "chunk extension control", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a\x00\r\nx\r\n0\r\n\r\n", status: 400},
	{name: "bad trailer", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", status: 400},
	{name: "trailer bare LF", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b\n\r\n", status: 400},
	{name: "chunked end bare CR", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rx\r\n", status: 400},

	// 413
	{name: "Content-Length over MaxBody", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", lim: &Limits{MaxBody: 4}, status: 413, check: func(t *testing.T, r *Request) {
		if r.HeaderLen != 47 || r.ContentLength != 5 || r.Body != nil {
			t.Errorf("HeaderLen %d, ContentLength %d, Body %q", r.HeaderLen, r.ContentLength, r.Body)
		}
	}},
	{name: "Content-Length over default MaxBody", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000001\r\n\r\n", status: 413},
	{name: "Content-Length over int64", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n", status: 413},
	{name: "chunk over MaxBody", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\n", lim: &Limits{MaxBody: 4}, status: 413},
	{name: "chunk size overflow", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffffffff\r\n", status: 413},
	{name: "chunk framing over limit", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;" + strings.Repeat("e", 80),
		lim: &Limits{MaxBody: 4, MaxHeaderBytes: 64}, status: 413},
	{name: "trailers over limit", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + strings.Repeat("T: x\r\n", 20),
		lim: &Limits{MaxBody: 4, MaxHeaderBytes: 64}, status: 413},

	// 431
	{name: "one byte over MaxHeaderBytes", in: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", lim: &Limits{MaxHeaderBytes: 26}, status: 431},
	{name: "header section over MaxHeaderBytes, incomplete", in: "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("y", 100), lim: &Limits{MaxHeaderBytes: 64}, status: 431},
	{name: "target over MaxHeaderBytes", in: "GET /" + strings.Repeat("a", 100), lim: &Limits{MaxHeaderBytes: 64}, status: 431},
	{name: "leading CRLFs over MaxHeaderBytes", in: strings.Repeat("\r\n", 40), lim: &Limits{MaxHeaderBytes: 64}, status: 431},
	{name: "default MaxHeaderBytes", in: "GET / HTTP/1.1\r\nHost: a\r\nCookie: " + strings.Repeat("c", 16384) + "\r\n\r\n", status: 431},
	{name: "too many headers", in: "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", lim: &Limits{MaxHeaders: 2}, status: 431},
	{name: "33 headers", in: "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X: y\r\n", 32) + "\r\n", status: 431},

	// 501
	{name: "gzip, chunked", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501},
	{name: "gzip then chunked fields", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", status: 501},

	// 505
	{name: "HTTP/2.0", in: "GET / HTTP/2.0\r\nHost: a\r\n\r\n", status: 505},
	{name: "HTTP/1.2", in: "GET / HTTP/1.2\r\nHost: a\r\n\r\n", status: 505},
	{name: "HTTP/0.9", in: "GET / HTTP/0.9\r\n\r\n", status: 505},
}

func TestParseRequest(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			var req Request
			b := []byte(tc.in)
			n, err := ParseRequest(b, &req, tc.lim)
			status := statusOf(err)
			if status != tc.status {
				t.Fatalf("status %d (err %v), want %d", status, err, tc.status)
			}
			wantN := 0
			if tc.status == 0 {
				wantN = tc.n
				if wantN <= 0 {
					wantN += len(tc.in)
				}
			}
			if n != wantN {
				t.Errorf("n = %d, want %d", n, wantN)
			}
			if tc.check != nil {
				tc.check(t, &req)
			}
			if tc.status == 0 {
				checkAliases(t, b, n, &req)
			}
			checkIncremental(t, []byte(tc.in), tc.lim)
		})
	}
}

// statusOf maps a ParseRequest error to parseCase.status.
func statusOf(err error) int {
	var he *HTTPError
	switch {
	case err == nil:
		return 0
	case err == ErrNeedMore:
		return needMore
	case errors.As(err, &he):
		return he.Status
	}
	return -2
}

// dump renders everything ParseRequest reports, for comparisons.
func dump(n int, err error, r *Request) string {
	if err != nil && err != ErrNeedMore {
		return fmt.Sprintf("n=%d err=%v", n, err)
	}
	s := func(b []byte) string {
		if b == nil {
			return "<nil>"
		}
		return strconv.Quote(string(b))
	}
	var w strings.Builder
	fmt.Fprintf(&w, "n=%d err=%v FieldsStart=%d HeaderLen=%d", n, err, r.FieldsStart, r.HeaderLen)
	if err == ErrNeedMore && r.HeaderLen == 0 {
		return w.String() // nothing else is specified
	}
	fmt.Fprintf(&w, " %s %s %s %s HTTP/%d.%d CL=%d chunked=%v ka=%v up=%v expect=%v body=%s",
		s(r.Method), s(r.Target), s(r.Path), s(r.RawQuery), r.Major, r.Minor,
		r.ContentLength, r.Chunked, r.KeepAlive, r.Upgrade, r.ExpectContinue, s(r.Body))
	fmt.Fprintf(&w, " host=%s origin=%s cookie=%s ae=%s ct=%s key=%s ver=%s",
		s(r.Host), s(r.Origin), s(r.Cookie), s(r.AcceptEncoding), s(r.ContentType),
		s(r.SecWebSocketKey), s(r.SecWebSocketVersion))
	for _, h := range r.Headers {
		fmt.Fprintf(&w, " [%s: %s]", s(h.Name), s(h.Value))
	}
	return w.String()
}

// checkIncremental feeds every prefix of in to ParseRequest, each in a
// fresh buffer: the results must be ErrNeedMore up to some length and the
// result of the whole input from there on, with n never past the prefix.
func checkIncremental(t *testing.T, in []byte, lim *Limits) {
	t.Helper()
	var req Request
	whole := append([]byte(nil), in...)
	n, err := ParseRequest(whole, &req, lim)
	want := dump(n, err, &req)
	settled := false
	for k := 0; k <= len(in); k++ {
		b := append([]byte(nil), in[:k]...)
		n, err := ParseRequest(b, &req, lim)
		if n < 0 || n > k || (err != nil && n != 0) {
			t.Fatalf("prefix %d: n = %d, err %v", k, n, err)
		}
		if err == ErrNeedMore && !settled {
			if k == len(in) {
				break
			}
			continue
		}
		settled = true
		if got := dump(n, err, &req); got != want {
			t.Fatalf("prefix %d of %d:\n got %s\nwant %s", k, len(in), got, want)
		}
	}
}

// checkAliases checks that every slice of a parsed request lies in b[:n]
// and is capped at its length.
func checkAliases(t *testing.T, b []byte, n int, r *Request) {
	t.Helper()
	base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	in := func(name string, s []byte) {
		if s == nil {
			return
		}
		p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
		if p < base || p+uintptr(len(s)) > base+uintptr(n) || cap(s) != len(s) {
			t.Errorf("%s (%q) is not a capped sub-slice of b[:%d]", name, s, n)
		}
	}
	in("Method", r.Method)
	in("Target", r.Target)
	in("Path", r.Path)
	in("RawQuery", r.RawQuery)
	in("Body", r.Body)
	in("Host", r.Host)
	in("Origin", r.Origin)
	in("Cookie", r.Cookie)
	in("AcceptEncoding", r.AcceptEncoding)
	in("ContentType", r.ContentType)
	in("SecWebSocketKey", r.SecWebSocketKey)
	in("SecWebSocketVersion", r.SecWebSocketVersion)
	for _, h := range r.Headers {
		in("Name", h.Name)
		in("Value", h.Value)
	}
}

// stream feeds in to ParseRequest the way the event loop does: bytes arrive
// in pieces of the sizes next returns (at least 1); after each piece every
// complete request is parsed and discarded. It stops after an error or an
// Upgrade, and returns the dumps of the results and the bytes left pending.
func stream(in []byte, lim *Limits, next func() int) []string {
	var (
		buf []byte
		out []string
		req Request
	)
	for off := 0; off < len(in); {
		k := min(max(next(), 1), len(in)-off)
		buf = append(buf, in[off:off+k]...)
		off += k
		for len(buf) > 0 {
			n, err := ParseRequest(buf, &req, lim)
			if err == ErrNeedMore {
				break
			}
			out = append(out, dump(n, err, &req))
			if err != nil || req.Upgrade {
				return out
			}
			buf = buf[n:]
		}
	}
	return append(out, fmt.Sprintf("pending %d", len(buf)))
}

func TestPipelined(t *testing.T) {
	in := reqGoldenHandshake + reqNodePost + reqChunked + "\r\n" + reqChromePost + reqGoldenPreflight + reqChromeWS + nodeWSFrame
	var names []string
	b := []byte(in)
	var req Request
	for len(b) > 0 {
		n, err := ParseRequest(b, &req, nil)
		if err != nil {
			t.Fatalf("after %v: %v", names, err)
		}
		names = append(names, string(req.Method))
		b = b[n:]
		if req.Upgrade {
			break
		}
	}
	if got := strings.Join(names, " "); got != "GET POST POST POST OPTIONS GET" || string(b) != nodeWSFrame {
		t.Fatalf("parsed %s, left %q", got, b)
	}

	whole := stream([]byte(in), nil, func() int { return len(in) })
	for _, piece := range []int{1, 2, 3, 7, 64, 200} {
		got := stream([]byte(in), nil, func() int { return piece })
		if strings.Join(got, "\n") != strings.Join(whole, "\n") {
			t.Fatalf("pieces of %d:\n%s\nwhole:\n%s", piece, strings.Join(got, "\n"), strings.Join(whole, "\n"))
		}
	}
}

// TestGoldenCorpus parses every request of the golden transcripts, stored
// as seeds of FuzzParseRequest (golden-* files).
func TestGoldenCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzParseRequest/golden-*")
	if err != nil || len(files) < 50 {
		t.Fatalf("%d golden seeds, %v", len(files), err)
	}
	for _, f := range files {
		in := readSeed(t, f)
		var req Request
		n, err := ParseRequest(in, &req, nil)
		switch {
		case err == ErrNeedMore && req.ContentLength > int64(len(in)-req.HeaderLen):
			// eio-polling-concurrent-post: POST A announces 100 bytes, sends 10.
		case err != nil || n != len(in):
			t.Errorf("%s: n = %d of %d, %v", f, n, len(in), err)
		case string(req.Host) != "127.0.0.1:3000":
			t.Errorf("%s: Host %q", f, req.Host)
		}
		checkIncremental(t, in, nil)
	}
}

// readSeed reads the []byte argument of a fuzz corpus file.
func readSeed(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) < 2 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a corpus file", name)
	}
	lit, ok := strings.CutPrefix(lines[1], "[]byte(")
	lit, ok2 := strings.CutSuffix(lit, ")")
	s, err := strconv.Unquote(lit)
	if !ok || !ok2 || err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return []byte(s)
}

// TestChunkedReference checks de-chunking against net/http's chunked reader.
func TestChunkedReference(t *testing.T) {
	for _, tc := range parseCases {
		if tc.status != 0 || !strings.Contains(strings.ToLower(tc.in), "transfer-encoding") {
			continue
		}
		b := []byte(tc.in)
		var req Request
		n, err := ParseRequest(b, &req, tc.lim)
		if err != nil || !req.Chunked {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if strings.Contains(tc.name, "BWS") {
			continue // net/http rejects BWS before ';', which RFC 9112 §7.1.1 allows
		}
		want := chunkedReference(t, []byte(tc.in)[req.HeaderLen:n])
		if !bytes.Equal(req.Body, want) {
			t.Errorf("%s: body %q, net/http %q", tc.name, req.Body, want)
		}
	}
}

func chunkedReference(t *testing.T, body []byte) []byte {
	t.Helper()
	want, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(body)))
	if err != nil {
		t.Fatalf("net/http: %v", err)
	}
	if len(want) == 0 {
		return nil
	}
	return want
}

func TestRequestReuse(t *testing.T) {
	var req Request
	if _, err := ParseRequest([]byte(reqChromeGet), &req, nil); err != nil {
		t.Fatal(err)
	}
	held := &req.hdrs[3]
	if _, err := ParseRequest([]byte(reqGoldenHandshake), &req, nil); err != nil {
		t.Fatal(err)
	}
	if req.Origin != nil || req.Cookie != nil || req.AcceptEncoding != nil || len(req.Headers) != 1 || !req.KeepAlive {
		t.Fatalf("stale fields: Origin %q Cookie %q, %d headers", req.Origin, req.Cookie, len(req.Headers))
	}
	req.Reset()
	if req.Method != nil || req.Host != nil || len(req.Headers) != 0 || req.ContentLength != -1 || req.hdrs[0].Name != nil || held.Name != nil {
		t.Fatalf("Reset left %q %q %d %d %q", req.Method, req.Host, len(req.Headers), req.ContentLength, held.Name)
	}
	// The zero Request and a nil *Limits are ready to use.
	var zero Request
	if _, err := ParseRequest([]byte(reqGoldenPost), &zero, &Limits{}); err != nil || string(zero.Body) != "40" {
		t.Fatalf("zero Request: %v %q", err, zero.Body)
	}
}

func TestLimits(t *testing.T) {
	h, n, b := (*Limits)(nil).resolve()
	if h != DefaultMaxHeaderBytes || n != DefaultMaxHeaders || b != DefaultMaxBody {
		t.Fatalf("nil: %d %d %d", h, n, b)
	}
	lim := Limits{MaxHeaderBytes: -1, MaxHeaders: 99, MaxBody: 10}
	h, n, b = lim.resolve()
	if h != DefaultMaxHeaderBytes || n != HeaderCap || b != 10 {
		t.Fatalf("resolved %d %d %d", h, n, b)
	}
	if lim != (Limits{MaxHeaderBytes: -1, MaxHeaders: 99, MaxBody: 10}) {
		t.Fatal("resolve changed the caller's Limits")
	}
	if got := (*Limits)(nil).MaxBuffered(); got != 2*DefaultMaxHeaderBytes+2*DefaultMaxBody {
		t.Fatalf("MaxBuffered = %d", got)
	}
	// Huge limits do not overflow the position arithmetic.
	huge := &Limits{MaxHeaderBytes: 1 << 62, MaxBody: 1 << 62}
	if _, err := ParseRequest([]byte(reqChunked), new(Request), huge); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseRequest([]byte(reqChunked[:60]), new(Request), huge); err != ErrNeedMore {
		t.Fatal(err)
	}
}

func TestHTTPError(t *testing.T) {
	_, err := ParseRequest([]byte("GET / HTTP/2.0\r\n\r\n"), new(Request), nil)
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 505 || err.Error() != "loop: http 505: HTTP version not supported" {
		t.Fatalf("%v", err)
	}
}

func TestHeaderLookup(t *testing.T) {
	var req Request
	if _, err := ParseRequest([]byte("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\n`: 3\r\n\r\n"), &req, nil); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"x-a": "1", "X-A": "1", "HOST": "a", "`": "3", "@": "<nil>", "x-b": "<nil>", "": "<nil>"} {
		field(t, name, req.Header(name), want)
	}
}

func TestRequestSize(t *testing.T) {
	var r Request
	if s := unsafe.Sizeof(r); s > 2048 {
		t.Fatalf("Request is %d bytes", s)
	}
}

// TestSWARStops checks the 8-bytes-at-a-time scanners against charClass:
// the first byte each one marks must be the first byte outside the class
// it skips (nameStops stops at some token bytes too: only letters, digits
// and '-' are skipped).
func TestSWARStops(t *testing.T) {
	name := func(c byte) bool {
		return 'a' <= c|0x20 && c|0x20 <= 'z' || isDigit(c) || c == '-'
	}
	value := func(c byte) bool { return c != '\t' && charClass[c]&cValue != 0 }
	target := func(c byte) bool { return charClass[c]&cTarget != 0 }
	for _, sc := range []struct {
		name  string
		stops func(uint64) uint64
		skip  func(byte) bool
		fill  byte
	}{
		{"nameStops", nameStops, name, 'a'},
		{"valueStops", valueStops, value, ' '},
		{"targetStops", targetStops, target, '/'},
	} {
		check := func(w [8]byte) {
			want := 8
			for i, c := range w {
				if !sc.skip(c) {
					want = i
					break
				}
			}
			got := 8
			if m := sc.stops(binary.LittleEndian.Uint64(w[:])); m != 0 {
				got = bits.TrailingZeros64(m) >> 3
			}
			if got != want {
				t.Fatalf("%s(%q) stops at %d, want %d", sc.name, w[:], got, want)
			}
		}
		// Every byte value at every position, then every pair of byte
		// values in the first two positions (borrows and carries).
		for p := 0; p < 8; p++ {
			for c := 0; c < 256; c++ {
				w := [8]byte{}
				for i := range w {
					w[i] = sc.fill
				}
				w[p] = byte(c)
				check(w)
			}
		}
		for c0 := 0; c0 < 256; c0++ {
			for c1 := 0; c1 < 256; c1++ {
				w := [8]byte{byte(c0), byte(c1), sc.fill, byte(c1), byte(c0), sc.fill, byte(c0 ^ c1), byte(c1)}
				check(w)
			}
		}
	}
}
