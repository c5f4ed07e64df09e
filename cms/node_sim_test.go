package cms

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
)

const simPassword = "sim-Secret-42"

// startSimNodes starts an emulator and returns it with one Node per emulated call bridge.
func startSimNodes(t *testing.T, opts cmssim.Options, mod ...func(*NodeConfig)) (*cmssim.Sim, map[string]*Node) {
	t.Helper()
	opts.Password = simPassword
	sim, err := cmssim.Start(opts)
	if err != nil {
		t.Fatalf("cmssim.Start: %v", err)
	}
	t.Cleanup(sim.Close)
	nodes := map[string]*Node{}
	for _, ni := range sim.Nodes() {
		cfg := NodeConfig{Name: ni.Name, BaseURL: ni.URL, Username: sim.Username, Password: sim.Password,
			HTTPClient: sim.HTTPClient()}
		for _, m := range mod {
			m(&cfg)
		}
		n, err := NewNode(cfg)
		if err != nil {
			t.Fatal(err)
		}
		n.retry.base, n.retry.max = time.Millisecond, 4*time.Millisecond
		nodes[ni.Name] = n
	}
	return sim, nodes
}

// mustGet(f()).ok(t) unwraps a (value, error) pair, failing the test on error.
func mustGet[T any](v T, err error) getResult[T] { return getResult[T]{v, err} }

type getResult[T any] struct {
	v   T
	err error
}

