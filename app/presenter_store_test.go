package app

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/nfmm/nfmm/store"
	"github.com/nfmm/nfmm/store/storetest"
)

// TestStoreSnapshotsKeepTheFirstAndTakeOnce: a second presenter-on keeps the state before
// presenter mode; off takes it once (a restart reads the same table).
func TestStoreSnapshotsKeepTheFirstAndTakeOnce(t *testing.T) {
	ctx := context.Background()
	s := storeSnapshots{st: storetest.Open(t, store.SQLite)}
	if err := s.SavePresenterSnapshot(ctx, "cb1/call", json.RawMessage(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SavePresenterSnapshot(ctx, "cb1/call", json.RawMessage(`{"n":2}`)); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.TakePresenterSnapshot(ctx, "cb1/call")
	if err != nil || !ok || string(got) != `{"n":1}` {
		t.Fatalf("take: %s %v %v", got, ok, err)
	}
	if _, ok, _ := s.TakePresenterSnapshot(ctx, "cb1/call"); ok {
		t.Fatal("taken twice")
	}
}
