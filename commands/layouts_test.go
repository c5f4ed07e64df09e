package commands

import (
	"slices"
	"testing"

	"github.com/nfmm/nfmm/cms"
)

// TestLayoutsCoverCMS: every CMS layout has exactly one human name, and no name is made up.
func TestLayoutsCoverCMS(t *testing.T) {
	var apis, labels []string
	for _, l := range Layouts() {
		apis = append(apis, l.API)
		if l.Label == "" || l.Label == l.API {
			t.Errorf("%s has no human name", l.API)
		}
		if slices.Contains(labels, l.Label) {
			t.Errorf("two layouts are called %q", l.Label)
		}
		labels = append(labels, l.Label)
	}
	got, want := slices.Sorted(slices.Values(apis)), slices.Sorted(slices.Values(cms.Layouts))
	if !slices.Equal(got, want) {
		t.Errorf("layouts = %v, want cms.Layouts %v", got, want)
	}
}

func TestLayoutLabel(t *testing.T) {
	tests := []struct{ api, want string }{
		{"speakerOnly", "Speaker only"},
		{"allEqualSixteenths", "Equal 4×4"},
		{"onePlusFive", "1 + 5"},
		{"telepresence", "Speaker with overlay"},
		{"somethingNewer", "somethingNewer"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := LayoutLabel(tt.api); got != tt.want {
			t.Errorf("LayoutLabel(%q) = %q, want %q", tt.api, got, tt.want)
		}
	}
}
