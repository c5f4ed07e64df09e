package cms

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// TestAlarmsThroughTheEmulator raises more alarms than one page holds and clears one type:
// Alarms pages like every list and reads type, reason and active time.
func TestAlarmsThroughTheEmulator(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	sim, nodes := startSimNodes(t, cmssim.Options{Nodes: 2, Now: clock, PageCaps: map[string]int{"alarms": 2}})
	ctx := context.Background()
	if got := mustGet(nodes["cb1"].Alarms(ctx)).ok(t); len(got) != 0 {
		t.Fatalf("fresh node: alarms %v, want none", got)
	}
	types := []string{"cdrConnectionFailure", "recorderUnavailable", "callBridgeConnectionFailure"}
	for _, typ := range types {
		sim.RaiseAlarm("cb1", typ, "connectFailure")
	}
	now = now.Add(90 * time.Second)
	got := mustGet(nodes["cb1"].Alarms(ctx)).ok(t)
	if len(got) != len(types) {
		t.Fatalf("alarms %v, want %d", got, len(types))
	}
	for i, a := range got {
		if a.Type != types[i] || a.FailureReason != "connectFailure" || a.ActiveTimeSeconds != 90 || a.ID == "" {
			t.Errorf("alarm %d = %+v, want type %s, reason connectFailure, 90 s", i, a, types[i])
		}
	}
	if other := mustGet(nodes["cb2"].Alarms(ctx)).ok(t); len(other) != 0 {
		t.Errorf("cb2 alarms %v, want none (alarms are per node)", other)
	}
	sim.ClearAlarm("cb1", "recorderUnavailable")
	if got := mustGet(nodes["cb1"].Alarms(ctx)).ok(t); len(got) != 2 {
		t.Errorf("after clearing one type: %v, want 2 alarms", got)
	}
}

func TestLicensingThroughTheEmulator(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	sim, nodes := startSimNodes(t, cmssim.Options{Nodes: 1, Now: func() time.Time { return now }})
	ctx := context.Background()
	tests := []struct {
		name       string
		expiry     time.Time
		wantStatus string
		wantExpiry time.Time
	}{
		{"default a year ahead", time.Time{}, "activated", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"expiring soon", now.AddDate(0, 0, 10), "activated", time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)},
		{"expired", now.AddDate(0, 0, -1), "expired", time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim.SetLicenseExpiry(tt.expiry)
			lic := mustGet(nodes["cb1"].Licensing(ctx)).ok(t)
			var cb *LicenseFeature
			for i, f := range lic.Features {
				if f.Name == "callBridge" {
					cb = &lic.Features[i]
				}
				if f.Name == "callBridgeNoEncryption" && f.Licensed() {
					t.Errorf("noLicense feature reported as licensed: %+v", f)
				}
			}
			if cb == nil {
				t.Fatalf("no callBridge feature in %+v", lic)
			}
			if cb.Status != tt.wantStatus || !cb.Expiry.Equal(tt.wantExpiry) {
				t.Errorf("callBridge = %+v, want %s expiring %s", *cb, tt.wantStatus, tt.wantExpiry)
			}
		})
	}
}

