package config

import (
	"crypto/x509"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nfmm/nfmm/internal/names"
)

func (l *loader) cms() {
	if l.env("CMS_CLUSTERS") != "" {
		l.clusters()
	} else {
		l.singleCluster()
	}
	l.strayClusterVars()
	l.cfg.CMSEvents = DefaultCMSEvents
	switch v := strings.ToLower(l.env("CMS_EVENTS")); v {
	case "":
	case "auto", "on", "off":
		l.cfg.CMSEvents = v
	default:
		l.fail("CMS_EVENTS", "%q is not auto, on or off", v)
	}
	l.cfg.PollInterval = l.duration("NFMM_POLL_INTERVAL", DefaultPollInterval, 500*time.Millisecond, 10*time.Minute)
	l.cfg.LiveTTL = l.duration("NFMM_LIVE_TTL", DefaultLiveTTL, time.Minute, 7*24*time.Hour)
}

// scope names the variables of one cluster: CMS_NODES, CMS_<NODE>_PASSWORD … for the single
// cluster of CMS_NODES, CMS_EMEA_NODES, CMS_EMEA_<NODE>_PASSWORD … for cluster emea of
// CMS_CLUSTERS, whose unset variables fall back to the shared CMS_… ones.
type scope struct {
	prefix string // "CMS_" or "CMS_EMEA_"
	multi  bool
}

func (s scope) v(name string) string { return s.prefix + name }

// singleCluster reads CMS_NODES and the shared CMS_* variables: the one cluster "default".
func (l *loader) singleCluster() {
	sc := scope{prefix: "CMS_"}
	c := Cluster{Name: DefaultCluster}
	l.clusterNodes(sc, &c)
	l.discovery(sc, &c)
	l.clusterCredentials(sc, []*Cluster{&c})
	l.clusterTLS(sc, &c)
	c.Timeout = l.duration("CMS_TIMEOUT", DefaultCMSTimeout, 100*time.Millisecond, 5*time.Minute)
	c.Concurrency = l.intRange("CMS_CONCURRENCY", DefaultCMSConcurrency, 1, MaxCMSConcurrency)
	l.cfg.Nodes, l.cfg.SimNodes, l.cfg.CAFile, l.cfg.InsecureSkipVerify = c.Nodes, c.SimNodes, c.CAFile, c.InsecureSkipVerify
	l.cfg.CMSTimeout, l.cfg.CMSConcurrency = c.Timeout, c.Concurrency
	l.cfg.Discover, l.cfg.Peers = c.Discover, c.Peers
}

// clusters reads CMS_CLUSTERS=emea,amer and each cluster's CMS_<C>_* variables.
func (l *loader) clusters() {
	const name = "CMS_CLUSTERS"
	if l.env("CMS_NODES") != "" {
		l.fail("CMS_NODES", "set either CMS_NODES (one cluster) or CMS_CLUSTERS with CMS_<CLUSTER>_NODES per cluster, not both")
	}
	before := len(l.problems)
	for i, e := range strings.Split(l.env(name), ",") {
		if strings.TrimSpace(e) == "" {
			l.fail(name, "entry %d is empty (stray comma?)", i+1)
		}
	}
	list := l.list(name)
	if len(list) > MaxClusters {
		l.fail(name, "%d clusters; at most %d are supported", len(list), MaxClusters)
		return
	}
	keys := map[string]string{}
	var cs []*Cluster
	for _, c := range list {
		switch {
		case strings.EqualFold(c, names.All):
			l.fail(name, "%q is reserved (@all means every cluster); rename the cluster", c)
			continue
		case !names.Valid(c):
			l.fail(name, "cluster name %q must be %s", c, names.Rule)
			continue
		}
		key := names.EnvKey(c)
		if prev, dup := keys[key]; dup {
			if prev == c {
				l.fail(name, "cluster name %s appears twice", c)
			} else {
				l.fail(name, "cluster names %s and %s both map to CMS_%s_*; rename one", prev, c, key)
			}
			continue
		}
		keys[key] = c
		cs = append(cs, &Cluster{Name: c})
	}
	if len(cs) == 0 && len(l.problems) == 0 {
		l.fail(name, "names no cluster")
	}
	l.clustersBad = len(l.problems) > before
	// The shared variables are every cluster's defaults; read (and blamed) once.
	timeout := l.duration("CMS_TIMEOUT", DefaultCMSTimeout, 100*time.Millisecond, 5*time.Minute)
	concurrency := l.intRange("CMS_CONCURRENCY", DefaultCMSConcurrency, 1, MaxCMSConcurrency)
	insecure := l.boolean("CMS_INSECURE_SKIP_VERIFY", false)
	ca := l.caFile("CMS_CA_FILE")
	for _, c := range cs {
		sc := scope{prefix: "CMS_" + names.EnvKey(c.Name) + "_", multi: true}
		l.clusterNodes(sc, c)
		c.InsecureSkipVerify, c.CAFile = insecure, ca
		l.clusterTLS(sc, c)
		c.Timeout = l.duration(sc.v("TIMEOUT"), timeout, 100*time.Millisecond, 5*time.Minute)
		c.Concurrency = l.intRange(sc.v("CONCURRENCY"), concurrency, 1, MaxCMSConcurrency)
		c.Operators = l.principals(sc.v("OPERATORS"))
		c.Viewers = l.principals(sc.v("VIEWERS"))
		l.discovery(sc, c)
	}
	l.clusterCredentials(scope{prefix: "CMS_", multi: true}, cs)
	for _, c := range cs {
		l.cfg.Clusters = append(l.cfg.Clusters, *c)
	}
}

