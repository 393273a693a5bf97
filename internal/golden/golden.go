// Package golden reads the byte rendering of the golden wire captures
// (interop/testdata/golden/README.md): a
// helper for the tests of several packages.
package golden

import "strconv"

// Unrender undoes the captures' byte rendering: `\\` is a backslash and
// `\xHH` a byte; everything else stands for itself.
func Unrender(s string) []byte {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			if s[i+1] == '\\' {
				b = append(b, '\\')
				i++
				continue
			}
			if s[i+1] == 'x' && i+3 < len(s) {
				if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
					b = append(b, byte(v))
					i += 3
					continue
				}
			}
		}
		b = append(b, s[i])
	}
	return b
}
