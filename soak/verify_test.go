package soak

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// auditRecord is what the soak reads back from the audit log.
type auditRecord struct {
	Actor   string `json:"actor"`
	Op      string `json:"op"`
	Outcome string `json:"outcome"`
	LegID   string `json:"leg_id"`
	Error   string `json:"error"`
	Changes []struct {
		Field string `json:"field"`
		After string `json:"after"`
	} `json:"changes"`
}

type legExpect struct {
	audio, video bool
	layout       string
	uncertain    bool // an action on it timed out: CMS may or may not have applied it
}

func (w *world) records() []auditRecord {
	var out []auditRecord
	for _, line := range strings.Split(strings.TrimSpace(w.audit.String()), "\n") {
		var r auditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			w.t.Fatalf("audit line is not JSON: %v: %q", err, line)
		}
		out = append(out, r)
	}
	return out
}

// quiesce waits until no new audit record has arrived for a second: in-flight work is done.
func (w *world) quiesce() {
	deadline := time.Now().Add(30 * time.Second)
	last := -1
	for n := len(w.audit.String()); n != last && time.Now().Before(deadline); n = len(w.audit.String()) {
		last = n
		time.Sleep(time.Second)
	}
}

// checkAuditMatchesEmulator replays the audit log and compares with the emulator: every leg
// whose actions all completed must be exactly as the log says; legs with a failed action are
// then driven to a known state by their owner and must converge. Nothing may have run twice.
func (w *world) checkAuditMatchesEmulator() {
	w.quiesce()
	recs := w.records()
	if got, want := int64(len(recs)), w.stats.actions.Load(); got != want {
		w.t.Errorf("%d audit records for %d actions issued: something ran twice or was lost", got, want)
	}
	expect := map[string]*legExpect{}
	for _, l := range w.legs {
		expect[strings.ToLower(l.ID)] = &legExpect{}
	}
	outcomes := map[string]int{}
	for _, r := range recs {
		outcomes[r.Outcome]++
		e := expect[strings.ToLower(r.LegID)]
		if e == nil || r.Outcome == "denied" {
			continue
		}
		if r.Outcome != "ok" {
			// A failure is a claim that CMS did not change, which the comparison checks; only a
			// timeout leaves it open whether the request was applied.
			e.uncertain = e.uncertain || strings.Contains(r.Error, "did not answer in time")
			continue
		}
		for _, c := range r.Changes {
			switch c.Field {
			case "audio":
				e.audio = c.After == "muted"
			case "video":
				e.video = c.After == "muted"
			case "layout":
				e.layout = c.After
			}
		}
	}
	var uncertain []cmssim.LegState
	certain, mismatched := 0, 0
	for _, l := range w.legs {
		e := expect[strings.ToLower(l.ID)]
		if e.uncertain {
			uncertain = append(uncertain, l)
			continue
		}
		certain++
		got, _ := w.sim.Leg(l.ID)
		if got.RxAudioMute != e.audio || got.RxVideoMute != e.video || got.ChosenLayout != e.layout {
			mismatched++
			w.t.Errorf("leg %s: emulator audio=%v video=%v layout=%q, audit says audio=%v video=%v layout=%q",
				l.Name, got.RxAudioMute, got.RxVideoMute, got.ChosenLayout, e.audio, e.video, e.layout)
		}
	}
	w.converge(uncertain)
	w.figures = fmt.Sprintf("audit records %d (%s); legs %d: %d replayed exactly from the audit log (%d mismatches), %d with a failed action re-driven and converged",
		len(recs), formatCounts(outcomes), len(w.legs), certain, mismatched, len(uncertain))
}

// converge has each uncertain leg's owner set it to a known state, which must then hold.
func (w *world) converge(legs []cmssim.LegState) {
	owner := map[string]string{}
	for i := range operators {
		for _, l := range w.ownLegs(i) {
			owner[l.ID] = operatorID(i)
		}
	}
	for _, l := range legs {
		for _, text := range []string{"mute " + l.ID + " both", "unmute " + l.ID + " both", "layout " + l.ID + " allEqual"} {
			w.stats.actions.Add(1)
			w.slash(owner[l.ID], text, true)
		}
		if got, _ := w.sim.Leg(l.ID); got.RxAudioMute || got.RxVideoMute || got.ChosenLayout != "allEqual" {
			w.t.Errorf("leg %s did not converge: %+v", l.Name, got)
		}
	}
}

func formatCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func (w *world) report(elapsed time.Duration, heap [3]float64, gor0, gor1 int) {
	faults := map[string]int{}
	total := 0
	w.stats.faults.Range(func(k, v any) bool {
		n := int(v.(interface{ Load() int64 }).Load())
		faults[k.(string)] = n
		total += n
		return true
	})
	s := &w.stats
	w.t.Logf("SOAK %v: users %d operators + %d viewers; commands %d (reads %d, typed actions %d, refused attempts %d), clicks %d, unanswered %d",
		elapsed.Round(time.Second), operators, viewers, s.reads.Load()+s.typed.Load()+s.refusals.Load(), s.reads.Load(), s.typed.Load(), s.refusals.Load(), s.clicks.Load(), s.unanswered.Load())
	w.t.Logf("SOAK faults injected %d: %s", total, formatCounts(faults))
	w.t.Logf("SOAK %s", w.figures)
	w.t.Logf("SOAK goroutines %d at start, %d at the end of the load, 0 left after shutdown; samples (goroutines/heap MiB): %s",
		gor0, gor1, strings.Join(w.samples, " "))
	w.t.Logf("SOAK heap %.1f MiB at start, %.1f MiB at the end of the load (the fake Slack keeps every message), %.1f MiB after shutdown", heap[0], heap[1], heap[2])
}
