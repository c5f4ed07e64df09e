package app

import (
	"context"
	"encoding/json"

	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/store"
)

// presenterCluster is the cluster key of the presenter snapshots of CMS_NODES's one cluster.
const presenterCluster = "default"

// storeSnapshots keeps presenter mode's snapshots in the store, so presenter off restores
// after a restart or on another replica. Each cluster's are keyed by its name.
type storeSnapshots struct {
	st      *store.Store
	cluster string // "" = presenterCluster
}

// ForCluster is the snapshots of one of several clusters (commands asks for it).
func (s storeSnapshots) ForCluster(name string) commands.PresenterSnapshots {
	return storeSnapshots{st: s.st, cluster: name}
}

func (s storeSnapshots) key() string {
	if s.cluster == "" {
		return presenterCluster
	}
	return s.cluster
}

var _ commands.PresenterSnapshots = storeSnapshots{}

func (s storeSnapshots) SavePresenterSnapshot(ctx context.Context, key string, snap json.RawMessage) error {
	_, err := s.st.SavePresenterSnapshot(ctx, store.PresenterSnapshot{Cluster: s.key(), Meeting: key, Snapshot: snap})
	return err
}

func (s storeSnapshots) TakePresenterSnapshot(ctx context.Context, key string) (json.RawMessage, bool, error) {
	p, ok, err := s.st.TakePresenterSnapshot(ctx, s.key(), key)
	return p.Snapshot, ok, err
}
