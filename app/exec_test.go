package app

import "testing"

func TestJoinWords(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"calls"}, "calls"},
		{[]string{"call", "board review"}, `call "board review"`},
		{[]string{"add", "m", ""}, `add m ""`},
	}
	for _, tt := range tests {
		if got := joinWords(tt.in); got != tt.want {
			t.Errorf("joinWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
