package cdr

import (
	"fmt"
	"io"
	"log/slog"
	"reflect"
)

func equal(a, b any) bool { return reflect.DeepEqual(a, b) }

// show dereferences pointers so failures print values.
func show(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return fmt.Sprintf("&%+v", rv.Elem().Interface())
	}
	return v
}

func slogText(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
