package cdr

import (
	"testing"
	"time"
)

// TestPeak: the most participants at once, for legs that overlap, follow one another, are
// still connected, or lasted under a second (CDR times are whole seconds).
func TestPeak(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	leg := func(join, left int) Participant {
		p := Participant{JoinedAt: at(join)}
		if left >= 0 {
			p.LeftAt = at(left)
		}
		return p
	}
	tests := []struct {
		name string
		legs []Participant
		want int
	}{
		{"overlapping", []Participant{leg(0, 60), leg(30, 90)}, 2},
		{"one after the other", []Participant{leg(0, 60), leg(60, 90)}, 1},
		{"still connected", []Participant{leg(0, -1), leg(10, -1), leg(20, 30)}, 3},
		{"one instant leg", []Participant{leg(5, 5)}, 1},
		{"two legs of the same instant", []Participant{leg(5, 5), leg(5, 5)}, 2},
		{"left before the connect was recorded", []Participant{leg(6, 5)}, 1},
		{"an instant leg as another leaves", []Participant{leg(0, 5), leg(5, 5)}, 1},
		{"an instant leg inside a long one", []Participant{leg(0, 60), leg(30, 30)}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := peak(tt.legs); got != tt.want {
				t.Errorf("peak = %d, want %d", got, tt.want)
			}
		})
	}
}
