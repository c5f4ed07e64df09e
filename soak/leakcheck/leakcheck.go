// Package leakcheck finds goroutines a test leaves behind, with the standard library only.
//
// Take a Snapshot before the code under test starts, stop everything it started, then call
// Check (or Verify from a t.Cleanup registered before anything else, so it runs last). Check
// waits, up to a deadline, for the goroutines that were not in the snapshot to end: goroutines
// wind down asynchronously after Close/cancel, so a single look would be flaky.
package leakcheck

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// DefaultTimeout is how long Check waits for stray goroutines to end.
const DefaultTimeout = 5 * time.Second

// benign are goroutines that outlive any one test by design: the test runner, signal handling
// and the runtime's own helpers. Idle keep-alive connections are not benign: once the test's
// servers are closed they must end too.
var benign = []string{
	"testing.(*T).Run",
	"testing.(*M).",
	"testing.tRunner.func1",
	"testing.runFuzzing",
	"testing.(*F).Fuzz",
	"os/signal.signal_recv",
	"os/signal.loop",
	"runtime.goexit0",
	"created by runtime.gc",
	"runtime.ReadTrace",
	"runtime/trace.Start",
}

// Snapshot is the set of goroutines alive at one moment, by id.
type Snapshot struct{ ids map[string]bool }

// Take records the goroutines alive now.
func Take() Snapshot {
	s := Snapshot{ids: map[string]bool{}}
	for _, g := range goroutines() {
		s.ids[g.id] = true
	}
	return s
}

// Check waits up to timeout until every goroutine started since the snapshot has ended, apart
// from benign ones and those whose stack contains one of ignore. It returns the stacks of the
// survivors, or nil.
func (s Snapshot) Check(timeout time.Duration, ignore ...string) []string {
	deadline := time.Now().Add(timeout)
	for {
		var leaked []string
		for _, g := range goroutines() {
			if !s.ids[g.id] && !g.matches(benign) && !g.matches(ignore) {
				leaked = append(leaked, g.stack)
			}
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Verify takes a snapshot now and registers a cleanup that fails t if goroutines started
// afterwards are still running once every later cleanup has run. Call it first in a test.
func Verify(t testing.TB, ignore ...string) {
	t.Helper()
	s := Take()
	t.Cleanup(func() {
		if leaked := s.Check(DefaultTimeout, ignore...); len(leaked) > 0 {
			t.Errorf("%d goroutine(s) leaked:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
	})
}

// Count is runtime.NumGoroutine minus the benign ones, for soak figures.
func Count() int {
	n := 0
	for _, g := range goroutines() {
		if !g.matches(benign) {
			n++
		}
	}
	return n
}

type goroutine struct {
	id    string
	stack string
}

func (g goroutine) matches(subs []string) bool {
	for _, s := range subs {
		if s != "" && strings.Contains(g.stack, s) {
			return true
		}
	}
	return false
}

// goroutines parses runtime.Stack(all) into one entry per goroutine, except the caller's.
func goroutines() []goroutine {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []goroutine
	for i, chunk := range bytes.Split(buf, []byte("\n\n")) {
		if i == 0 { // the calling goroutine is listed first
			continue
		}
		var id string
		if _, err := fmt.Sscanf(string(chunk), "goroutine %s", &id); err != nil || id == "" {
			continue
		}
		out = append(out, goroutine{id: id, stack: string(chunk)})
	}
	return out
}
