package soak

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// operator i runs random reads, typed actions and clicks on its own legs until end.
func (w *world) operator(i int, end time.Time) {
	user := operatorID(i)
	r := rand.New(rand.NewPCG(uint64(i), 7))
	legs := w.ownLegs(i)
	for time.Now().Before(end) {
		leg := legs[r.IntN(len(legs))]
		switch n := r.IntN(10); {
		case n < 3:
			w.read(user, r, leg)
		case n < 7:
			w.typedAction(user, r, leg)
		default:
			w.click(user, r, leg)
		}
	}
}

// viewer reads, and now and then tries an action the policy must refuse (and audit).
func (w *world) viewer(i int, end time.Time) {
	user := viewerID(i)
	r := rand.New(rand.NewPCG(uint64(1000+i), 7))
	for time.Now().Before(end) {
		leg := w.legs[r.IntN(len(w.legs))]
		if r.IntN(5) == 0 {
			w.stats.refusals.Add(1)
			w.stats.actions.Add(1)
			w.slash(user, "mute "+leg.ID, true)
			continue
		}
		w.read(user, r, leg)
	}
}

func (w *world) read(user string, r *rand.Rand, leg cmssim.LegState) {
	texts := []string{"calls", "call " + leg.Correlator, "status", "participant " + leg.ID, "help", "calls soak"}
	w.stats.reads.Add(1)
	w.slash(user, texts[r.IntN(len(texts))], false)
}

func (w *world) typedAction(user string, r *rand.Rand, leg cmssim.LegState) {
	var text string
	switch r.IntN(3) {
	case 0:
		text = fmt.Sprintf("mute %s %s", leg.ID, []string{"audio", "video"}[r.IntN(2)])
	case 1:
		text = fmt.Sprintf("unmute %s %s", leg.ID, []string{"audio", "video"}[r.IntN(2)])
	default:
		text = fmt.Sprintf("layout %s %s", leg.ID, layouts[r.IntN(len(layouts))])
	}
	w.stats.typed.Add(1)
	w.stats.actions.Add(1)
	w.slash(user, text, true)
}

// click opens the meeting's roster and clicks the leg's audio toggle or its menu's video choice.
func (w *world) click(user string, r *rand.Rand, leg cmssim.LegState) {
	w.stats.reads.Add(1)
	if !w.slash(user, "call "+leg.Correlator, false) {
		return
	}
	ref := leg.Correlator + "|" + leg.Node + "|" + leg.ID
	var roster slackfake.Message
	ms := w.fake.EphemeralFor(user, channelOf(user))
	for i := len(ms) - 1; i >= 0; i-- {
		if strings.Contains(string(ms[i].Blocks), ref) {
			roster = ms[i]
			break
		}
	}
	if roster.TS == "" {
		return // the leg's node was failing: the roster has no controls for it
	}
	recs := w.auditCount(user)
	c := slackfake.Click{User: user, Channel: roster.Channel, MessageTS: roster.TS, BlockID: ref}
	var (
		env slackfake.Envelope
		err error
	)
	if r.IntN(2) == 0 { // the row menu's video choice (layout there opens a modal)
		c.ActionID, c.Value = "nfmm_row", "mute_video"
		if env, err = w.fake.ClickAction(c); err != nil {
			c.Value = "unmute_video"
			env, err = w.fake.ClickAction(c)
		}
	} else {
		c.ActionID = "nfmm_mute_audio"
		if env, err = w.fake.ClickAction(c); err != nil {
			c.ActionID = "nfmm_unmute_audio"
			env, err = w.fake.ClickAction(c)
		}
	}
	if err != nil {
		return
	}
	w.stats.clicks.Add(1)
	w.stats.actions.Add(1)
	w.await(env, "click "+c.ActionID, func() bool { return w.auditCount(user) > recs })
}

// chaos injects one fault at a time, holds it for a while and heals it, until end.
func (w *world) chaos(end time.Time, seed uint64, faults []fault) {
	r := rand.New(rand.NewPCG(seed, 3))
	for time.Now().Before(end) {
		time.Sleep(time.Duration(100+r.IntN(400)) * time.Millisecond)
		f := faults[r.IntN(len(faults))]
		node := fmt.Sprintf("cb%d", r.IntN(nodes)+1)
		if f.inject(w, node, r) {
			w.stats.fault(f.kind)
		}
		time.Sleep(time.Duration(200+r.IntN(1200)) * time.Millisecond)
		if f.heal != nil {
			f.heal(w, node)
		}
	}
}

type fault struct {
	kind   string
	inject func(w *world, node string, r *rand.Rand) bool
	heal   func(w *world, node string)
}

var cmsFaults = []fault{
	{"cms: node down", func(w *world, n string, _ *rand.Rand) bool { w.sim.SetDown(n, true); return true }, func(w *world, n string) { w.sim.SetDown(n, false) }},
	{"cms: node slow past the timeout", func(w *world, n string, _ *rand.Rand) bool { w.sim.SetLatency(n, 2*nodeTimeout); return true }, func(w *world, n string) { w.sim.SetLatency(n, 0) }},
	{"cms: 503 burst", func(w *world, n string, r *rand.Rand) bool { w.sim.Fail503(n, 1+r.IntN(20)); return true }, func(w *world, n string) { w.sim.Fail503(n, 0) }},
	{"cms: malformed/truncated XML", func(w *world, n string, _ *rand.Rand) bool { w.sim.SetMalformed(n, true); return true }, func(w *world, n string) { w.sim.SetMalformed(n, false) }},
	{"cms: 401 on one node", func(w *world, n string, _ *rand.Rand) bool { w.sim.SetAuthFailure(n, true); return true }, func(w *world, n string) { w.sim.SetAuthFailure(n, false) }},
}

var slackFaults = []fault{
	{"slack: 429 on response_url", func(w *world, _ string, r *rand.Rand) bool {
		w.fake.Fail("response_url", 1+r.IntN(3), time.Second)
		return true
	}, nil},
	{"slack: 429 on chat.postEphemeral", func(w *world, _ string, _ *rand.Rand) bool {
		w.fake.Fail("chat.postEphemeral", 1, time.Second)
		return true
	}, nil},
	{"slack: expired response_url", func(w *world, _ string, _ *rand.Rand) bool {
		w.fake.Inject("response_url", slackfake.Fault{N: 1, Status: 404})
		return true
	}, nil},
	{"slack: disconnect", func(w *world, _ string, _ *rand.Rand) bool { return w.fake.Disconnect("warning") == nil }, nil},
	{"slack: socket dropped without close", func(w *world, _ string, _ *rand.Rand) bool { return w.fake.DropConnection() == nil }, nil},
	{"slack: redelivered envelope", func(w *world, _ string, r *rand.Rand) bool {
		envs := w.fake.Envelopes()
		if len(envs) == 0 {
			return false
		}
		e := envs[len(envs)-1-r.IntN(min(len(envs), 50))]
		_, err := w.fake.Redeliver(e.ID)
		return err == nil
	}, nil},
}

func heal(s *cmssim.Sim) {
	for _, n := range s.Nodes() {
		s.SetDown(n.Name, false)
		s.SetLatency(n.Name, 0)
		s.Fail503(n.Name, 0)
		s.SetMalformed(n.Name, false)
		s.SetAuthFailure(n.Name, false)
	}
}
