package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSite(t *testing.T) {
	site := newSite()
	for _, tc := range []struct {
		path     string
		status   int
		ctype    string
		contains string
	}{
		{"/", 200, "text/html", `<script src="/socket.io/socket.io.min.js"></script>`},
		{"/?transport=polling", 200, "text/html", `<script src="/app.js"></script>`},
		{"/app.js", 200, "text/javascript", `emit("join"`},
		{"/style.css", 200, "text/css", "#messages"},
		{"/missing", 404, "text/plain", "not found"},
	} {
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.status {
			t.Errorf("GET %s: status %d, want %d", tc.path, rec.Code, tc.status)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) {
			t.Errorf("GET %s: Content-Type %q, want %s", tc.path, ct, tc.ctype)
		}
		if !strings.Contains(rec.Body.String(), tc.contains) {
			t.Errorf("GET %s: body does not contain %q", tc.path, tc.contains)
		}
	}
}

func TestCheckLabel(t *testing.T) {
	for _, tc := range []struct {
		v  string
		ok bool
	}{
		{"alice", true},
		{"Zoë 2", true},
		{"", false},
		{strings.Repeat("x", maxName), true},
		{strings.Repeat("é", maxName+1), false},
		{"tab\there", false},
		{"bell\a", false},
	} {
		if msg := checkLabel("name", tc.v); (msg == "") != tc.ok {
			t.Errorf("checkLabel(%q) = %q, want ok=%v", tc.v, msg, tc.ok)
		}
	}
}
