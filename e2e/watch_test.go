package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/app"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/docs/schema"
)

// watchLines runs `nfmm exec watch args…` against sim and collects its stdout lines.
type watchLines struct {
	mu    sync.Mutex
	lines []string
	code  chan int
	stop  context.CancelFunc
}

func startWatch(t *testing.T, sim *cmssim.Sim, args ...string) *watchLines {
	t.Helper()
	var nodes []string
	for _, n := range sim.Nodes() {
		nodes = append(nodes, n.Name+"="+n.URL)
	}
	t.Setenv("CMS_NODES", strings.Join(nodes, ","))
	t.Setenv("CMS_USERNAME", sim.Username)
	t.Setenv("CMS_PASSWORD", sim.Password)
	t.Setenv("NFMM_POLL_INTERVAL", "500ms")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	w := &watchLines{code: make(chan int, 1), stop: cancel}
	go func() {
		w.code <- app.Main(ctx, "test", append([]string{"exec", "watch"}, args...), pw, io.Discard)
		pw.Close()
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			w.mu.Lock()
			w.lines = append(w.lines, sc.Text())
			w.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-w.code:
		case <-time.After(10 * time.Second):
			t.Error("watch did not stop")
		}
	})
	return w
}

type watchDoc struct {
	Version int             `json:"version"`
	Kind    string          `json:"kind"`
	Result  json.RawMessage `json:"result"`
	Event   struct {
		Type    string `json:"type"`
		Time    string `json:"time"`
		Node    string `json:"node"`
		Meeting *struct {
			Correlator string `json:"correlator"`
			Name       string `json:"name"`
		} `json:"meeting"`
		Participant *struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			Address string `json:"address"`
			LegID   string `json:"leg_id"`
		} `json:"participant"`
		Changes []struct {
			Field  string `json:"field"`
			Before any    `json:"before"`
			After  any    `json:"after"`
		} `json:"changes"`
		Reason string `json:"reason"`
	} `json:"event"`
}

func (w *watchLines) docs(t *testing.T) []watchDoc {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	set, err := schema.Load()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]watchDoc, 0, len(w.lines))
	for _, l := range w.lines {
		if err := set.Validate([]byte(l)); err != nil {
			t.Fatalf("watch line %s: %v", l, err)
		}
		var d watchDoc
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		if d.Version != 1 {
			t.Fatalf("version %d in %s", d.Version, l)
		}
		if d.Kind == "event" {
			if _, err := time.Parse(time.RFC3339, d.Event.Time); err != nil {
				t.Fatalf("time %q: %v", d.Event.Time, err)
			}
		}
		out = append(out, d)
	}
	return out
}

func (w *watchLines) count(t *testing.T, match func(watchDoc) bool) int {
	n := 0
	for _, d := range w.docs(t) {
		if d.Kind == "event" && match(d) {
			n++
		}
	}
	return n
}

