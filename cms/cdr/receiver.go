package cdr

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"
)

// Sink stores CDRs. The receiver answers CMS's post with 200 only after StoreCDRs returned nil,
// because CMS counts a record as delivered at that 200 and then forgets it.
type Sink interface {
	// StoreCDRs stores the records of b that are new by (session, correlatorIndex), with their
	// history projection, and reports how many were new. A record stored before (CMS resends
	// whatever it had no 200 for) is skipped, so storing a batch twice changes nothing.
	// cluster is the sending node's cluster ("default" with CMS_NODES).
	StoreCDRs(ctx context.Context, cluster, node string, b Batch) (int, error)
}

// DefaultMaxBody caps a post. CMS batches records, a record is 0.5–2 KB, and a post larger
// than this is not a CMS.
const DefaultMaxBody = 4 << 20

// KnownNode is a configured call bridge the receiver accepts CDRs from.
type KnownNode struct {
	Name string
	// Cluster is the cluster the node belongs to ("default" with CMS_NODES); two clusters
	// may both have a node of the same name, told apart by the URI's ?cluster=.
	Cluster string
	// Host is the host of its API URL; a post from this address is from this node.
	Host string
	// CallBridgeID is its id in /callBridges, when known (the <records callBridge=…> attribute).
	CallBridgeID string
}

// ReceiverConfig configures a Receiver.
type ReceiverConfig struct {
	// Token is the secret last element of the path: POST /cdr/<token>.
	Token string
	Nodes []KnownNode
	Sink  Sink
	// MaxBody caps a post; default DefaultMaxBody.
	MaxBody int64
	Logger  *slog.Logger
}

// Receiver is the HTTP endpoint CMS posts CDRs to. It is an http.Handler for the path
// /cdr/<token>; every replica may run one against the same store.
type Receiver struct {
	cfg ReceiverConfig
	log *slog.Logger
}

// NewReceiver returns a Receiver.
func NewReceiver(cfg ReceiverConfig) *Receiver {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Receiver{cfg: cfg, log: cfg.Logger}
}