func (r getResult[T]) ok(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

// simBoardMeeting is a meeting on cb1 and cb2 with more legs on cb1 than one page holds.
func simBoardMeeting(sim *cmssim.Sim) cmssim.MeetingInfo {
	ps := []cmssim.ParticipantSpec{
		{Name: "Alice", URI: "alice@example.com", Node: "cb1"},
		{Name: "Bob", URI: "bob@example.com", Node: "cb2", RxAudioMute: true, ChosenLayout: "stacked"},
	}
	for i := range 23 {
		ps = append(ps, cmssim.ParticipantSpec{Name: fmt.Sprintf("Guest %02d", i), Node: "cb1"})
	}
	return sim.AddMeeting(cmssim.MeetingSpec{Name: "Board review", Participants: ps})
}

func simLegIDsOn(legs []cmssim.LegState, node string) []string {
	var out []string
	for _, l := range legs {
		if l.Node == node {
			out = append(out, l.ID)
		}
	}
	slices.Sort(out)
	return out
}

func TestSimReads(t *testing.T) {
	sim, nodes := startSimNodes(t, cmssim.Options{Nodes: 3, TLS: true, Seed: 7})
	m := simBoardMeeting(sim)
	ctx := context.Background()
	cb1, cb2 := nodes["cb1"], nodes["cb2"]
	call1 := m.Calls["cb1"]

	calls := mustGet(cb1.Calls(ctx)).ok(t)
	if len(calls) != 1 || calls[0].ID != call1 || calls[0].CallCorrelator != m.Correlator || calls[0].Name != "Board review" {
		t.Errorf("Calls = %+v", calls)
	}
	cd := mustGet(cb1.Call(ctx, call1)).ok(t)
	if cd.NumParticipantsLocal != 24 || cd.CallCorrelator != m.Correlator || cd.NumDistributedInstances != 1 {
		t.Errorf("Call = %+v", cd)
	}

	// 24 participant legs plus one distribution link: three pages at the emulator's cap of 10.
	legs := mustGet(cb1.CallLegs(ctx, call1)).ok(t)
	var got []string
	for _, l := range legs {
		got = append(got, l.ID)
	}
	if len(legs) != 25 {
		t.Errorf("CallLegs: %d legs, want 25 (24 + link)", len(legs))
	}
	for _, id := range simLegIDsOn(m.Legs, "cb1") {
		if !slices.Contains(got, id) {
			t.Errorf("CallLegs misses %s", id)
		}
	}
	all := mustGet(cb1.AllCallLegs(ctx)).ok(t)
	if len(all) != len(legs) {
		t.Errorf("AllCallLegs = %d legs, want %d", len(all), len(legs))
	}

	bob := simLegIDsOn(m.Legs, "cb2")[0]
	d := mustGet(cb2.CallLeg(ctx, bob)).ok(t)
	if d.Name != "Bob" || d.RemoteParty != "bob@example.com" || !d.Config.RxAudioMute || d.Config.TxAudioMute ||
		d.Config.ChosenLayout != "stacked" || d.Status.State != "connected" || d.IsDistributionLink() {
		t.Errorf("CallLeg(Bob) = %+v", d)
	}
	if _, err := cb1.CallLeg(ctx, bob); !errors.Is(err, ErrCallLegNotFound) {
		t.Errorf("Bob's leg on cb1: err = %v, want ErrCallLegNotFound", err)
	}
	if _, err := cb1.CallLeg(ctx, "no-such-leg"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing leg: err = %v, want ErrNotFound", err)
	}
	checkSimLinks(t, cb1, legs)
	checkSimParticipants(t, sim, nodes, m)
	checkSimSystem(t, sim, cb1)
}

// checkSimLinks verifies that exactly one cb1 leg of a two-node meeting is a distribution link.
func checkSimLinks(t *testing.T, n *Node, legs []CallLeg) {
	t.Helper()
	links := 0
	for _, l := range legs {
		if mustGet(n.CallLeg(context.Background(), l.ID)).ok(t).IsDistributionLink() {
			links++
		}
	}
	if links != 1 {
		t.Errorf("%d distribution links, want 1", links)
	}
}

func checkSimParticipants(t *testing.T, sim *cmssim.Sim, nodes map[string]*Node, m cmssim.MeetingInfo) {
	t.Helper()
	ctx := context.Background()
	cb1 := nodes["cb1"]
	everyone := mustGet(cb1.CallParticipants(ctx, m.Calls["cb1"], "")).ok(t)
	if len(everyone) != 25 {
		t.Errorf("CallParticipants: %d, want 25", len(everyone))
	}
	cb1ID := sim.Nodes()[0].CallBridgeID
	local := mustGet(cb1.CallParticipants(ctx, m.Calls["cb1"], cb1ID)).ok(t)
	if len(local) != 24 {
		t.Errorf("CallParticipants(callBridgeFilter=cb1): %d, want 24", len(local))
	}
	for _, p := range local {
		if p.CallBridge != "" {
			t.Errorf("local participant %+v carries a callBridge", p)
		}
	}
	bobLeg, _ := sim.Leg(simLegIDsOn(m.Legs, "cb2")[0])
	p := mustGet(cb1.Participant(ctx, bobLeg.ParticipantID)).ok(t)
	if p.Name != "Bob" || p.CallBridge != sim.Nodes()[1].CallBridgeID {
		t.Errorf("Participant(Bob) on cb1 = %+v", p)
	}
	pl := mustGet(nodes["cb2"].ParticipantCallLegs(ctx, bobLeg.ParticipantID)).ok(t)
	if len(pl) != 1 || pl[0].ID != bobLeg.ID {
		t.Errorf("ParticipantCallLegs(Bob) = %+v, want [%s]", pl, bobLeg.ID)
	}
}

func checkSimSystem(t *testing.T, sim *cmssim.Sim, cb1 *Node) {
	t.Helper()
	ctx := context.Background()
	st := mustGet(cb1.SystemStatus(ctx)).ok(t)
	if st.SoftwareVersion == "" || st.CallLegsActive != 25 {
		t.Errorf("SystemStatus = %+v", st)
	}
	bridges := mustGet(cb1.CallBridges(ctx)).ok(t)
	if len(bridges) != 3 {
		t.Fatalf("CallBridges = %+v", bridges)
	}
	for i, ni := range sim.Nodes() {
		b := mustGet(cb1.CallBridge(ctx, bridges[i].ID)).ok(t)
		if b.ID != ni.CallBridgeID || b.Name != ni.Name || b.Address != ni.URL {
			t.Errorf("CallBridge %d = %+v, want %+v", i, b, ni)
		}
	}
	if cc := mustGet(cb1.ClusterConfig(ctx)).ok(t); cc.UniqueName != "cb1" {
		t.Errorf("ClusterConfig = %+v", cc)
	}
}

func TestSimWrites(t *testing.T) {
	sim, nodes := startSimNodes(t, cmssim.Options{Nodes: 2, Seed: 3})
	m := simBoardMeeting(sim)
	ctx := context.Background()
	cb1, cb2 := nodes["cb1"], nodes["cb2"]
	alice := simLegIDsOn(m.Legs, "cb1")[0]
	bob := simLegIDsOn(m.Legs, "cb2")[0]

	if err := cb2.UpdateCallLeg(ctx, bob, LegUpdate{RxAudioMute: Set(false), TxVideoMute: Set(true),
		ChosenLayout: Unset[string]()}); err != nil {
		t.Fatal(err)
	}
	if l, _ := sim.Leg(bob); l.RxAudioMute || !l.TxVideoMute || l.ChosenLayout != "" {
		t.Errorf("after update, Bob = %+v", l)
	}
	if err := cb1.UpdateCallLeg(ctx, bob, LegUpdate{RxAudioMute: Set(true)}); !errors.Is(err, ErrCallLegNotFound) {
		t.Errorf("updating Bob via cb1: err = %v, want ErrCallLegNotFound", err)
	}
	err := cb2.UpdateCallLeg(ctx, bob, LegUpdate{ChosenLayout: Set("notALayout")})
	var ae *APIError
	if !errors.As(err, &ae) || !errors.Is(err, ErrParameter) || ae.Parameter != "chosenLayout" {
		t.Errorf("bad layout: err = %v", err)
	}

	bobLeg, _ := sim.Leg(bob)
	if err := cb2.UpdateParticipant(ctx, bobLeg.ParticipantID, ParticipantUpdate{Importance: Set(7)}); err != nil {
		t.Fatal(err)
	}
	if p, _ := sim.Participant(bobLeg.ParticipantID); p.Importance == nil || *p.Importance != 7 {
		t.Errorf("importance = %v, want 7", p.Importance)
	}
	if got := mustGet(cb2.Participant(ctx, bobLeg.ParticipantID)).ok(t); got.Importance == nil || *got.Importance != 7 {
		t.Errorf("Participant importance = %v, want 7", got.Importance)
	}
	err = cb1.UpdateParticipant(ctx, bobLeg.ParticipantID, ParticipantUpdate{Importance: Set(1)})
	if !errors.Is(err, ErrParticipantCannotBeModified) {
		t.Errorf("importance via non-owner: err = %v", err)
	}

	call1 := m.Calls["cb1"]
	if err := cb1.UpdateCall(ctx, call1, CallUpdate{Locked: Set(true), JoinAudioMuteOverride: Set(true)}); err != nil {
		t.Fatal(err)
	}
	if cs, _ := sim.CallState("cb1", call1); !cs.Locked || cs.JoinAudioMuteOverride == nil || !*cs.JoinAudioMuteOverride {
		t.Errorf("call state = %+v", cs)
	}
	if cd := mustGet(cb1.Call(ctx, call1)).ok(t); !cd.Locked || cd.JoinAudioMuteOverride == nil || !*cd.JoinAudioMuteOverride {
		t.Errorf("Call = %+v", cd)
	}
	if err := cb1.UpdateCall(ctx, call1, CallUpdate{JoinAudioMuteOverride: Unset[bool]()}); err != nil {
		t.Fatal(err)
	}
	if cs, _ := sim.CallState("cb1", call1); cs.JoinAudioMuteOverride != nil {
		t.Errorf("joinAudioMuteOverride not unset: %+v", cs)
	}

	newID := mustGet(cb1.AddCallLeg(ctx, call1, "dave@example.com")).ok(t)
	if l, ok := sim.Leg(newID); !ok || l.Node != "cb1" || l.RemoteParty != "dave@example.com" {
		t.Errorf("dialled leg = %+v, %v", l, ok)
	}
	if err := cb1.DeleteCallLeg(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if _, ok := sim.Leg(alice); ok {
		t.Error("Alice's leg still there after DeleteCallLeg")
	}
	if err := cb1.DeleteCallLeg(ctx, alice); !errors.Is(err, ErrCallLegNotFound) {
		t.Errorf("second delete: err = %v, want ErrCallLegNotFound", err)
	}
}

func TestSimFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault func(sim *cmssim.Sim)
		check func(t *testing.T, err error)
	}{
		{"503 burst is retried", func(sim *cmssim.Sim) { sim.Fail503("cb1", 2) },
			func(t *testing.T, err error) {
				if err != nil {
					t.Errorf("err = %v", err)
				}
			}},
		{"auth failure", func(sim *cmssim.Sim) { sim.SetAuthFailure("cb1", true) },
			func(t *testing.T, err error) {
				var ae *AuthError
				if !errors.As(err, &ae) || ae.Node != "cb1" || !errors.Is(err, ErrAuth) {
					t.Errorf("err = %v", err)
				}
			}},
		{"malformed", func(sim *cmssim.Sim) { sim.SetMalformed("cb1", true) },
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrMalformedResponse) {
					t.Errorf("err = %v", err)
				}
			}},
		{"down", func(sim *cmssim.Sim) { sim.SetDown("cb1", true) },
			func(t *testing.T, err error) {
				var te *TransportError
				if !errors.As(err, &te) || te.Node != "cb1" || !errors.Is(err, ErrUnavailable) {
					t.Errorf("err = %v", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, nodes := startSimNodes(t, cmssim.Options{Nodes: 1})
			simBoardMeeting(sim)
			tt.fault(sim)
			_, err := nodes["cb1"].AllCallLegs(context.Background())
			tt.check(t, err)
			if err != nil && strings.Contains(err.Error(), simPassword) {
				t.Errorf("password in %q", err)
			}
		})
	}
}

