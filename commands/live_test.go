package commands

import (
	"testing"
)

func TestParseLiveCommands(t *testing.T) {
	tests := []struct {
		text    string
		op      Op
		meeting string
		usage   bool
	}{
		{"watch", OpWatch, "", false},
		{"calls live", OpWatch, "", false},
		{"CALLS Live", OpWatch, "", false},
		{"calls live music", OpCalls, "", false}, // a filter of two words stays a filter
		{"watch board review", OpWatch, "board review", false},
		{"follow board review", OpFollow, "board review", false},
		{"follow", "", "", true},
	}
	for _, tt := range tests {
		c, err := Parse(tt.text)
		if tt.usage {
			if !isUsage(err) {
				t.Errorf("Parse(%q) = %+v, %v; want a usage error", tt.text, c, err)
			}
			continue
		}
		if err != nil || c.Op != tt.op || c.Meeting != tt.meeting {
			t.Errorf("Parse(%q) = %+v, %v; want op %s meeting %q", tt.text, c, err, tt.op, tt.meeting)
		}
	}
}

// A cluster without live state has no feed: the bot then says live messages are off.
func TestSubscribeWithoutLiveState(t *testing.T) {
	s := New(Config{Cluster: newFake(t, "cb1")})
	if f := s.Subscribe(nil); f != nil {
		t.Errorf("Subscribe on a cluster without live state = %v, want nil", f)
	}
}
