package wsframe

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// codeOf returns the close code of a *CloseError, 0 for nil, -1 otherwise.
func codeOf(err error) int {
	var ce *CloseError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ce):
		return int(ce.Code)
	}
	return -1
}

func TestAppendClose(t *testing.T) {
	tests := []struct {
		name   string
		code   ws.StatusCode
		reason string
		want   string
	}{
		{"no status code", 0, "", "88 00"},
		{"no status code ignores reason", 0, "bye", "88 00"},
		{"1000 empty reason (golden)", 1000, "", "88 02 03 e8"},
		{"1002", 1002, "", "88 02 03 ea"},
		{"1007", 1007, "", "88 02 03 ef"},
		{"1009", 1009, "", "88 02 03 f1"},
		{"with reason", 1001, "bye", "88 05 03 e9 62 79 65"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AppendClose(nil, tt.code, tt.reason); !bytes.Equal(got, unhex(t, tt.want)) {
				t.Fatalf("AppendClose = % x, want %s", got, tt.want)
			}
		})
	}
}

func TestAppendCloseLongReason(t *testing.T) {
	for _, reason := range []string{
		strings.Repeat("r", 200),
		strings.Repeat("é", 100), // 2-byte runes: 123 is odd, so cut to 122
		strings.Repeat("€", 50),  // 3-byte runes: cut to 123
		strings.Repeat("𝄞", 40),  // 4-byte runes: cut to 120
		"x" + strings.Repeat("€", 50),
	} {
		f := AppendClose(nil, 1000, reason)
		h, n, err := ParseHeader(f)
		if err != nil || h.Length > 125 || n+int(h.Length) != len(f) {
			t.Fatalf("reason %d bytes: header %+v err %v, frame %d bytes", len(reason), h, err, len(f))
		}
		code, got, err := ParseClose(f[n:])
		if err != nil || code != 1000 || !utf8.Valid(got) || !strings.HasPrefix(reason, string(got)) || len(got) < 120 {
			t.Fatalf("reason %d bytes: got code %d reason %d bytes (%q) err %v", len(reason), code, len(got), got, err)
		}
	}
}

func TestParseClose(t *testing.T) {
	tests := []struct {
		name     string
		payload  []byte
		wantCode ws.StatusCode
		reason   string
		errCode  int
	}{
		{"empty", nil, 0, "", 0},
		{"1000", []byte{0x03, 0xe8}, 1000, "", 0},
		{"1000 with reason", []byte("\x03\xe8bye"), 1000, "bye", 0},
		{"utf-8 reason", []byte("\x03\xe8caf\xc3\xa9"), 1000, "café", 0},
		{"1001", []byte{0x03, 0xe9}, 1001, "", 0},
		{"1003", []byte{0x03, 0xeb}, 1003, "", 0},
		{"1011", []byte{0x03, 0xf3}, 1011, "", 0},
		{"1012", []byte{0x03, 0xf4}, 1012, "", 0},
		{"1014", []byte{0x03, 0xf6}, 1014, "", 0},
		{"3000", []byte{0x0b, 0xb8}, 3000, "", 0},
		{"4999", []byte{0x13, 0x87}, 4999, "", 0},
		{"one byte", []byte{0x03}, 0, "", 1002},
		{"0", []byte{0, 0}, 0, "", 1002},
		{"999", []byte{0x03, 0xe7}, 999, "", 1002},
		{"1004", []byte{0x03, 0xec}, 1004, "", 1002},
		{"1005", []byte{0x03, 0xed}, 1005, "", 1002},
		{"1006", []byte{0x03, 0xee}, 1006, "", 1002},
		{"1015", []byte{0x03, 0xf7}, 1015, "", 1002},
		{"1016", []byte{0x03, 0xf8}, 1016, "", 1002},
		{"2999", []byte{0x0b, 0xb7}, 2999, "", 1002},
		{"5000", []byte{0x13, 0x88}, 5000, "", 1002},
		{"65535", []byte{0xff, 0xff}, 65535, "", 1002},
		{"bad utf-8 reason", []byte("\x03\xe8\xff\xfe"), 1000, "\xff\xfe", 1007},
		{"truncated utf-8 reason", []byte("\x03\xe8caf\xc3"), 1000, "caf\xc3", 1007},
		{"too long", append([]byte{0x03, 0xe8}, bytes.Repeat([]byte("x"), 124)...), 0, "", 1002},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, reason, err := ParseClose(tt.payload)
			if codeOf(err) != tt.errCode {
				t.Fatalf("err = %v, want close code %d", err, tt.errCode)
			}
			if code != tt.wantCode || string(reason) != tt.reason {
				t.Fatalf("ParseClose = %d %q, want %d %q", code, reason, tt.wantCode, tt.reason)
			}
		})
	}
}

func TestValidCloseCodeRange(t *testing.T) {
	valid := 0
	for c := range 1 << 16 {
		if ValidCloseCode(ws.StatusCode(c)) {
			valid++
		}
	}
	// 1000-1014 minus 1004, 1005, 1006, plus 3000-4999.
	if want := 15 - 3 + 2000; valid != want {
		t.Fatalf("%d valid codes, want %d", valid, want)
	}
}

func TestCloseErrorMessage(t *testing.T) {
	err := error(&CloseError{Code: 1009, Reason: "message exceeds the size limit"})
	if got, want := err.Error(), "wsframe: close 1009: message exceeds the size limit"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}
