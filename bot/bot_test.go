package bot

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestDedupe(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	d := newDedupe(time.Minute, 3, clock)

	steps := []struct {
		advance time.Duration
		id      string
		want    bool
	}{
		{0, "", true}, // lifecycle events carry no id and are never deduplicated
		{0, "", true},
		{0, "e1", true},
		{0, "e1", false}, // redelivery
		{10 * time.Second, "e2", true},
		{0, "e1", false},
		{0, "e3", true},
		{0, "e4", true},                   // size bound: e1 is evicted
		{0, "e1", true},                   // so it counts as new again
		{2 * time.Minute, "e4", true},     // TTL passed
		{2 * time.Second, "e4", false},    // and remembered again
		{2 * time.Second, "other", true},  //
		{50 * time.Second, "e4", false},   // still within the TTL of its new sighting
		{time.Second, "fresh", true},      //
		{10 * time.Minute, "fresh", true}, // expired
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if got := d.firstTime(s.id); got != s.want {
			t.Fatalf("step %d: firstTime(%q) = %v, want %v", i, s.id, got, s.want)
		}
		if d.len() > 3 {
			t.Fatalf("step %d: %d ids remembered, bound is 3", i, d.len())
		}
	}
}

func TestPacerSpacesPostsPerChannel(t *testing.T) {
	p := newPacer(time.Second)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		at      time.Duration
		channel string
		want    time.Duration
	}{
		{0, "C1", 0},
		{0, "C1", time.Second},     // burst: the second waits a second
		{0, "C1", 2 * time.Second}, // and the third two
		{0, "C2", 0},               // other channels are independent
		{500 * time.Millisecond, "C2", time.Second},
		{10 * time.Second, "C1", 10 * time.Second}, // an idle channel posts at once
	}
	for i, tt := range tests {
		got := p.reserve(tt.channel, t0.Add(tt.at)).Sub(t0)
		if got != tt.want {
			t.Errorf("step %d: %s slot at +%v, want +%v", i, tt.channel, got, tt.want)
		}
	}
	if len(p.next) > 2 {
		t.Errorf("pacer remembers %d channels, want idle ones forgotten", len(p.next))
	}
}

func TestWantsPublicAndOpName(t *testing.T) {
	tests := []struct {
		text   string
		public bool
		op     string
	}{
		{"", false, "help"},
		{"calls", false, "calls"},
		{"calls public", true, "calls"},
		{"CALLS PUBLIC", true, "calls"},
		{"public", true, "help"},
		{"call \"public\" x", false, "call"},
		{"mute 1234 audio", false, "mute"},
		{"<!channel> hi", false, "unknown"},
		{strings.Repeat("x", 5000), false, "unknown"},
	}
	for _, tt := range tests {
		if got := wantsPublic(tt.text); got != tt.public {
			t.Errorf("wantsPublic(%.20q) = %v, want %v", tt.text, got, tt.public)
		}
		if got := opName(tt.text); got != tt.op {
			t.Errorf("opName(%.20q) = %q, want %q", tt.text, got, tt.op)
		}
	}
}

func TestOriginRoundTripAndRejection(t *testing.T) {
	o := origin{Correlator: "0f1e2d3c-aaaa-bbbb-cccc-0123456789ab", Channel: "C1", MessageTS: "1700000000.000100",
		ResponseURL: "http://127.0.0.1:1/response/9", Ephemeral: true}
	got, err := decodeOrigin(o.encode())
	if err != nil || got != o {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, o)
	}
	long := o
	long.ResponseURL = strings.Repeat("u", 4000)
	enc := long.encode()
	if len(enc) > maxPrivateMeta {
		t.Fatalf("encoded origin is %d chars, over Slack's %d", len(enc), maxPrivateMeta)
	}
	if got, err := decodeOrigin(enc); err != nil || got.Correlator != o.Correlator || got.ResponseURL != "" {
		t.Fatalf("oversize origin decoded as %+v, %v", got, err)
	}
	for _, bad := range []string{"", "{", "null", `{"c":""}`, `{"c":"x|y"}`, `{"c":"<!channel>"}`, `{"c":1}`, "0f1e2d3c"} {
		if _, err := decodeOrigin(bad); !errors.Is(err, errBadRef) {
			t.Errorf("decodeOrigin(%q) err = %v, want errBadRef", bad, err)
		}
	}
}

func TestSocketErrorNamesTheToken(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{errors.New("invalid_auth"), "SLACK_APP_TOKEN"},
		{errors.New("not_authed"), "SLACK_APP_TOKEN"},
		{slack.StatusCodeError{Code: 404, Status: "404 Not Found"}, "SLACK_API_URL"},
		{fmt.Errorf("dial: %w", errors.New("refused")), "socket mode"},
		{nil, "stopped unexpectedly"},
	}
	for _, tt := range tests {
		got := socketError(tt.err)
		if got == nil || !strings.Contains(got.Error(), tt.want) {
			t.Errorf("socketError(%v) = %v, want it to mention %q", tt.err, got, tt.want)
		}
		if tt.err != nil && !errors.Is(got, tt.err) {
			t.Errorf("socketError(%v) does not wrap the cause", tt.err)
		}
	}
}
