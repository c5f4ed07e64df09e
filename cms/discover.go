package cms

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"
)

// Peer discovery (cms-api.md §3.8). Every call bridge of a CMS cluster lists every clustered
// call bridge, itself included, in GET /callBridges; the detail GET /callBridges/<id> adds
// <address>, the peer's Web Admin/API URL as an administrator typed it into the cluster
// configuration. Nothing on CMS checks that address: it may name a host only the cluster
// resolves, the Web Admin port when the API listens elsewhere, or no scheme at all. So a
// discovered peer is a proposal. The configured nodes always win over it, and an address NFMM
// cannot use is reported, never guessed at.

// MaxClusterNodes is the size of the largest CMS cluster Cisco documents (24 call bridges);
// discovery never grows a cluster beyond it.
const MaxClusterNodes = 24

// Peer is one call bridge of a node's cluster, as the node's /callBridges describes it.
type Peer struct {
	ID      string
	Name    string // its name in the cluster (the peer's /system/configuration/cluster uniqueName)
	Address string // <address> as configured in the cluster; "" when its detail could not be read
	// Self marks the node that was asked (its uniqueName matches the name).
	Self bool
	// Err is why the peer's detail could not be read; the peer is then unusable.
	Err error
}

// Peers reads the node's /callBridges (every page, within the package's limits) and the detail
// of each entry, at most the node's concurrency cap at once. Reading the node's own uniqueName
// runs beside the list; when it fails, no peer is marked Self. A failed detail read marks that
// peer (Peer.Err), not the whole answer. The list itself failing is the error.
func (n *Node) Peers(ctx context.Context) ([]Peer, error) {
	var self string
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if cc, err := n.ClusterConfig(gctx); err == nil {
			self = cc.UniqueName
		}
		return nil
	})
	var bridges []CallBridge
	g.Go(func() error {
		var err error
		bridges, err = n.CallBridges(gctx)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if len(bridges) > MaxClusterNodes*4 {
		// A cluster has at most 24 bridges; a list this long is not one, and each entry would
		// cost a request.
		return nil, n.transportErr(http.MethodGet, n.endpoint(nil, "callBridges").EscapedPath(), 0,
			fmt.Errorf("%w: %d call bridges listed, a CMS cluster has at most %d", ErrMalformedResponse,
				len(bridges), MaxClusterNodes), false)
	}
	peers := make([]Peer, len(bridges))
	dg := errgroup.Group{}
	dg.SetLimit(n.cfg.MaxConcurrency)
	for i, b := range bridges {
		peers[i] = Peer{ID: b.ID, Name: b.Name, Self: self != "" && b.Name == self}
		dg.Go(func() error {
			d, err := n.CallBridge(ctx, b.ID)
			switch {
			case err != nil:
				peers[i].Err = err
			case d.Name != "" && d.Name != b.Name:
				peers[i].Err = fmt.Errorf("%w: callBridge %s is named %q in the list and %q in its detail",
					ErrMalformedResponse, b.ID, b.Name, d.Name)
			default:
				peers[i].Address = d.Address
			}
			return nil
		})
	}
	_ = dg.Wait()
	return peers, nil
}

// DiscoverConfig says how discovered peers join a cluster.
type DiscoverConfig struct {
	// Configured are the cluster's configured nodes, in order. They win over every peer of
	// the same name (in any case) or the same base URL.
	Configured []NodeConfig
	// Node builds the configuration of a peer NFMM will use from its name and base URL:
	// credentials (a per-node override or the cluster's own), TLS, timeout, concurrency.
	// Name and BaseURL are set by discovery whatever it returns; nil gives only those.
	Node func(name, baseURL string) NodeConfig
	// ValidName reports why a peer's name cannot be a node name (nil: it can); nil accepts any
	// non-empty name.
	ValidName func(name string) error
	// Port, when positive, replaces the port of every discovered address: the cluster lists
	// the Web Admin URL, and the API may have been moved to another port on every node.
	Port int
	// MaxNodes caps the cluster, configured nodes included; 0 means MaxClusterNodes.
	MaxNodes int
}

// Found is what discovery made of one peer: a node to add (Use, with its Config) or the
// reason it is left out.
type Found struct {
	Peer
	Use    bool
	Config NodeConfig
	Reason string // why not used: configured already, an address NFMM cannot use, …
	// Unusable marks a peer left out for a reason an operator should look at (its detail, its
	// name, its address, the cluster's size), not because it is configured or is the node asked.
	Unusable bool
}

// Discovery is the outcome of Discover.
type Discovery struct {
	From   string      // the node whose /callBridges was used; "" when none answered
	Found  []Found     // every peer it listed, in its order
	Failed []NodeError // the nodes asked before one answered
}

// Added returns the configurations of the peers to add, in list order.
func (d Discovery) Added() []NodeConfig {
	var out []NodeConfig
	for _, f := range d.Found {
		if f.Use {
			out = append(out, f.Config)
		}
	}
	return out
}

// ErrDiscovery means no configured node could list its peers; the cluster then runs with its
// configured nodes only.
var ErrDiscovery = errors.New("peer discovery failed")

// Discover asks the configured nodes, in order, for their cluster's call bridges until one
// answers (every node knows all of them) and plans each peer. When none answers it returns
// the failures with an error matching ErrDiscovery. It never changes the configured nodes.
func Discover(ctx context.Context, from []*Node, dc DiscoverConfig) (Discovery, error) {
	var d Discovery
	for _, n := range from {
		peers, err := n.Peers(ctx)
		if err != nil {
			d.Failed = append(d.Failed, NodeError{Node: n.Name(), Err: err})
			if ctx.Err() != nil {
				break
			}
			continue
		}
		d.From = n.Name()
		d.Found = PlanPeers(n.BaseURL(), peers, dc)
		return d, nil
	}
	if len(from) == 0 {
		return d, fmt.Errorf("%w: no configured node to ask", ErrDiscovery)
	}
	return d, fmt.Errorf("%w: %w", ErrDiscovery, errors.Join(nodeErrs(d.Failed)...))
}

func nodeErrs(failed []NodeError) []error {
	out := make([]error, len(failed))
	for i, f := range failed {
		out[i] = f
	}
	return out
}

// PlanPeers decides, for each peer listed by the node at fromURL, whether it joins the
// cluster. The configured nodes win by name or URL; then, in this order, a peer is left out
// when it is the node asked, repeats the name or URL of a peer already added, its detail
// could not be read, its name is not a valid node name, its address is not an http(s) URL of
// a host (or would downgrade https to http and send the credentials in clear text), or the
// cluster is full.
func PlanPeers(fromURL string, peers []Peer, dc DiscoverConfig) []Found {
	limit := dc.MaxNodes
	if limit <= 0 {
		limit = MaxClusterNodes
	}
	scheme := "https"
	if u, err := url.Parse(fromURL); err == nil && u.Scheme != "" {
		scheme = strings.ToLower(u.Scheme)
	}
	// The configured nodes' names and URLs, then those of the peers added so far.
	names, urls := map[string]string{}, map[string]string{}
	addedNames, addedURLs := map[string]string{}, map[string]string{}
	for _, c := range dc.Configured {
		names[strings.ToLower(c.Name)] = c.Name
		if k, err := urlKey(c.BaseURL); err == nil {
			urls[k] = c.Name
		}
	}
	count := len(dc.Configured)
	out := make([]Found, len(peers))
	for i, p := range peers {
		f := Found{Peer: p}
		base, err := peerURL(p.Address, scheme, dc.Port)
		key, _ := urlKey(base)
		switch {
		case names[strings.ToLower(p.Name)] != "":
			f.Reason = "configured as " + names[strings.ToLower(p.Name)]
		case err == nil && urls[key] != "":
			f.Reason = "same URL as configured node " + urls[key]
		case p.Self:
			f.Reason = "the node asked (its own entry)"
		case addedNames[strings.ToLower(p.Name)] != "":
			f.Unusable = true
			f.Reason = "listed twice: the name of " + addedNames[strings.ToLower(p.Name)]
		case err == nil && addedURLs[key] != "":
			f.Unusable = true
			f.Reason = "listed twice: the URL of " + addedURLs[key]
		case p.Err != nil:
			f.Unusable = true
			f.Reason = "its detail could not be read: " + p.Err.Error()
		case p.Name == "":
			f.Unusable = true
			f.Reason = "it has no name"
		case dc.ValidName != nil && dc.ValidName(p.Name) != nil:
			f.Unusable = true
			f.Reason = "its name cannot be a node name: " + dc.ValidName(p.Name).Error()
		case err != nil:
			f.Unusable = true
			f.Reason = err.Error()
		case count >= limit:
			f.Unusable = true
			f.Reason = fmt.Sprintf("the cluster already has %d nodes, the most NFMM supports", limit)
		default:
			f.Use = true
			if dc.Node != nil {
				f.Config = dc.Node(p.Name, base)
			}
			f.Config.Name, f.Config.BaseURL = p.Name, base
			count++
			addedNames[strings.ToLower(p.Name)] = p.Name
			addedURLs[key] = p.Name
		}
		out[i] = f
	}
	return out
}

// peerURL turns a listed address into a base URL NFMM can call, or says why it cannot.
// An address without a scheme is taken as https (the API is HTTPS only). http is accepted
// only for a loopback host listed by a node that is itself reached over http (the emulator),
// the rule CMS_NODES has: the password never crosses a network in clear text.
func peerURL(address, fromScheme string, port int) (string, error) {
	a := strings.TrimSpace(address)
	if a == "" {
		return "", errors.New("its address is empty")
	}
	if !strings.Contains(a, "://") {
		a = "https://" + a
	}
	u, err := url.Parse(a)
	if err != nil {
		return "", fmt.Errorf("its address %q is not a URL", address)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "https" && scheme != "http":
		return "", fmt.Errorf("its address %q is not an https:// URL", address)
	case scheme == "http" && (fromScheme != "http" || !loopback(u.Hostname())):
		return "", fmt.Errorf("its address %q is plain http: NFMM would send the credentials unencrypted", address)
	case u.Hostname() == "":
		return "", fmt.Errorf("its address %q has no host", address)
	case u.User != nil:
		return "", fmt.Errorf("its address carries credentials")
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("its address %q has a query or fragment", address)
	}
	switch strings.TrimSuffix(u.Path, "/") {
	case "", apiRoot:
	default:
		return "", fmt.Errorf("its address %q has a path (%s): the API is at the root", address, u.Path)
	}
	host := u.Host
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("its address %q has a bad port", address)
		}
	}
	if port > 0 {
		host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
	}
	return scheme + "://" + host, nil
}

// urlKey is a base URL for comparison: lower-case scheme and host, the default port made
// explicit, no trailing slash or /api/v1.
func urlKey(base string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || u.Host == "" {
		return "", errors.New("no host")
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[scheme]
	}
	path := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), apiRoot)
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port) + path, nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
