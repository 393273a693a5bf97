package httpx

import "strings"

// HeaderValue finds name in a raw header block ("Name: value" lines joined
// by CRLF; case-insensitive) and returns its value, trimmed; "" if absent.
func HeaderValue(raw, name string) string {
	for len(raw) > 0 {
		line := raw
		if i := strings.Index(raw, "\r\n"); i >= 0 {
			line, raw = raw[:i], raw[i+2:]
		} else {
			raw = ""
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
