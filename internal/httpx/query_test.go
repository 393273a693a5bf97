package httpx

import (
	"net/url"
	"testing"
	"unsafe"
)

func TestQueryValue(t *testing.T) {
	const q = "EIO=4&transport=polling&t=PxYz12a&sid=Sk4t-_yB1rK9oZpQ3xAAAA&flag&empty=&a+b=c+d&%41%3d=%zz%4&x=1&x=2"
	for _, tc := range []struct {
		key, want string
		ok        bool
	}{
		{"EIO", "4", true},
		{"transport", "polling", true},
		{"sid", "Sk4t-_yB1rK9oZpQ3xAAAA", true},
		{"flag", "", true},
		{"empty", "", true},
		{"a b", "c d", true},
		{"a+b", "", false},
		{"A=", "%zz%4", true},
		{"x", "1", true},
		{"missing", "", false},
		{"", "", false},
		{"eio", "", false},
	} {
		got, ok := QueryValue([]byte(q), tc.key)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("QueryValue(%q) = %q, %v; want %q, %v", tc.key, got, ok, tc.want, tc.ok)
		}
		dst, ok := AppendQueryValue([]byte("pre:"), []byte(q), tc.key)
		if want := "pre:" + tc.want; ok != tc.ok || string(dst) != want {
			t.Errorf("AppendQueryValue(%q) = %q, %v; want %q, %v", tc.key, dst, ok, want, tc.ok)
		}
	}
	if v, ok := QueryValue([]byte("a=%e2%82%AC+%2B"), "a"); !ok || string(v) != "€ +" {
		t.Errorf("decoded %q", v)
	}
	if v, ok := QueryValue([]byte("a"), "a"); !ok || v == nil {
		t.Errorf("a pair without '=' gives %q, %v; want a non-nil empty value", v, ok)
	}
	if v, ok := QueryValue(nil, "a"); ok || v != nil {
		t.Errorf("nil query gives %q, %v", v, ok)
	}
}

// FuzzQueryValue checks QueryValue against AppendQueryValue and, where
// net/url parses the query without error (valid escapes, no ';'), against
// url.ParseQuery.
func FuzzQueryValue(f *testing.F) {
	for _, s := range [][2]string{
		{"EIO=4&transport=polling&t=PxYz12a", "transport"},
		{"EIO=4&transport=websocket&sid=Sk4tyB1rK9oZpQ3xAAAA", "sid"},
		{"a+b=c+d&a%20b=x", "a b"},
		{"%41=%zz%4&A=2", "A"},
		{"=x&&flag&x=1&x=2", ""},
		{"k=%e2%82%ac", "k"},
		{"a;b=1&a=2", "a"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, rawQuery, key string) {
		q := []byte(rawQuery)
		v, ok := QueryValue(q, key)
		dst, ok2 := AppendQueryValue([]byte("pre"), q, key)
		if ok != ok2 || string(dst[:3]) != "pre" || string(dst[3:]) != string(v) || (!ok && (v != nil || len(dst) != 3)) {
			t.Fatalf("QueryValue %q %v, AppendQueryValue %q %v", v, ok, dst, ok2)
		}
		if ok && !hasEscapes(q) && len(v) > 0 {
			p, base := uintptr(unsafe.Pointer(unsafe.SliceData(v))), uintptr(unsafe.Pointer(unsafe.SliceData(q)))
			if p < base || p+uintptr(len(v)) > base+uintptr(len(q)) || cap(v) != len(v) {
				t.Fatalf("%q does not alias the query", v)
			}
		}
		vals, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		want, wok := vals[key]
		if ok != wok || (ok && string(v) != want[0]) {
			t.Fatalf("QueryValue(%q, %q) = %q, %v; net/url %q", rawQuery, key, v, ok, want)
		}
	})
}

func BenchmarkQueryValue(b *testing.B) {
	q := []byte("EIO=4&transport=polling&t=PIxYz9q&sid=ZdJl95os2qAYBw58AAAA")
	b.Run("sid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v, ok := QueryValue(q, "sid"); !ok || len(v) != 20 {
				b.Fatal(v)
			}
		}
	})
	b.Run("AppendEscaped", func(b *testing.B) {
		q := []byte("EIO=4&transport=polling&name=caf%C3%A9+au+lait")
		dst := make([]byte, 0, 64)
		b.ReportAllocs()
		for b.Loop() {
			if v, ok := AppendQueryValue(dst[:0], q, "name"); !ok || len(v) != 13 {
				b.Fatal(string(v))
			}
		}
	})
}

// TestQueryAllocations: parsing Engine.IO parameters allocates nothing.
func TestQueryAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race")
	}
	q := []byte("EIO=4&transport=polling&t=PIxYz9q&sid=ZdJl95os2qAYBw58AAAA&n=a%20b")
	dst := make([]byte, 0, 16)
	allocs := testing.AllocsPerRun(100, func() {
		QueryValue(q, "sid")
		QueryValue(q, "missing")
		dst, _ = AppendQueryValue(dst[:0], q, "n")
	})
	if allocs != 0 {
		t.Errorf("QueryValue: %v allocations", allocs)
	}
}