func TestLicensingDecodesCiscoSample(t *testing.T) {
	body := []byte(`<?xml version="1.0"?><licensing><features>
<callBridge><status>activated</status><expiry>2022-Aug-08</expiry></callBridge>
<callBridgeNoEncryption><status>noLicense</status></callBridgeNoEncryption>
<recording><status>grace</status><expiry>2022-Aug-08</expiry><limit>20</limit></recording>
</features></licensing>`)
	var x xLicensing
	if err := decodeRoot(body, "licensing", &x); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%+v", x.licensing().Features)
	want := fmt.Sprintf("%+v", []LicenseFeature{
		{Name: "callBridge", Status: "activated", Expiry: time.Date(2022, 8, 8, 0, 0, 0, 0, time.UTC), ExpiryText: "2022-Aug-08"},
		{Name: "callBridgeNoEncryption", Status: "noLicense"},
		{Name: "recording", Status: "grace", Expiry: time.Date(2022, 8, 8, 0, 0, 0, 0, time.UTC), ExpiryText: "2022-Aug-08"},
	})
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// TestAlarmedLegsAndRecording degrades one participant's media and starts recording: the
// alarms filter lists exactly that leg, and the call detail says recording.
func TestAlarmedLegsAndRecording(t *testing.T) {
	sim, nodes := startSimNodes(t, cmssim.Options{Nodes: 2})
	m := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{
		{Name: "Ann", Node: "cb1"}, {Name: "Bob", Node: "cb1"}, {Name: "Cem", Node: "cb2"},
	}})
	ctx := context.Background()
	if got := mustGet(nodes["cb1"].AlarmedCallLegs(ctx)).ok(t); len(got) != 0 {
		t.Fatalf("healthy media: alarmed legs %v", got)
	}
	bob := m.Legs[1]
	if !sim.DegradeLeg(bob.ID, 12, 80, 20) {
		t.Fatal("DegradeLeg: leg not found")
	}
	got := mustGet(nodes["cb1"].AlarmedCallLegs(ctx)).ok(t)
	if len(got) != 1 || got[0].ID != bob.ID || len(got[0].Alarms) == 0 {
		t.Fatalf("alarmed legs %+v, want only %s with alarms", got, bob.ID)
	}
	if !sim.SetRecording(m.Correlator, true) {
		t.Fatal("SetRecording: meeting not found")
	}
	d := mustGet(nodes["cb2"].Call(ctx, m.Calls["cb2"])).ok(t)
	if !d.Recording {
		t.Errorf("call detail on cb2: recording false after SetRecording(true)")
	}
	sim.SetRecording(m.Correlator, false)
	if d := mustGet(nodes["cb1"].Call(ctx, m.Calls["cb1"])).ok(t); d.Recording {
		t.Errorf("call detail: recording true after SetRecording(false)")
	}
}

// TestRecordingSwitchReachesLiveState: the emulator's recording switch is an Events API call
// change, so live state (what the recording alert reads in nfmm run) sees it without REST.
func TestRecordingSwitchReachesLiveState(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 2}, nil)
	m := sim.AddMeeting(cmssim.MeetingSpec{Name: "Audit", Participants: []cmssim.ParticipantSpec{
		{Name: "Ann", Node: "cb1"}, {Name: "Bob", Node: "cb2"}}})
	l := startLive(t, c, fastLive())
	for _, on := range []bool{true, false} {
		sim.SetRecording(m.Correlator, on)
		waitUntil(t, fmt.Sprintf("live state to see recording=%v", on), func() bool {
			lm, ok := liveMeeting(l, m.Correlator)
			return ok && lm.Recording == on
		})
	}
}

// TestMediaAlarmsSharedAndFresh: MediaAlarms names the alarmed legs with their node and call,
// one request per node, and a second ask within mediaAlarmsFresh costs none; a cancelled read
// is not kept for the next caller.
func TestMediaAlarmsSharedAndFresh(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 2}, nil)
	m := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{
		{Name: "Ann", Node: "cb1"}, {Name: "Bob", Node: "cb2"}}})
	bob := m.Legs[1]
	sim.DegradeLeg(bob.ID, 12, 80, 20)

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	c.MediaAlarms(cancelled)
	sim.ResetCounters()
	legs, errs := c.MediaAlarms(context.Background())
	if len(errs) != 0 || len(legs) != 1 || legs[0].LegID != bob.ID || legs[0].Node != "cb2" ||
		legs[0].CallID != m.Calls["cb2"] || len(legs[0].Alarms) == 0 {
		t.Fatalf("MediaAlarms = %+v, %v; want Bob's leg on cb2 in its call, with alarms", legs, errs)
	}
	if got := simTotalRequests(sim); got != 2 {
		t.Errorf("%d requests for the alarmed legs of 2 nodes, want 2 (the cancelled read is not kept)", got)
	}
	sim.ResetCounters()
	if again, _ := c.MediaAlarms(context.Background()); len(again) != 1 || simTotalRequests(sim) != 0 {
		t.Errorf("a second ask: %d legs in %d requests, want the same leg in none", len(again), simTotalRequests(sim))
	}
}