func (l *loader) clusterNodes(sc scope, c *Cluster) {
	name := sc.v("NODES")
	v := l.env(name)
	if v == "" {
		if !sc.multi && l.mode != ModeRun && l.mode != ModeExec {
			c.SimNodes = DefaultSimNodes
			return
		}
		if sc.multi {
			l.fail(name, "required for cluster %s: name=https://host:port,name2=https://host2:port (or sim / sim:N for the emulator)", c.Name)
		} else {
			l.fail(name, "required: name=https://host:port,name2=https://host2:port (or set CMS_NODES=sim to try the emulator)")
		}
		return
	}
	if n, ok, msg := parseSim(v); ok {
		if msg != "" {
			l.fail(name, "%s", msg)
			return
		}
		c.SimNodes = n
		return
	}
	c.Nodes = l.realNodes(sc, name, v)
}

// parseSim recognises "sim" and "sim:N"; ok is false when v is a node list.
func parseSim(v string) (n int, ok bool, msg string) {
	if v == "sim" {
		return DefaultSimNodes, true, ""
	}
	rest, found := strings.CutPrefix(v, "sim:")
	if !found {
		if strings.HasPrefix(v, "sim,") || strings.Contains(v, ",sim") {
			return 0, true, "sim cannot be combined with real nodes"
		}
		return 0, false, ""
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 || n > MaxSimNodes {
		return 0, true, "sim:N needs a whole number of nodes from 1 to " + strconv.Itoa(MaxSimNodes) + ", got " + strconv.Quote(rest)
	}
	return n, true, ""
}

func (l *loader) realNodes(sc scope, name, v string) []Node {
	before := len(l.problems)
	defer func() { l.nodesBad = l.nodesBad || len(l.problems) > before }()
	entries := strings.Split(v, ",")
	if len(entries) > MaxNodes {
		// One problem, not hundreds: the cluster is too big before any entry matters.
		l.fail(name, "%d nodes; NFMM supports a cluster of at most %d call bridges", len(entries), MaxNodes)
		return nil
	}
	var nodes []Node
	keys := map[string]string{} // env key -> node name, to catch names that collide in CMS_<NAME>_*
	for i, entry := range entries {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			l.fail(name, "entry %d is empty (stray comma?)", i+1)
			continue
		}
		node, ok := l.parseNode(name, i+1, entry)
		if !ok {
			continue
		}
		key := names.EnvKey(node.Name)
		if prev, dup := keys[key]; dup {
			if prev == node.Name {
				l.fail(name, "node name %s appears twice", node.Name)
			} else {
				l.fail(name, "node names %s and %s both map to %s%s_USERNAME/_PASSWORD; rename one", prev, node.Name, sc.prefix, key)
			}
			continue
		}
		keys[key] = node.Name
		nodes = append(nodes, node)
	}
	return nodes
}

