package leakcheck

import (
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		start  func(stop <-chan struct{})
		stopIt bool
		ignore []string
		leaks  bool
	}{
		{"nothing started", nil, false, nil, false},
		{"stopped goroutine", parked, true, nil, false},
		{"running goroutine", parked, false, nil, true},
		{"running but ignored", parked, false, []string{"leakcheck.parked"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Take()
			stop, done := make(chan struct{}), make(chan struct{})
			// Wait for the goroutine to end, so later tests do not count it.
			defer func() { close(stop); <-done }()
			if tt.start == nil {
				close(done)
			} else {
				started := make(chan struct{})
				go func() { defer close(done); close(started); tt.start(stop) }()
				<-started
			}
			if tt.stopIt {
				stop <- struct{}{}
			}
			leaked := s.Check(200*time.Millisecond, tt.ignore...)
			if got := len(leaked) > 0; got != tt.leaks {
				t.Fatalf("leaked = %v (%q), want leaks=%v", got, leaked, tt.leaks)
			}
			if tt.leaks && !strings.Contains(leaked[0], "leakcheck.parked") {
				t.Errorf("the report does not show the leaked goroutine's stack: %s", leaked[0])
			}
		})
	}
}

// parked blocks until stop yields a value or is closed.
func parked(stop <-chan struct{}) { <-stop }

func TestCountExcludesTheRunner(t *testing.T) {
	before := Count()
	stop := make(chan struct{})
	started := make(chan struct{})
	go func() { close(started); parked(stop) }()
	<-started
	if got := Count(); got != before+1 {
		t.Errorf("Count = %d after starting one goroutine, want %d", got, before+1)
	}
	close(stop)
}
