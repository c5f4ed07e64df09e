package app

import (
	"context"
	"testing"
	"time"

	"github.com/nfmm/nfmm/alerts"
	"github.com/nfmm/nfmm/store"
	"github.com/nfmm/nfmm/store/storetest"
)

// TestAlertStoreRoundTrip saves alerts through the SQLite store and reads them back whole:
// a firing alert with its silence and message, a resolved one with a reply still queued (kept),
// and a resolved one with nothing queued (no longer listed).
func TestAlertStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := newAlertStore(storetest.Open(t, store.SQLite))
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	key := func(node string) alerts.Key {
		return alerts.Key{Kind: alerts.KindNodeDown, Cluster: alerts.DefaultCluster, Node: node}
	}
	firing := alerts.Alert{Key: key("cb1"), Fingerprint: key("cb1").Fingerprint(), Source: "nodes", State: alerts.StateFiring,
		Summary: "cb1 is unreachable", Since: at, FiredAt: at.Add(30 * time.Second), Channel: "C0OPS", TS: "1.000100",
		SilencedBy: "U1", SilenceUntilResolved: true, Onsets: []time.Time{at}}
	queued := alerts.Alert{Key: key("cb2"), Fingerprint: key("cb2").Fingerprint(), State: alerts.StateResolved,
		Since: at, ResolvedAt: at.Add(time.Minute), Channel: "C0OPS", TS: "1.000200",
		Outbox: []alerts.Delivery{{Kind: alerts.DeliverReply, Event: alerts.EventResolved, Dur: time.Minute}}}
	done := alerts.Alert{Key: key("cb3"), Fingerprint: key("cb3").Fingerprint(), State: alerts.StateResolved,
		Since: at, ResolvedAt: at.Add(time.Minute), Channel: "C0OPS", TS: "1.000300"}
	for _, a := range []alerts.Alert{firing, queued, done} {
		if err := st.SaveAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.LoadAlerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byFP := map[string]alerts.Alert{}
	for _, a := range got {
		byFP[a.Fingerprint] = a
	}
	if len(got) != 2 {
		t.Fatalf("loaded %d alerts, want the firing one and the one with a queued reply: %+v", len(got), got)
	}
	f := byFP[firing.Fingerprint]
	if f.TS != firing.TS || !f.SilenceUntilResolved || f.SilencedBy != "U1" || !f.FiredAt.Equal(firing.FiredAt) || len(f.Onsets) != 1 {
		t.Errorf("firing alert came back as %+v", f)
	}
	if q := byFP[queued.Fingerprint]; q.State != alerts.StateResolved || len(q.Outbox) != 1 || q.Outbox[0].Event != alerts.EventResolved {
		t.Errorf("queued alert came back as %+v", q)
	}
}