// The emulator counts what reaches it: paging a long list never exceeds MaxConcurrency.
func TestSimConcurrencyBound(t *testing.T) {
	sim, nodes := startSimNodes(t, cmssim.Options{Nodes: 1}, func(c *NodeConfig) { c.MaxConcurrency = 3 })
	ps := make([]cmssim.ParticipantSpec, 120)
	for i := range ps {
		ps[i] = cmssim.ParticipantSpec{Name: fmt.Sprintf("P%03d", i)}
	}
	sim.AddMeeting(cmssim.MeetingSpec{Name: "Town hall", Participants: ps})
	sim.ResetCounters()
	sim.SetLatency("cb1", 2*time.Millisecond) // lets requests overlap; the bound is what is asserted
	legs := mustGet(nodes["cb1"].AllCallLegs(context.Background())).ok(t)
	if len(legs) != 120 {
		t.Errorf("%d legs, want 120", len(legs))
	}
	if got := sim.MaxInFlight("cb1"); got > 3 || got < 1 {
		t.Errorf("MaxInFlight = %d, want 1..3", got)
	}
	if got := sim.Requests("cb1"); got != 12 {
		t.Errorf("%d requests, want 12 pages", got)
	}
}

// Cancelling a request mid-flight yields an error without the password (style.md lesson 5).
func TestSimNoPasswordOnCancel(t *testing.T) {
	sim, nodes := startSimNodes(t, cmssim.Options{Nodes: 1})
	simBoardMeeting(sim)
	ctx, cancel := context.WithCancel(context.Background())
	sim.OnRequest(func(cmssim.RequestInfo) { cancel() })
	_, err := nodes["cb1"].AllCallLegs(ctx)
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if msg := fmt.Sprintf("%v %+v", err, err); strings.Contains(msg, simPassword) {
		t.Errorf("password in %q", msg)
	}
}
