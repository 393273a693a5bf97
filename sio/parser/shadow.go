package parser

import (
	"encoding"
	"encoding/json"
	"reflect"
	"sync"
)

// A []byte inside a struct, a typed slice or a typed map would reach sonic,
// which writes it as base64 text. To send it as an attachment, as the
// reference does with a Buffer anywhere in the arguments, such a value is
// encoded through its shadow type: the same type with every []byte
// replaced by Binary, which has the same memory layout, so the value is
// reinterpreted in place rather than converted. Shadow types are built
// once per type with reflect (StructOf, SliceOf, MapOf...) and cached.
//
// No shadow (the value keeps sonic's base64) for: types with a custom
// JSON or text encoding, structs with unexported or embedded fields
// (reflect cannot rebuild them), recursive types, and []byte held in an
// interface field (its type is not known from the static type; use
// Binary there).

var shadows sync.Map // reflect.Type → reflect.Type (nil: no shadow)

var (
	binaryType   = reflect.TypeFor[Binary]()
	marshalerT   = reflect.TypeFor[json.Marshaler]()
	textMarshalT = reflect.TypeFor[encoding.TextMarshaler]()
)

// shadowOf returns v reinterpreted as its shadow type, or v when it has
// none.
func shadowOf(v any) any {
	t := reflect.TypeOf(v)
	st, ok := shadows.Load(t)
	if !ok {
		st = buildShadow(t, map[reflect.Type]bool{})
		st, _ = shadows.LoadOrStore(t, st)
	}
	s, _ := st.(reflect.Type)
	if s == nil {
		return v
	}
	rv := reflect.ValueOf(v)
	if t.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return v
		}
		return reflect.NewAt(s.Elem(), rv.UnsafePointer()).Interface()
	}
	p := reflect.New(t)
	p.Elem().Set(rv)
	return reflect.NewAt(s, p.UnsafePointer()).Elem().Interface()
}

// buildShadow returns t's shadow type, or a nil reflect.Type when t holds
// no []byte to replace or cannot be rebuilt. busy holds the types being
// built (a recursive type has no shadow).
func buildShadow(t reflect.Type, busy map[reflect.Type]bool) reflect.Type {
	if custom(t) || busy[t] {
		return nil
	}
	busy[t] = true
	defer delete(busy, t)
	switch t.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !custom(t.Elem()) {
			if t == binaryType {
				return nil
			}
			return binaryType
		}
		if e := buildShadow(t.Elem(), busy); e != nil {
			return reflect.SliceOf(e)
		}
	case reflect.Array:
		if e := buildShadow(t.Elem(), busy); e != nil {
			return reflect.ArrayOf(t.Len(), e)
		}
	case reflect.Pointer:
		if e := buildShadow(t.Elem(), busy); e != nil {
			return reflect.PointerTo(e)
		}
	case reflect.Map:
		if e := buildShadow(t.Elem(), busy); e != nil {
			return reflect.MapOf(t.Key(), e)
		}
	case reflect.Struct:
		fields := make([]reflect.StructField, t.NumField())
		changed := false
		for i := range fields {
			f := t.Field(i)
			if !f.IsExported() || f.Anonymous {
				return nil
			}
			if s := buildShadow(f.Type, busy); s != nil {
				f.Type = s
				changed = true
			}
			f.Index, f.Offset = nil, 0
			fields[i] = f
		}
		if changed {
			s := reflect.StructOf(fields)
			if s.Size() == t.Size() {
				return s
			}
		}
	}
	return nil
}

// custom reports a type that encodes itself (json.Marshaler or
// encoding.TextMarshaler, by value or by pointer): left as it is.
func custom(t reflect.Type) bool {
	if t.Implements(marshalerT) || t.Implements(textMarshalT) {
		return true
	}
	if t.Kind() != reflect.Pointer {
		p := reflect.PointerTo(t)
		return p.Implements(marshalerT) || p.Implements(textMarshalT)
	}
	return false
}
