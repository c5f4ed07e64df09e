package ops

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// HealthReport is what the program knows about its connections, produced on every probe.
type HealthReport struct {
	Slack SlackHealth
	Nodes []NodeHealth
	// Degraded lists other problems that leave the bot working but not fully (e.g. a Slack user
	// group in NFMM_OPERATORS that cannot be read): each becomes a reason, status degraded.
	Degraded []string
	Store    *StoreHealth // nil: no store configured
}

// StoreHealth is the database's state. A store that does not answer degrades the health but
// does not take it down: reads keep working, state-changing actions are refused with a
// message, and restarting NFMM would not bring the database back.
type StoreHealth struct {
	Engine    string `json:"engine"` // sqlite or postgres
	Reachable bool   `json:"reachable"`
	Leader    bool   `json:"leader"` // this replica runs the singleton loops (report scheduler)
	Error     string `json:"error,omitempty"`
}

// SlackHealth is the socket-mode connection state.
type SlackHealth struct {
	Connected bool `json:"connected"`
}

// NodeHealth is one call bridge's reachability; Error is a short human-readable reason
// (never a credential).
type NodeHealth struct {
	Cluster   string `json:"cluster,omitempty"` // with several clusters
	Name      string `json:"name"`
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
	// Live is where the node's live state comes from (live: Events API, polled: REST, down,
	// connecting) and LiveSince since when.
	Live      string     `json:"live,omitempty"`
	LiveSince *time.Time `json:"live_since,omitempty"`
}

// Health statuses. degraded still answers 200: the bot is useful while one bridge is down,
// and restarting it would not bring the bridge back.
const (
	StatusOK       = "ok"
	StatusDegraded = "degraded"
	StatusDown     = "down"
)

// healthBody is the /healthz JSON.
type healthBody struct {
	Status  string       `json:"status"`
	Reasons []string     `json:"reasons,omitempty"`
	Slack   SlackHealth  `json:"slack"`
	Nodes   []NodeHealth `json:"nodes"`
	Store   *StoreHealth `json:"store,omitempty"`
}

// evaluate applies the rule: healthy = Slack connected and at least one node reachable.
func evaluate(r HealthReport) (healthBody, int) {
	b := healthBody{Status: StatusOK, Slack: r.Slack, Nodes: r.Nodes, Store: r.Store}
	if b.Nodes == nil {
		b.Nodes = []NodeHealth{}
	}
	reachable := 0
	var clusters []string          // with several clusters, in the nodes' order
	clusterUp := map[string]bool{} // a cluster with a reachable node
	for _, n := range r.Nodes {
		if n.Cluster != "" && !slices.Contains(clusters, n.Cluster) {
			clusters = append(clusters, n.Cluster)
		}
		if n.Reachable {
			reachable++
			clusterUp[n.Cluster] = true
			continue
		}
		// Two clusters may both have a cb1: the reason names which, as `status @all` does.
		name := n.Name
		if n.Cluster != "" {
			name = n.Cluster + "/" + n.Name
		}
		b.Reasons = append(b.Reasons, "node "+name+" unreachable")
	}
	if reachable > 0 { // with none reachable at all, "no CMS node reachable" says it
		for _, c := range clusters {
			if !clusterUp[c] {
				b.Reasons = append(b.Reasons, "no CMS node of cluster "+c+" reachable")
			}
		}
	}
	down := false
	if !r.Slack.Connected {
		down = true
		b.Reasons = append([]string{"Slack socket not connected"}, b.Reasons...)
	}
	if reachable == 0 {
		down = true
		b.Reasons = append(b.Reasons, "no CMS node reachable")
	}
	b.Reasons = append(b.Reasons, r.Degraded...)
	storeDown := r.Store != nil && !r.Store.Reachable
	if storeDown {
		b.Reasons = append(b.Reasons, "store unreachable: changes are refused until it is back")
	}
	switch {
	case down:
		b.Status = StatusDown
		return b, http.StatusServiceUnavailable
	case reachable < len(r.Nodes) || len(r.Degraded) > 0 || storeDown:
		b.Status = StatusDegraded
	}
	return b, http.StatusOK
}

// healthTimeout bounds one probe: kubelet's default probe timeout is 1 s, but a slow answer
// is better than none for humans with curl; the health func should use cached state anyway.
const healthTimeout = 5 * time.Second

func healthHandler(health func(context.Context) HealthReport, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		body, code := evaluate(health(ctx))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		if err := json.NewEncoder(w).Encode(body); err != nil {
			logger.DebugContext(ctx, "writing /healthz", "err", err)
		}
	}
}
