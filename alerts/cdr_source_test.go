package alerts

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms"
)

// cdrRounds stands in for meeting history's registration: run is one leader round (it adds
// NFMM's receiver where a slot is free), last what the cdr_receivers source reads.
type cdrRounds struct {
	mu   sync.Mutex
	regs []cms.CDRRegistration
}

func (c *cdrRounds) last(context.Context) []cms.CDRRegistration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.regs
}

func (c *cdrRounds) set(regs []cms.CDRRegistration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.regs = regs
}

func nfmmURI(node string) string {
	return "https://nfmm.corp.test:8443/cdr/0123456789abcdef?node=" + node
}

// TestCDRReceiversSourceThroughTheEmulator: cb2's list filled by other tools alerts once,
// naming their hosts but not their paths (they may hold tokens), and resolves when a slot
// frees and the next round adds NFMM's receiver.
func TestCDRReceiversSourceThroughTheEmulator(t *testing.T) {
	rounds := &cdrRounds{}
	r := newSimRig(t, SourceConfig{CDRReceivers: rounds.last})
	round := func() { rounds.set(r.cluster.EnsureCDRReceivers(context.Background(), nfmmURI)) }
	round()
	r.step(2 * time.Minute)
	r.want() // NFMM is registered everywhere: nothing to say

	var foreign []string
	for _, x := range r.sim.CDRReceivers("cb2") { // someone removes NFMM's receiver, and four others fill the list
		r.sim.RemoveCDRReceiver("cb2", x.ID)
	}
	for _, u := range []string{"https://cmm.corp.test/cdr/secret-token", "https://billing.corp.test:9443/in?k=secret", "http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b"} {
		id, ok := r.sim.AddCDRReceiver("cb2", u)
		if !ok {
			t.Fatal("no slot for", u)
		}
		foreign = append(foreign, id)
	}
	round()
	r.step(61 * time.Second)
	r.posted(t, "CDR receiver slots full on cb2")
	a := r.ev.Active()
	if len(a) != 1 || a[0].Key.Kind != KindCDRReceivers || a[0].Key.Node != "cb2" {
		t.Fatalf("active %+v", a)
	}
	lines := strings.Join(a[0].Lines, "\n")
	if !strings.Contains(lines, "4 of 4") || !strings.Contains(lines, "https://cmm.corp.test") || !strings.Contains(lines, "https://billing.corp.test:9443") || strings.Contains(lines, "secret") {
		t.Errorf("details %q: want the other tools' hosts, never their paths", lines)
	}
	round()
	r.step(2 * time.Minute)
	if got := r.note.take(); len(got) != 0 {
		t.Errorf("while it holds: %q, want nothing", got)
	}

	r.sim.RemoveCDRReceiver("cb2", foreign[1]) // a slot frees; the next round takes it
	round()
	if got := r.sim.CDRReceivers("cb2"); len(got) != 4 || got[3].URI != nfmmURI("cb2") {
		t.Fatalf("the round did not add NFMM's receiver: %+v", got)
	}
	r.step(61 * time.Second)
	r.resolved(t, "NFMM's receiver added")
}

// TestCDRReceiversUnknownKeepsTheAlert: a node whose list could not be read, or no round at
// all, neither fires nor resolves its alert.
func TestCDRReceiversUnknownKeepsTheAlert(t *testing.T) {
	rounds := &cdrRounds{}
	r := newRig(t)
	cfg := SourceConfig{CDRReceivers: rounds.last}
	src := &cdrSource{cfg: cfg}
	src.cfg.ClusterName = DefaultCluster
	r.ev = New(Options{Sources: []Source{src}, Notifier: r.note, Store: r.store, Clock: r.clock.Now,
		Route: func(Key) string { return "C0OPS" }})
	full := cms.CDRRegistration{Node: "cb2", URI: nfmmURI("cb2"), State: cms.CDRFull, Maximum: 4,
		Receivers: []cms.CDRReceiver{{URI: "https://a.test/x"}, {URI: "https://b.test/x"}, {URI: "https://c.test/x"}, {URI: "https://d.test/x"}}}
	ok := cms.CDRRegistration{Node: "cb1", URI: nfmmURI("cb1"), State: cms.CDRPresent, Maximum: 4}

	r.step(2 * time.Minute)
	r.want() // no round yet: nothing known, nothing said
	rounds.set([]cms.CDRRegistration{ok, {Node: "cb2", URI: nfmmURI("cb2"), State: cms.CDRFailed, Err: errors.New("down")}})
	r.step(2 * time.Minute)
	r.want() // cb2 unread: unknown is not full
	rounds.set([]cms.CDRRegistration{ok, full})
	r.step(61 * time.Second)
	if got := r.note.take(); len(got) != 1 || !strings.HasPrefix(got[0], "post C0OPS CDR receiver slots full on cb2") {
		t.Fatalf("Slack saw %q, want the one post", got)
	}
	for _, regs := range [][]cms.CDRRegistration{
		{ok, {Node: "cb2", URI: nfmmURI("cb2"), State: cms.CDRFailed, Err: errors.New("timeout")}}, // cb2 unread
		nil, // a round that read nothing (a new leader before its first round)
	} {
		rounds.set(regs)
		r.step(3 * time.Minute)
		if got := r.note.take(); len(got) != 0 {
			t.Errorf("unknown lists changed the alert: %q", got)
		}
		if len(r.ev.Active()) != 1 {
			t.Fatal("the alert resolved while cb2 was unknown")
		}
	}
	rounds.set([]cms.CDRRegistration{ok, {Node: "cb2", URI: nfmmURI("cb2"), State: cms.CDRAdded, Maximum: 4}})
	r.step(61 * time.Second)
	if got := strings.Join(r.note.take(), "\n"); !strings.Contains(got, "✅ NFMM's receiver added") {
		t.Errorf("Slack saw %q, want the resolve", got)
	}
}
