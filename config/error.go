package config

import (
	"strconv"
	"strings"
)

// Problem is one thing wrong with one variable. Msg never contains a secret value.
type Problem struct {
	Var string // the environment variable, e.g. "CMS_NODES"
	Msg string // what is wrong and, where it helps, how to fix it
	Err error  // the underlying error, if any (never one that quotes a secret)
}

func (p *Problem) Error() string { return p.Var + ": " + p.Msg }

// Unwrap exposes the underlying error (e.g. an *fs.PathError for CMS_CA_FILE).
func (p *Problem) Unwrap() error { return p.Err }

// Error is what Load returns for an invalid configuration: every problem found, in the order
// of the configuration table, so that one start-up attempt shows everything to fix.
type Error struct {
	Problems []*Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	n := len(e.Problems)
	b.WriteString("invalid configuration (")
	b.WriteString(strconv.Itoa(n))
	if n == 1 {
		b.WriteString(" problem):")
	} else {
		b.WriteString(" problems):")
	}
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is/As reach each problem and its cause.
func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}
