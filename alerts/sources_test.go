package alerts

import (
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// simRig is an evaluator on the real CMS sources, reading an emulator through cms.Cluster,
// with one clock for both.
type simRig struct {
	*rig
	sim     *cmssim.Sim
	cluster *cms.Cluster
}

func newSimRig(t *testing.T, cfg SourceConfig) *simRig {
	t.Helper()
	clock := newFakeClock()
	sim, cluster := simCluster(t, 3, clock)
	cfg.Cluster, cfg.Clock = cluster, clock.Now
	r := &rig{t: t, clock: clock, note: &fakeNotifier{}, store: NewMemoryStore()}
	r.ev = New(Options{Sources: Sources(cfg), Notifier: r.note, Store: r.store, Clock: clock.Now,
		Route: func(Key) string { return "C0OPS" }})
	return &simRig{rig: r, sim: sim, cluster: cfg.Cluster.(*cms.Cluster)}
}

// simCluster is an emulator of n nodes on clock and a cms.Cluster reading it.
func simCluster(t *testing.T, n int, clock *fakeClock) (*cmssim.Sim, *cms.Cluster) {
	t.Helper()
	sim, err := cmssim.Start(cmssim.Options{Nodes: n, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	var nodes []*cms.Node
	for _, ni := range sim.Nodes() {
		node, err := cms.NewNode(cms.NodeConfig{Name: ni.Name, BaseURL: ni.URL, Username: sim.Username,
			Password: sim.Password, HTTPClient: sim.HTTPClient(), Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, node)
	}
	return sim, cms.NewCluster(nodes)
}

// posted returns the one post line, failing unless exactly one top-level message went out.
func (r *simRig) posted(t *testing.T, want string) {
	t.Helper()
	var posts []string
	for _, l := range r.note.take() {
		if strings.HasPrefix(l, "post ") {
			posts = append(posts, l)
		}
	}
	if len(posts) != 1 || !strings.Contains(posts[0], want) {
		t.Fatalf("posts %q, want one containing %q", posts, want)
	}
}

func (r *simRig) resolved(t *testing.T, word string) {
	t.Helper()
	got := r.note.take()
	for _, l := range got {
		if strings.HasPrefix(l, "reply ") && strings.Contains(l, "✅ "+word) {
			return
		}
	}
	t.Fatalf("Slack saw %q, want a reply ✅ %s", got, word)
}

func TestSourcesThroughTheEmulator(t *testing.T) {
	tests := []struct {
		name    string
		cfg     SourceConfig
		break_  func(r *simRig) // makes the condition hold
		wait    time.Duration   // how long until it fires
		summary string
		fix     func(r *simRig)
		word    string
	}{
		{
			name:   "node down",
			break_: func(r *simRig) { r.sim.SetDown("cb2", true) },
			wait:   32 * time.Second, summary: "cb2 is unreachable",
			fix:  func(r *simRig) { r.sim.SetDown("cb2", false) },
			word: "recovered",
		},
		{
			name:   "credentials rejected",
			break_: func(r *simRig) { r.sim.SetAuthFailure("cb3", true) },
			wait:   32 * time.Second, summary: "cb3 rejects NFMM's credentials",
			fix:  func(r *simRig) { r.sim.SetAuthFailure("cb3", false) },
			word: "recovered",
		},
		{
			name:   "CMS alarm",
			break_: func(r *simRig) { r.sim.RaiseAlarm("cb1", "cdrConnectionFailure", "connectFailure") },
			wait:   16 * time.Second, summary: "CMS alarm cdrConnectionFailure on cb1",
			fix:  func(r *simRig) { r.sim.ClearAlarm("cb1", "") },
			word: "alarm cleared",
		},
		{
			name:   "licence expiring",
			break_: func(r *simRig) { r.sim.SetLicenseExpiry(r.clock.Now().AddDate(0, 0, 10)) },
			cfg:    SourceConfig{LicenceEvery: 5 * time.Second},
			wait:   6 * time.Second, summary: "CMS licence expires on 2026-03-11",
			fix:  func(r *simRig) { r.sim.SetLicenseExpiry(r.clock.Now().AddDate(1, 0, 0)) },
			word: "resolved",
		},
		{
			name:   "licence expired",
			break_: func(r *simRig) { r.sim.SetLicenseExpiry(r.clock.Now().Add(-time.Hour)) },
			cfg:    SourceConfig{LicenceEvery: 5 * time.Second},
			wait:   6 * time.Second, summary: "CMS licence expired",
			fix:  func(r *simRig) { r.sim.SetLicenseExpiry(r.clock.Now().AddDate(1, 0, 0)) },
			word: "resolved",
		},
		{
			name: "poor media",
			break_: func(r *simRig) {
				m := r.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{
					{Name: "Ann", Node: "cb1"}, {Name: "Bob", Node: "cb2"}}})
				r.sim.DegradeLeg(m.Legs[1].ID, 12, 20, 30)
			},
			wait: 72 * time.Second, summary: "Poor media: Bob in Board (cb2)",
			fix: func(r *simRig) {
				m := r.sim.Meetings()[0]
				r.sim.DegradeLeg(m.Legs[1].ID, 0.1, 5, 20)
			},
			word: "media recovered",
		},
		{
			name: "meeting over the limit",
			cfg:  SourceConfig{MeetingMax: 2},
			break_: func(r *simRig) {
				r.sim.AddMeeting(cmssim.MeetingSpec{Name: "All hands", Participants: []cmssim.ParticipantSpec{
					{Name: "Ann", Node: "cb1"}, {Name: "Bob", Node: "cb2"}, {Name: "Cem", Node: "cb3"}}})
			},
			wait: 16 * time.Second, summary: "All hands has more than 2 participants",
			fix:  func(r *simRig) { r.sim.RemoveLeg(r.sim.Meetings()[0].Legs[2].ID) },
			word: "back under the limit",
		},
		{
			name: "node carries too many legs",
			cfg:  SourceConfig{NodeShare: 0.5},
			break_: func(r *simRig) {
				var ps []cmssim.ParticipantSpec
				for _, n := range []string{"cb1", "cb1", "cb1", "cb1", "cb1", "cb1", "cb1", "cb1", "cb2", "cb3"} {
					ps = append(ps, cmssim.ParticipantSpec{Name: "P " + n, Node: n})
				}
				r.sim.AddMeeting(cmssim.MeetingSpec{Name: "Town hall", Participants: ps})
			},
			wait: time.Second, summary: "cb1 carries more than 50 % of the cluster's call legs",
			fix: func(r *simRig) {
				for _, l := range r.sim.Meetings()[0].Legs[:5] {
					r.sim.RemoveLeg(l.ID)
				}
			},
			word: "back under the limit",
		},
		{
			name: "recording stopped",
			break_: func(r *simRig) {
				m := r.sim.AddMeeting(cmssim.MeetingSpec{Name: "Audit", Participants: []cmssim.ParticipantSpec{
					{Name: "Ann", Node: "cb1"}}})
				r.sim.SetRecording(m.Correlator, true)
				r.step(20 * time.Second) // seen recording
				r.sim.SetRecording(m.Correlator, false)
			},
			wait: 16 * time.Second, summary: "Recording stopped in Audit while the meeting goes on",
			fix:  func(r *simRig) { r.sim.SetRecording(r.sim.Meetings()[0].Correlator, true) },
			word: "resolved",
		},
		{
			name: "presenter left",
			break_: func(r *simRig) {
				on := true
				r.sim.AddMeeting(cmssim.MeetingSpec{Name: "Webinar", JoinAudioMuteOverride: &on,
					Participants: []cmssim.ParticipantSpec{{Name: "Ann", Node: "cb1"}, {Name: "Bob", Node: "cb2"}}})
			},
			wait: 47 * time.Second, summary: "Presenter mode is still on in Webinar but its presenter left",
			fix: func(r *simRig) {
				r.sim.RemoveLeg(r.sim.Meetings()[0].Legs[0].ID)
				r.sim.RemoveLeg(r.sim.Meetings()[0].Legs[0].ID)
			},
			word: "resolved",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newSimRig(t, tt.cfg)
			r.step(2 * time.Second)
			r.want() // a healthy emulator raises nothing
			tt.break_(r)
			r.step(tt.wait)
			r.posted(t, tt.summary)
			r.step(time.Minute)
			if got := r.note.take(); len(got) != 0 {
				t.Errorf("while it holds: %q, want nothing", got)
			}
			tt.fix(r)
			r.step(20 * time.Second)
			r.resolved(t, tt.word)
		})
	}
}
