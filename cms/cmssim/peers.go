package cmssim

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"
)

// What the cluster database says about its call bridges (GET /callBridges, /callBridges/<id>,
// cms-api.md §3.8). On a real CMS an administrator types each peer's address into the cluster
// configuration: it is the Web Admin/API URL as the cluster knows it, and nothing checks that
// a client of the API can reach it or that the API listens on that port. By default the
// emulator lists each node's own URL; SetAddress makes it list something else (a host name
// the client cannot resolve, the Web Admin port when the API was moved, an http:// URL).

// SetAddress sets the <address> node's /callBridges/<id> entry shows on every node of the
// cluster; "" restores the node's own URL. It reports whether the node exists.
func (s *Sim) SetAddress(name, address string) bool {
	return s.withNode(name, func(n *node) { n.address = address })
}

// SetSIPDomain sets the <sipDomain> of node's /callBridges/<id> entry (empty by default, as in
// the trace of cms-api.md §3.8). It reports whether the node exists.
func (s *Sim) SetSIPDomain(name, domain string) bool {
	return s.withNode(name, func(n *node) { n.sipDomain = domain })
}

// SetCredentials gives node an API user of its own, as when each call bridge's MMP has its own
// admin account; "" for both restores the emulator's Username and Password. The other nodes
// keep theirs. It reports whether the node exists.
func (s *Sim) SetCredentials(name, username, password string) bool {
	return s.withNode(name, func(n *node) { n.username, n.password = username, password })
}

// credentials are the user and password node n accepts.
func (s *Sim) credentials(n *node) (string, string) {
	st := s.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	if n.username != "" || n.password != "" {
		return n.username, n.password
	}
	return s.Username, s.Password
}

// advertised is node n's <address> in /callBridges/<id>. The caller holds the state lock.
func (n *node) advertised() string {
	if n.address != "" {
		return n.address
	}
	return n.url
}

// clusterNameRE keeps a cluster's node names valid CMS_NODES names (1-32 of [A-Za-z0-9_.-]):
// "<cluster>-cb24" is the longest.
var clusterNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,26}$`)

func checkClusterName(name string) string {
	if name == "" || clusterNameRE.MatchString(name) {
		return ""
	}
	return "want 1-27 letters, digits, '.', '_' or '-', starting with a letter or digit"
}

// nodeName is the i-th (from 0) node's name: cb1… alone, <cluster>-cb1… beside others.
func nodeName(cluster string, i int) string {
	if cluster == "" {
		return fmt.Sprintf("cb%d", i+1)
	}
	return fmt.Sprintf("%s-cb%d", cluster, i+1)
}

// idStream is the second word of the id generator's seed. The lone cluster keeps the stream
// it always had ("cmssim"), so its ids, and every golden file made from them, stay the same;
// a named cluster gets a stream of its own, so clusters started with one seed share no id.
func idStream(cluster string) uint64 {
	const lone = 0x636d7373696d // "cmssim"
	if cluster == "" {
		return lone
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(strings.ToLower(cluster)))
	return lone ^ h.Sum64()
}

// withNode changes the named node under the state lock; it reports whether the node exists.
func (s *Sim) withNode(name string, change func(*node)) bool {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	n := st.nodeByName(name)
	if n == nil {
		return false
	}
	change(n)
	return true
}