func (l *loader) parseNode(name string, i int, entry string) (Node, bool) {
	nodeName, raw, found := strings.Cut(entry, "=")
	nodeName, raw = strings.TrimSpace(nodeName), strings.TrimSpace(raw)
	if !found || raw == "" {
		l.fail(name, "entry %d is not name=URL (e.g. cb1=https://cb1.example.com:445)", i)
		return Node{}, false
	}
	if !names.Valid(nodeName) {
		l.fail(name, "entry %d: node name %q must be %s", i, nodeName, names.Rule)
		return Node{}, false
	}
	u, msg := parseBaseURL(raw)
	if msg != "" {
		l.fail(name, "node %s: URL %s", nodeName, msg)
		return Node{}, false
	}
	if u.RawQuery != "" || u.Fragment != "" {
		l.fail(name, "node %s: URL must not have a query or fragment", nodeName)
		return Node{}, false
	}
	switch strings.TrimSuffix(u.Path, "/") {
	case "":
	case "/api/v1":
		// A common paste from the API docs; harmless to fix, but say so.
		l.warn("%s: node %s: dropped the /api/v1 path from the URL (NFMM adds it)", name, nodeName)
	default:
		l.fail(name, "node %s: URL must be https://host[:port] without a path (got path %s)", nodeName, u.Path)
		return Node{}, false
	}
	return Node{Name: nodeName, URL: u.Scheme + "://" + u.Host}, true
}

// clusterCredentials fills each node's credentials (node override, else the cluster's pair,
// else the shared pair) and reports override variables that name no node or cluster: a typo
// there would silently use the wrong password.
func (l *loader) clusterCredentials(sc scope, cs []*Cluster) {
	known := map[string]bool{}   // the KEY of every CMS_<KEY>_USERNAME/_PASSWORD that means something
	simKeys := map[string]bool{} // clusters of the emulator: their per-node overrides are moot
	user, pass := l.env("CMS_USERNAME"), l.get("CMS_PASSWORD")
	for _, c := range cs {
		var noUser, noPass []string
		prefix, cuser, cpass := "CMS_", user, pass
		userVar, passVar := "CMS_USERNAME", "CMS_PASSWORD"
		hint := "or set CMS_<NAME>_%s per node"
		if sc.multi {
			ckey := names.EnvKey(c.Name)
			known[ckey] = true
			if c.SimNodes > 0 {
				simKeys[ckey] = true
			}
			prefix = "CMS_" + ckey + "_"
			userVar, passVar = prefix+"USERNAME", prefix+"PASSWORD"
			cuser = firstNonEmpty(l.env(userVar), user)
			cpass = firstNonEmpty(l.get(passVar), pass)
			hint = "or set CMS_%[1]s for every cluster, or " + prefix + "<NAME>_%[1]s per node"
		} else if c.SimNodes > 0 {
			simKeys[""] = true
		}
		if c.Discover {
			c.Peers.Username, c.Peers.Password = cuser, Secret(cpass)
		}
		for i := range c.Nodes {
			n := &c.Nodes[i]
			key := strings.TrimPrefix(prefix, "CMS_") + names.EnvKey(n.Name)
			known[key] = true
			n.Username = firstNonEmpty(l.env("CMS_"+key+"_USERNAME"), cuser)
			n.Password = Secret(firstNonEmpty(l.get("CMS_"+key+"_PASSWORD"), cpass))
			if n.Username == "" {
				noUser = append(noUser, n.Name)
			}
			if n.Password == "" {
				noPass = append(noPass, n.Name)
			}
		}
		if len(noUser) > 0 {
			l.fail(userVar, "required for %s (%s)", nodeList(noUser), fmt.Sprintf(hint, "USERNAME"))
		}
		if len(noPass) > 0 {
			l.fail(passVar, "required for %s (%s)", nodeList(noPass), fmt.Sprintf(hint, "PASSWORD"))
		}
	}
	if !l.nodesBad {
		l.unknownOverrides(sc, cs, known, simKeys) // else a rejected entry would make its overrides look unknown
	}
}

