package eio

import (
	"compress/gzip"
	"compress/zlib"
	"strings"
	"sync"

	"github.com/valyala/bytebufferpool"
)

// encoding is a content coding for polling responses.
type encoding uint8

const (
	encIdentity encoding = iota
	encGzip
	encDeflate
)

func (e encoding) String() string { return [...]string{"identity", "gzip", "deflate"}[e] }

// acceptedEncoding picks gzip, else deflate, from an Accept-Encoding value
// (the reference prefers gzip). Quality values of 0 refuse a coding.
func acceptedEncoding(v []byte) encoding {
	if len(v) == 0 {
		return encIdentity
	}
	gz, df := false, false
	for _, part := range strings.Split(string(v), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if q := strings.TrimSpace(params); strings.HasPrefix(q, "q=0") && strings.Trim(q[3:], ".0") == "" {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "gzip", "*":
			gz = true
		case "deflate":
			df = true
		}
	}
	switch {
	case gz:
		return encGzip
	case df:
		return encDeflate
	}
	return encIdentity
}

var compressPool bytebufferpool.Pool

type compressors struct {
	gzip    sync.Pool // *gzip.Writer
	deflate sync.Pool // *zlib.Writer (HTTP "deflate" is the zlib format)
}

// compress returns a pooled buffer holding body compressed with e.
func (s *Server) compress(e encoding, body []byte) *bytebufferpool.ByteBuffer {
	out := compressPool.Get()
	switch e {
	case encGzip:
		zw, _ := s.comp.gzip.Get().(*gzip.Writer)
		if zw == nil {
			zw = gzip.NewWriter(out)
		} else {
			zw.Reset(out)
		}
		_, _ = zw.Write(body)
		_ = zw.Close()
		s.comp.gzip.Put(zw)
	case encDeflate:
		fw, _ := s.comp.deflate.Get().(*zlib.Writer)
		if fw == nil {
			fw = zlib.NewWriter(out)
		} else {
			fw.Reset(out)
		}
		_, _ = fw.Write(body)
		_ = fw.Close()
		s.comp.deflate.Put(fw)
	default:
		out.B = append(out.B, body...)
	}
	return out
}
