package benchapp

import "testing"

func TestJSString(t *testing.T) {
	for raw, want := range map[string]string{
		`"r1"`: "r1", `7`: "7", `"a\"b"`: `a"b`, `"\u00e9"`: "é", `-1.5`: "-1.5",
	} {
		if got := jsString([]byte(raw)); got != want {
			t.Errorf("jsString(%s) = %q, want %q", raw, got, want)
		}
	}
}