// Path is the receiver's path for a token.
func Path(token string) string { return "/cdr/" + token }

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, "/cdr/")
	if !ok {
		http.Error(w, "not found: CDRs go to /cdr/<token>", http.StatusNotFound)
		return
	}
	if rc.cfg.Token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(rc.cfg.Token)) != 1 {
		rc.log.Warn("cdr: post with a wrong token refused", "remote", r.RemoteAddr)
		http.Error(w, "forbidden: wrong CDR token", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed: CMS posts CDRs", http.StatusMethodNotAllowed)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !xmlish(ct) {
		http.Error(w, "unsupported media type "+ct+": want XML <records>", http.StatusUnsupportedMediaType)
		return
	}
	named, cluster := r.URL.Query().Get("node"), r.URL.Query().Get("cluster")
	if n, clusters := rc.byName(named, cluster, r.RemoteAddr); n == nil && named != "" {
		var why string
		switch {
		case len(clusters) > 1:
			// Most likely a receiver registered before several clusters were configured: its
			// posts must not be stored under whichever cluster comes first. NFMM registers
			// one naming the cluster beside it.
			why = fmt.Sprintf("clusters %s all have a node %q and the URI names none: use NFMM's receiver URI with &cluster=, and delete this receiver", strings.Join(clusters, ", "), named)
		case cluster != "":
			why = fmt.Sprintf("node %q is not configured in cluster %q", named, cluster)
		default:
			why = fmt.Sprintf("node %q is not configured in CMS_NODES", named)
		}
		rc.log.Warn("cdr: post from an unknown node refused: "+why, "node", named, "cluster", cluster, "remote", r.RemoteAddr)
		http.Error(w, "forbidden: "+why, http.StatusForbidden)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rc.cfg.MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		rc.log.Warn("cdr: oversized post refused", "node", named, "remote", r.RemoteAddr, "limit_bytes", rc.cfg.MaxBody)
		http.Error(w, fmt.Sprintf("request entity too large: the limit is %d bytes", rc.cfg.MaxBody), http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		http.Error(w, "bad request: reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if trimmed := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '<' {
		http.Error(w, "unsupported media type: the body is not XML", http.StatusUnsupportedMediaType)
		return
	}
	b, decodeErr := Decode(body)
	node := rc.match(named, cluster, b.CallBridge, r.RemoteAddr)
	if node == nil {
		rc.log.Warn("cdr: post from an unknown node refused", "call_bridge", b.CallBridge, "remote", r.RemoteAddr)
		http.Error(w, "forbidden: the post matches no configured node (register the receiver URI with ?node=<name>)", http.StatusForbidden)
		return
	}
	if named != "" && b.CallBridge != "" && node.CallBridgeID != "" && node.CallBridgeID != b.CallBridge {
		rc.log.Warn("cdr: callBridge does not match the node", "node", node.Name, "call_bridge", b.CallBridge)
		http.Error(w, fmt.Sprintf("forbidden: callBridge %s is not node %s", b.CallBridge, node.Name), http.StatusForbidden)
		return
	}
	stored := 0
	if len(b.Records) > 0 {
		if stored, err = rc.cfg.Sink.StoreCDRs(r.Context(), cmp.Or(node.Cluster, defaultCluster), node.Name, b); err != nil {
			// No 200, so CMS keeps the records and sends them again.
			rc.log.Error("cdr: storing records failed", "node", node.Name, "records", len(b.Records), "err", err)
			http.Error(w, "service unavailable: the records could not be stored; CMS will resend them", http.StatusServiceUnavailable)
			return
		}
	}
	if decodeErr != nil {
		rc.log.Warn("cdr: malformed post", "node", node.Name, "session", b.Session, "records_before_fault", len(b.Records), "new", stored, "err", decodeErr)
		http.Error(w, fmt.Sprintf("bad request: %v (%d records before it stored)", decodeErr, len(b.Records)), http.StatusBadRequest)
		return
	}
	missing := 0
	for _, rec := range b.Records {
		missing += rec.PrecedingMissing
	}
	if missing > 0 {
		rc.log.Warn("cdr: the call bridge dropped records before sending these", "node", node.Name, "missing", missing)
	}
	rc.log.Debug("cdr: post stored", "cluster", node.Cluster, "node", node.Name, "records", len(b.Records), "new", stored)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "stored %d new of %d records\n", stored, len(b.Records))
}

// Serve answers posts on ln (only under /cdr/) until ctx is done, then lets the posts in
// flight finish for up to 10 s. Connections stay open between posts: CMS keeps them alive.
func (rc *Receiver) Serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("/cdr/", rc)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(rc.log.Handler(), slog.LevelDebug),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	err := srv.Serve(ln)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func xmlish(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasSuffix(mt, "/xml") || strings.HasSuffix(mt, "+xml") || mt == "text/plain" || mt == "application/octet-stream"
}

// defaultCluster is config.DefaultCluster, CMS_NODES's one cluster (cms never imports config).
const defaultCluster = "default"

// byName is the node called name in cluster. A URI without ?cluster= is the default
// cluster's (NFMM registers it so for CMS_NODES): its node of that name, else the only node
// so named in any cluster, else the one of those whose address sent the post. Otherwise the
// name is ambiguous, as with a receiver registered before several clusters were configured:
// nil, and the clusters that have such a node.
func (rc *Receiver) byName(name, cluster, remote string) (*KnownNode, []string) {
	var same []int
	for i, n := range rc.cfg.Nodes {
		switch {
		case !strings.EqualFold(n.Name, name):
		case cluster != "":
			if n.Cluster == cluster {
				return &rc.cfg.Nodes[i], nil
			}
		case n.Cluster == "" || n.Cluster == defaultCluster:
			return &rc.cfg.Nodes[i], nil
		default:
			same = append(same, i)
		}
	}
	if len(same) == 1 {
		return &rc.cfg.Nodes[same[0]], nil
	}
	var from []int
	var clusters []string
	for _, i := range same {
		if sameAddr(rc.cfg.Nodes[i].Host, remote) {
			from = append(from, i)
		}
		clusters = append(clusters, rc.cfg.Nodes[i].Cluster)
	}
	if len(from) == 1 {
		return &rc.cfg.Nodes[from[0]], nil
	}
	return nil, clusters
}

// match finds the sending node, over every cluster's nodes: by the ?node= (and ?cluster=)
// NFMM registered, else by the callBridge id, else by the source address.
func (rc *Receiver) match(named, cluster, callBridge, remote string) *KnownNode {
	if named != "" {
		n, _ := rc.byName(named, cluster, remote)
		return n
	}
	for i, n := range rc.cfg.Nodes {
		if callBridge != "" && strings.EqualFold(n.CallBridgeID, callBridge) {
			return &rc.cfg.Nodes[i]
		}
	}
	for i, n := range rc.cfg.Nodes {
		if sameAddr(n.Host, remote) {
			return &rc.cfg.Nodes[i]
		}
	}
	return nil
}

// sameAddr reports whether a node's API host is the IP address remote (host:port) posted from.
func sameAddr(nodeHost, remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, nip := net.ParseIP(host), net.ParseIP(strings.Trim(nodeHost, "[]"))
	return ip != nil && nip != nil && nip.Equal(ip)
}