func (w *watchLines) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			w.mu.Lock()
			t.Fatalf("timed out waiting for %s; output:\n%s", what, strings.Join(w.lines, "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestExecWatchJSON(t *testing.T) {
	sim, err := cmssim.Start(cmssim.Options{Nodes: 3, TLS: false})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.SetEventsUnavailable("cb3", true) // polled
	board := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board review", Participants: []cmssim.ParticipantSpec{
		{Name: "Alice", Node: "cb1"}, {Name: "Dmitri Kowalski", Node: "cb2"}, {Name: "Carol", Node: "cb3"}}})
	w := startWatch(t, sim, "--json")
	w.wait(t, "the snapshot", func() bool { return len(w.docs(t)) > 0 })
	first := w.docs(t)[0]
	var calls struct {
		Meetings []struct {
			Correlator string `json:"correlator"`
		} `json:"meetings"`
	}
	if first.Kind != "snapshot" || json.Unmarshal(first.Result, &calls) != nil || len(calls.Meetings) != 1 ||
		calls.Meetings[0].Correlator != board.Correlator {
		t.Fatalf("first line: %+v %s", first, first.Result)
	}

	// A two-node meeting starts: one meeting_started.
	standup := sim.AddMeeting(cmssim.MeetingSpec{Name: "Standup", Participants: []cmssim.ParticipantSpec{
		{Name: "X", Node: "cb1"}, {Name: "Y", Node: "cb2"}}})
	w.wait(t, "both standup joins", func() bool {
		return w.count(t, func(d watchDoc) bool {
			return d.Event.Type == "participant_joined" && d.Event.Meeting.Correlator == standup.Correlator
		}) == 2
	})
	if n := w.count(t, func(d watchDoc) bool {
		return d.Event.Type == "meeting_started" && d.Event.Meeting.Correlator == standup.Correlator
	}); n != 1 {
		t.Fatalf("meeting_started %d times", n)
	}
	// A mute from the endpoint on cb2.
	dmitri := board.Legs[1]
	sim.SetEndpointMute(dmitri.ID, false, true)
	w.wait(t, "dmitri muted", func() bool {
		return w.count(t, func(d watchDoc) bool {
			return d.Event.Type == "participant_changed" && d.Event.Node == "cb2" && d.Event.Participant.ID == dmitri.ParticipantID &&
				d.Event.Participant.LegID == dmitri.ID && len(d.Event.Changes) == 1 && d.Event.Changes[0].Field == "audio_muted" &&
				d.Event.Changes[0].Before == false && d.Event.Changes[0].After == true
		}) == 1
	})
	// cb1's socket drops and its next token is refused: after the reconnect and resync, a leave
	// that happened meanwhile is printed once and nobody joins again.
	before := sim.EventStats("cb1").Connects
	sim.RejectNextToken("cb1")
	sim.DropEventSockets("cb1")
	sim.RemoveLeg(standup.Legs[0].ID)
	w.wait(t, "cb1 reconnected", func() bool { return sim.EventStats("cb1").Connects > before })
	sim.SetEndpointMute(board.Legs[0].ID, true, true)
	w.wait(t, "alice video muted after the reconnect", func() bool {
		return w.count(t, func(d watchDoc) bool {
			return d.Event.Type == "participant_changed" && d.Event.Node == "cb1" && d.Event.Changes[0].Field == "video_muted"
		}) == 1
	})
	w.wait(t, "X left", func() bool {
		return w.count(t, func(d watchDoc) bool { return d.Event.Type == "participant_left" && d.Event.Node == "cb1" }) == 1
	})
	// The polled node: a join there shows up like any other.
	guest, _ := sim.Join(board.Correlator, cmssim.ParticipantSpec{Name: "Guest", Node: "cb3"})
	w.wait(t, "guest joined on the polled node", func() bool {
		return w.count(t, func(d watchDoc) bool {
			return d.Event.Type == "participant_joined" && d.Event.Node == "cb3" && d.Event.Participant.LegID == guest.ID
		}) == 1
	})
	sim.EndMeeting(standup.Correlator)
	w.wait(t, "standup ended once", func() bool {
		return w.count(t, func(d watchDoc) bool {
			return d.Event.Type == "meeting_ended" && d.Event.Meeting.Correlator == standup.Correlator
		}) == 1
	})
	if n := w.count(t, func(d watchDoc) bool {
		return d.Event.Type == "participant_joined" && d.Event.Meeting.Correlator == board.Correlator && d.Event.Node != "cb3"
	}); n != 0 {
		t.Fatalf("known participants printed as joined again (%d)", n)
	}
	w.stop()
	select {
	case code := <-w.code:
		if code != 0 {
			t.Fatalf("exit %d after the signal", code)
		}
		w.code <- code
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not exit")
	}
}

func TestExecWatchTextOneMeeting(t *testing.T) {
	sim, err := cmssim.Start(cmssim.Options{Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	board := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board review", Participants: []cmssim.ParticipantSpec{
		{Name: "Alice", Node: "cb1"}, {Name: "Dmitri Kowalski", Node: "cb2"}}})
	other := sim.AddMeeting(cmssim.MeetingSpec{Name: "Other", Participants: []cmssim.ParticipantSpec{{Name: "Z", Node: "cb1"}}})
	w := startWatch(t, sim, "board")
	w.wait(t, "the roster", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return strings.Contains(strings.Join(w.lines, "\n"), "Dmitri Kowalski")
	})
	sim.SetEndpointMute(other.Legs[0].ID, false, true)
	sim.SetEndpointMute(board.Legs[1].ID, false, true)
	w.wait(t, "the mute line", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		last := w.lines[len(w.lines)-1]
		return strings.HasSuffix(last, " cb2 Board review: Dmitri Kowalski muted (audio)")
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range w.lines {
		if strings.Contains(l, "Other:") {
			t.Fatalf("another meeting's change printed: %q", l)
		}
	}
}
