package app

import (
	"context"
	"encoding/json"

	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/store"
)

// presenterCluster is the cluster key of the presenter snapshots: one NFMM serves one cluster.
const presenterCluster = "default"

// storeSnapshots keeps presenter mode's snapshots in the store, so presenter off restores
// after a restart or on another replica.
type storeSnapshots struct{ st *store.Store }

var _ commands.PresenterSnapshots = storeSnapshots{}

func (s storeSnapshots) SavePresenterSnapshot(ctx context.Context, key string, snap json.RawMessage) error {
	_, err := s.st.SavePresenterSnapshot(ctx, store.PresenterSnapshot{Cluster: presenterCluster, Meeting: key, Snapshot: snap})
	return err
}

func (s storeSnapshots) TakePresenterSnapshot(ctx context.Context, key string) (json.RawMessage, bool, error) {
	p, ok, err := s.st.TakePresenterSnapshot(ctx, presenterCluster, key)
	return p.Snapshot, ok, err
}
