package main

import (
	"context"
	"io"
)

func runOthers(ctx context.Context, w io.Writer, p params, runs int, want map[string]bool) error {
	return nil
}

func runChild(ctx context.Context, mode string, w io.Writer) error { return nil }

func runPlot(ctx context.Context, path string, runs int, w io.Writer) error { return nil }
