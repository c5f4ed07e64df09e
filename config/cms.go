package config

import (
	"crypto/x509"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

var nodeNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)

func (l *loader) cms() {
	l.cmsNodes()
	l.cmsCredentials()
	l.cmsTLS()
	l.cfg.CMSTimeout = l.duration("CMS_TIMEOUT", DefaultCMSTimeout, 100*time.Millisecond, 5*time.Minute)
	l.cfg.CMSConcurrency = l.intRange("CMS_CONCURRENCY", DefaultCMSConcurrency, 1, MaxCMSConcurrency)
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

func (l *loader) cmsNodes() {
	const name = "CMS_NODES"
	v := l.env(name)
	if v == "" {
		if l.mode == ModeRun || l.mode == ModeExec {
			l.fail(name, "required: name=https://host:port,name2=https://host2:port (or set CMS_NODES=sim to try the emulator)")
			return
		}
		l.cfg.SimNodes = DefaultSimNodes
		return
	}
	if n, ok, msg := parseSim(v); ok {
		if msg != "" {
			l.fail(name, "%s", msg)
			return
		}
		l.cfg.SimNodes = n
		return
	}
	l.realNodes(name, v)
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

func (l *loader) realNodes(name, v string) {
	before := len(l.problems)
	defer func() { l.nodesBad = len(l.problems) > before }()
	entries := strings.Split(v, ",")
	if len(entries) > MaxNodes {
		// One problem, not hundreds: the cluster is too big before any entry matters.
		l.fail(name, "%d nodes; NFMM supports a cluster of at most %d call bridges", len(entries), MaxNodes)
		return
	}
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
		key := envKey(node.Name)
		if prev, dup := keys[key]; dup {
			if prev == node.Name {
				l.fail(name, "node name %s appears twice", node.Name)
			} else {
				l.fail(name, "node names %s and %s both map to CMS_%s_USERNAME/_PASSWORD; rename one", prev, node.Name, key)
			}
			continue
		}
		keys[key] = node.Name
		l.cfg.Nodes = append(l.cfg.Nodes, node)
	}
}

func (l *loader) parseNode(name string, i int, entry string) (Node, bool) {
	nodeName, raw, found := strings.Cut(entry, "=")
	nodeName, raw = strings.TrimSpace(nodeName), strings.TrimSpace(raw)
	if !found || raw == "" {
		l.fail(name, "entry %d is not name=URL (e.g. cb1=https://cb1.example.com:445)", i)
		return Node{}, false
	}
	if !nodeNameRE.MatchString(nodeName) {
		l.fail(name, "entry %d: node name %q must be 1-32 letters, digits, '.', '_' or '-'", i, nodeName)
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
		l.warn("CMS_NODES: node %s: dropped the /api/v1 path from the URL (NFMM adds it)", nodeName)
	default:
		l.fail(name, "node %s: URL must be https://host[:port] without a path (got path %s)", nodeName, u.Path)
		return Node{}, false
	}
	return Node{Name: nodeName, URL: u.Scheme + "://" + u.Host}, true
}

// envKey is the NAME in CMS_<NAME>_USERNAME: upper case, '-' and '.' become '_'.
func envKey(node string) string {
	return strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(node))
}

// cmsCredentials fills each node's credentials (override, else the shared pair) and reports
// override variables that name no node: a typo there would silently use the wrong password.
func (l *loader) cmsCredentials() {
	known := map[string]bool{}
	var noUser, noPass []string
	user, pass := l.env("CMS_USERNAME"), l.get("CMS_PASSWORD")
	for i := range l.cfg.Nodes {
		n := &l.cfg.Nodes[i]
		key := envKey(n.Name)
		known[key] = true
		n.Username = firstNonEmpty(l.env("CMS_"+key+"_USERNAME"), user)
		n.Password = Secret(firstNonEmpty(l.get("CMS_"+key+"_PASSWORD"), pass))
		if n.Username == "" {
			noUser = append(noUser, n.Name)
		}
		if n.Password == "" {
			noPass = append(noPass, n.Name)
		}
	}
	if len(noUser) > 0 {
		l.fail("CMS_USERNAME", "required for %s (or set CMS_<NAME>_USERNAME per node)", nodeList(noUser))
	}
	if len(noPass) > 0 {
		l.fail("CMS_PASSWORD", "required for %s (or set CMS_<NAME>_PASSWORD per node)", nodeList(noPass))
	}
	if !l.nodesBad {
		l.unknownOverrides(known) // else a rejected entry would make its overrides look unknown
	}
}

func (l *loader) unknownOverrides(known map[string]bool) {
	names := slices.Clone(l.names)
	slices.Sort(names)
	for _, v := range names {
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
		if l.cfg.SimNodes > 0 {
			l.warn("%s: ignored, CMS_NODES=sim needs no credentials", v)
			continue
		}
		l.fail(v, "no node named %s in CMS_NODES", strings.ToLower(key))
	}
}

func (l *loader) cmsTLS() {
	l.cfg.InsecureSkipVerify = l.boolean("CMS_INSECURE_SKIP_VERIFY", false)
	if l.cfg.InsecureSkipVerify && len(l.cfg.Nodes) > 0 {
		l.warn("CMS_INSECURE_SKIP_VERIFY=true: the call bridges' TLS certificates are NOT verified; prefer CMS_CA_FILE")
	}
	const name = "CMS_CA_FILE"
	path := l.env(name)
	if path == "" {
		return
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		l.failErr(name, err, "cannot read the CA bundle: %v", err)
		return
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		l.fail(name, "%s contains no PEM certificate (-----BEGIN CERTIFICATE-----)", path)
		return
	}
	l.cfg.CAFile = path
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