func (l *loader) unknownOverrides(sc scope, cs []*Cluster, known, simKeys map[string]bool) {
	vars := slices.Clone(l.names)
	slices.Sort(vars)
	for _, v := range vars {
		rest, ok := strings.CutPrefix(v, "CMS_")
		if !ok {
			continue
		}
		key, found := strings.CutSuffix(rest, "_USERNAME")
		if !found {
			key, found = strings.CutSuffix(rest, "_PASSWORD")
		}
		if !found || key == "" || known[key] {
			continue
		}
		if c, node := discoveringCluster(sc, cs, key); c != nil {
			l.peerOverride(c, "CMS_"+key, node) // the node may be one discovery finds
			continue
		}
		if !sc.multi {
			if simKeys[""] {
				l.warn("%s: ignored, CMS_NODES=sim needs no credentials", v)
				continue
			}
			l.fail(v, "no node named %s in CMS_NODES", strings.ToLower(key))
			continue
		}
		if sim := simCluster(key, simKeys); sim != "" {
			l.warn("%s: ignored, CMS_%s_NODES is the emulator and needs no credentials", v, sim)
			continue
		}
		if c, node := clusterOfKey(cs, key); c != nil {
			l.fail(v, "cluster %s has no node %s (%sNODES: %s)", c.Name, strings.ToLower(node), "CMS_"+names.EnvKey(c.Name)+"_", strings.Join(nodeNames(c.Nodes), ", "))
			continue
		}
		l.fail(v, "no cluster in CMS_CLUSTERS, nor node in a CMS_<CLUSTER>_NODES, is called %s", strings.ToLower(key))
	}
}

// clusterOfKey is the cluster whose CMS_<CLUSTER>_ prefix the override key starts with (the
// longest such key), and the node part after it.
func clusterOfKey(cs []*Cluster, key string) (*Cluster, string) {
	var best *Cluster
	node := ""
	for _, c := range cs {
		if rest, ok := strings.CutPrefix(key, names.EnvKey(c.Name)+"_"); ok && rest != "" && (best == nil || len(rest) < len(node)) {
			best, node = c, rest
		}
	}
	return best, node
}

func nodeNames(ns []Node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Name
	}
	return out
}

// clusterSuffixes are the CMS_<CLUSTER>_… variables of one cluster besides its credentials
// (which unknownOverrides checks, since they may also name a node).
var clusterSuffixes = []string{"NODES", "CA_FILE", "INSECURE_SKIP_VERIFY", "TIMEOUT", "CONCURRENCY",
	"OPERATORS", "VIEWERS", "DISCOVER", "DISCOVER_PORT"}

// strayKey reads rest (a variable name without CMS_) as <KEY>_<suffix> of clusterSuffixes: stray
// when it is one and no configured cluster has that KEY; key is then the shortest reading.
func strayKey(rest string, known map[string]bool) (key string, stray bool) {
	for _, suf := range clusterSuffixes {
		k, found := strings.CutSuffix(rest, "_"+suf)
		switch {
		case rest == suf || found && known[k]:
			return "", false
		case found && (!stray || len(k) < len(key)):
			key, stray = k, true
		}
	}
	return key, stray
}

// strayClusterVars refuses the CMS_<CLUSTER>_… variables of a cluster that is not configured:
// left alone they would be ignored, and a cluster missing from CMS_CLUSTERS (or misspelt) never
// served, without a word.
func (l *loader) strayClusterVars() {
	multi := l.env("CMS_CLUSTERS") != ""
	known := map[string]bool{"": true} // the shared CMS_NODES, CMS_TIMEOUT, …
	for _, c := range l.cfg.Clusters {
		known[names.EnvKey(c.Name)] = true
	}
	if multi && l.clustersBad {
		return // CMS_CLUSTERS itself is wrong: its problems say so, and its names are uncertain
	}
	vars := slices.Clone(l.names)
	slices.Sort(vars)
	for _, v := range vars {
		rest, ok := strings.CutPrefix(v, "CMS_")
		if !ok || l.env(v) == "" {
			continue
		}
		key, stray := strayKey(rest, known)
		switch {
		case !stray:
		case multi:
			l.fail(v, "CMS_CLUSTERS (%s) has no cluster %s: add it there, or remove the variable", strings.Join(l.clusterNames(), ", "), strings.ToLower(key))
		default:
			l.fail(v, "configures cluster %s, but CMS_CLUSTERS is not set (CMS_NODES is the one cluster): set CMS_CLUSTERS=%[1]s,… and CMS_<CLUSTER>_NODES for each instead of CMS_NODES", strings.ToLower(key))
		}
	}
}

