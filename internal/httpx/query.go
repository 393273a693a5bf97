// Package httpx holds small HTTP helpers shared by loop and eio: pure
// functions over bytes that allocate nothing.
package httpx

// QueryValue returns the raw (still %-encoded) value of the first key in a
// URL query, without allocating. ok reports whether the key was present.
// The slice aliases rawQuery.
func QueryValue(rawQuery []byte, key string) (v []byte, ok bool) {
	for len(rawQuery) > 0 {
		var pair []byte
		if i := indexByte(rawQuery, '&'); i >= 0 {
			pair, rawQuery = rawQuery[:i], rawQuery[i+1:]
		} else {
			pair, rawQuery = rawQuery, nil
		}
		k, val := pair, []byte(nil)
		if i := indexByte(pair, '='); i >= 0 {
			k, val = pair[:i], pair[i+1:]
		}
		if string(k) == key {
			return val, true
		}
	}
	return nil, false
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
