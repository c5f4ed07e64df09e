package cms

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func meetingFixture() []Meeting {
	m := func(corr, name string, calls ...string) Meeting {
		mt := Meeting{Correlator: corr, Name: name}
		for i, id := range calls {
			mt.Instances = append(mt.Instances, CallInstance{Node: fmt.Sprintf("cb%d", i+1), Call: CallDetail{Call: Call{ID: id}}})
		}
		return mt
	}
	return []Meeting{
		m("9fea4ad1-953a-4801-b4cd-b9382c43b077", "Board review", "b393d2cb-60ec-418c-9991-6ef4e72fa47b", "c0ffee00-0000-4000-8000-000000000001"),
		m("9fea4ad2-0000-4000-8000-000000000002", "Board", "d0000000-0000-4000-8000-000000000002"),
		m("abcd0000-0000-4000-8000-000000000003", "Weekly sync", "e0000000-0000-4000-8000-000000000003"),
		m("abce0000-0000-4000-8000-000000000004", "Weekly retro", "f0000000-0000-4000-8000-000000000004"),
		// A name that looks like a prefix of another meeting's id: the id tiers win.
		m("12340000-0000-4000-8000-000000000005", "9fea dashboard", "a0000000-0000-4000-8000-000000000005"),
	}
}

func TestPickMeeting(t *testing.T) {
	tests := []struct {
		ref       string
		want      string   // correlator, when resolved
		ambiguous []string // candidate substrings, when ambiguous
		notFound  bool
	}{
		{ref: "9fea4ad1-953a-4801-b4cd-b9382c43b077", want: "9fea4ad1-953a-4801-b4cd-b9382c43b077"},
		{ref: "9FEA4AD1-953A-4801-B4CD-B9382C43B077", want: "9fea4ad1-953a-4801-b4cd-b9382c43b077"},
		{ref: "c0ffee00-0000-4000-8000-000000000001", want: "9fea4ad1-953a-4801-b4cd-b9382c43b077"}, // call id on cb2
		{ref: "b393d2cb", want: "9fea4ad1-953a-4801-b4cd-b9382c43b077"},                             // call id prefix
		{ref: "9fea4ad2", want: "9fea4ad2-0000-4000-8000-000000000002"},
		{ref: "9fea", ambiguous: []string{"Board review (9fea4ad1…) on cb1,cb2", "Board (9fea4ad2…) on cb1"}},
		{ref: "abc", notFound: true}, // too short for an id prefix, and no name holds it
		{ref: "abcd", want: "abcd0000-0000-4000-8000-000000000003"},
		{ref: "board", want: "9fea4ad2-0000-4000-8000-000000000002"}, // exact name beats substring
		{ref: "REVIEW", want: "9fea4ad1-953a-4801-b4cd-b9382c43b077"},
		{ref: "weekly", ambiguous: []string{"Weekly retro (abce0000…) on cb1", "Weekly sync (abcd0000…) on cb1"}},
		{ref: "dashboard", want: "12340000-0000-4000-8000-000000000005"},
		{ref: "nothing-like-it", notFound: true},
		{ref: "ab", notFound: true},
	}
	ms := meetingFixture()
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := pickMeeting(ms, tt.ref)
			var amb *AmbiguousError
			switch {
			case tt.want != "":
				if err != nil || got.Correlator != tt.want {
					t.Fatalf("got %q, %v; want %q", got.Correlator, err, tt.want)
				}
			case tt.notFound:
				var unk *UnknownRefError
				if !errors.Is(err, ErrNotFound) || !errors.As(err, &unk) || unk.Kind != "meeting" {
					t.Fatalf("err = %v, want *UnknownRefError matching ErrNotFound", err)
				}
			case errors.As(err, &amb):
				if amb.Kind != "meeting" || amb.Ref != tt.ref {
					t.Errorf("ambiguous kind/ref = %q/%q", amb.Kind, amb.Ref)
				}
				joined := strings.Join(amb.Candidates, "\n")
				for _, c := range tt.ambiguous {
					if !strings.Contains(joined, c) {
						t.Errorf("candidates %q lack %q", amb.Candidates, c)
					}
				}
			default:
				t.Fatalf("got %q, %v; want ambiguous %q", got.Correlator, err, tt.ambiguous)
			}
		})
	}
}

func TestCandidatesAreCapped(t *testing.T) {
	var ms []Meeting
	for i := range 25 {
		ms = append(ms, Meeting{Correlator: fmt.Sprintf("%08d-x", i), Name: fmt.Sprintf("Standup %02d", i),
			Instances: []CallInstance{{Node: "cb1"}}})
	}
	_, err := pickMeeting(ms, "standup")
	var amb *AmbiguousError
	if !errors.As(err, &amb) {
		t.Fatalf("err = %v, want ambiguous", err)
	}
	if len(amb.Candidates) != maxCandidates+1 || amb.Candidates[maxCandidates] != "…and 15 more" {
		t.Errorf("candidates = %q, want %d plus a count of the rest", amb.Candidates, maxCandidates)
	}
}

func TestLooksLikeFullID(t *testing.T) {
	tests := map[string]bool{
		"9fea4ad1-953a-4801-b4cd-b9382c43b077":  true,
		"9FEA4AD1-953A-4801-B4CD-B9382C43B077":  true,
		"9fea4ad1-953a-4801-b4cd-b9382c43b07":   false,
		"9fea4ad1x953a-4801-b4cd-b9382c43b077":  false,
		"9fea4ad1-953a-4801-b4cd-b9382c43b07g":  false,
		"../../../../../../../../../../../../x": false,
		"":                                      false,
	}
	for ref, want := range tests {
		if got := looksLikeFullID(ref); got != want {
			t.Errorf("looksLikeFullID(%q) = %v, want %v", ref, got, want)
		}
	}
}