// simCluster is the key of the emulator cluster whose node key names, or "".
func simCluster(key string, simKeys map[string]bool) string {
	for k := range simKeys {
		if strings.HasPrefix(key, k+"_") {
			return k
		}
	}
	return ""
}

func (l *loader) clusterTLS(sc scope, c *Cluster) {
	c.InsecureSkipVerify = l.boolean(sc.v("INSECURE_SKIP_VERIFY"), c.InsecureSkipVerify)
	if c.InsecureSkipVerify && len(c.Nodes) > 0 {
		l.warn("%s=true: the call bridges' TLS certificates are NOT verified; prefer %s", sc.v("INSECURE_SKIP_VERIFY"), sc.v("CA_FILE"))
	}
	if ca := l.caFile(sc.v("CA_FILE")); ca != "" {
		c.CAFile = ca
	}
}

// caFile reads and checks the CA bundle a variable names; "" when unset or bad.
func (l *loader) caFile(name string) string {
	path := l.env(name)
	if path == "" {
		return ""
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		l.failErr(name, err, "cannot read the CA bundle: %v", err)
		return ""
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		l.fail(name, "%s contains no PEM certificate (-----BEGIN CERTIFICATE-----)", path)
		return ""
	}
	return path
}

func nodeList(names []string) string {
	if len(names) == 1 {
		return "node " + names[0]
	}
	return "nodes " + strings.Join(names, ", ")
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// discovery reads a cluster's CMS_DISCOVER / CMS_<CLUSTER>_DISCOVER and _DISCOVER_PORT.
func (l *loader) discovery(sc scope, c *Cluster) {
	on, port := sc.v("DISCOVER"), sc.v("DISCOVER_PORT")
	c.Discover = l.boolean(on, false)
	p := l.intRange(port, 0, 1, 65535)
	switch {
	case c.Discover && c.SimNodes > 0:
		l.warn("%s: ignored, %s is the emulator, which configures every node itself", on, sc.v("NODES"))
		c.Discover = false
	case c.Discover:
		c.Peers.Port, c.Peers.Prefix = p, sc.prefix
	case l.env(port) != "":
		l.warn("%s: ignored without %s=true", port, on)
	}
}

// discoveringCluster finds the cluster with discovery on whose per-node override key (the
// KEY of CMS_<KEY>_PASSWORD) this is, and the node's part of it: the single cluster's
// CMS_<NODE>_…, or CMS_<CLUSTER>_<NODE>_… of the longest cluster key that prefixes it.
func discoveringCluster(sc scope, cs []*Cluster, key string) (*Cluster, string) {
	if !sc.multi {
		if len(cs) == 1 && cs[0].Discover {
			return cs[0], key
		}
		return nil, ""
	}
	var best *Cluster
	node := ""
	for _, c := range cs {
		if rest, ok := strings.CutPrefix(key, names.EnvKey(c.Name)+"_"); ok && rest != "" && c.Discover &&
			(best == nil || len(rest) < len(node)) {
			best, node = c, rest
		}
	}
	return best, node
}

// peerOverride keeps the credentials CMS_<…>_<NODE>_USERNAME/_PASSWORD give a node that is
// not configured: discovery may find it (and logs the override when it does not).
func (l *loader) peerOverride(c *Cluster, prefix, node string) {
	if c.Peers.Nodes == nil {
		c.Peers.Nodes = map[string]Node{}
	}
	if _, done := c.Peers.Nodes[node]; done {
		return
	}
	c.Peers.Nodes[node] = Node{Username: l.env(prefix + "_USERNAME"), Password: Secret(l.get(prefix + "_PASSWORD"))}
}
