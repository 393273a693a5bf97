package golden

import "testing"

func TestUnrender(t *testing.T) {
	for in, want := range map[string]string{
		`42["a"]`:         `42["a"]`,
		`caf\xc3\xa9`:     "caf\u00e9",
		`a\\b`:            `a\b`,
		`4a\x1e4b`:        "4a\x1e4b",
		`\xzz`:            `\xzz`,
		`trailing\`:       `trailing\`,
		`\\x41 stays \\x`: `\x41 stays \x`,
	} {
		if got := string(Unrender(in)); got != want {
			t.Errorf("Unrender(%q) = %q, want %q", in, got, want)
		}
	}
}
