package cms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// DefaultCDRReceiverSlots is how many CDR receivers a call bridge holds when its list does not
// say (GET reports maximum="4"; cms-cdr.md §2.2).
const DefaultCDRReceiverSlots = 4

// CDRReceiver is one entry of /system/cdrReceivers.
type CDRReceiver struct {
	ID  string
	URI string
}

// CDRReceivers is a node's receiver list and how many it may hold.
type CDRReceivers struct {
	Receivers []CDRReceiver
	Maximum   int
}

type xCDRReceivers struct {
	Total     string `xml:"total,attr"`
	Maximum   string `xml:"maximum,attr"`
	Receivers []struct {
		ID  string `xml:"id,attr"`
		URI string `xml:"uri"`
	} `xml:"cdrReceiver"`
}

// CDRReceivers reads the node's CDR receiver list. The list is held by each call bridge, not
// shared across the cluster, and never exceeds a page.
func (n *Node) CDRReceivers(ctx context.Context) (CDRReceivers, error) {
	var x xCDRReceivers
	if err := n.get(ctx, "cdrReceivers", &x, "system", "cdrReceivers"); err != nil {
		return CDRReceivers{}, err
	}
	out := CDRReceivers{Maximum: DefaultCDRReceiverSlots}
	if m, err := strconv.Atoi(strings.TrimSpace(x.Maximum)); err == nil && m > 0 {
		out.Maximum = m
	}
	for _, r := range x.Receivers {
		out.Receivers = append(out.Receivers, CDRReceiver{ID: r.ID, URI: strings.TrimSpace(r.URI)})
	}
	return out, nil
}

// AddCDRReceiver creates a receiver (form field uri) and returns its id from the Location
// header. A full list fails with an *APIError whose Reason is tooManyCdrReceivers.
func (n *Node) AddCDRReceiver(ctx context.Context, uri string) (string, error) {
	segs := []string{"system", "cdrReceivers"}
	if strings.TrimSpace(uri) == "" {
		return "", fmt.Errorf("cms node %q: add CDR receiver: empty uri: %w", n.cfg.Name, ErrParameter)
	}
	resp, err := n.send(ctx, request{method: http.MethodPost, segs: segs, form: map[string][]string{"uri": {uri}}})
	if err != nil {
		return "", err
	}
	return lastSegment(resp.header.Get("Location")), nil
}

// CDRState is the outcome of ensuring NFMM's receiver on one node.
type CDRState string

const (
	CDRPresent CDRState = "present" // NFMM's URI was already listed
	CDRAdded   CDRState = "added"   // NFMM added it to a free slot
	CDRFull    CDRState = "full"    // every slot holds another receiver; NFMM deleted nothing
	CDRFailed  CDRState = "failed"  // the node could not be read or written (Err)
	CDRMissing CDRState = "missing" // not listed, a slot is free (the leader adds it)
)

// CDRRegistration is one node's receiver list after NFMM ensured its own URI in it.
type CDRRegistration struct {
	Node      string
	URI       string // NFMM's URI for this node
	State     CDRState
	Receivers []CDRReceiver // the node's whole list as last read
	Maximum   int
	Err       error
}

// Foreign returns the receivers NFMM did not register (CMM, billing, other tools).
func (r CDRRegistration) Foreign() []CDRReceiver {
	var out []CDRReceiver
	for _, x := range r.Receivers {
		if x.URI != r.URI {
			out = append(out, x)
		}
	}
	return out
}

// EnsureCDRReceivers makes sure every node lists uriFor(node) among its CDR receivers. It only
// ever adds: a receiver NFMM did not create is never changed or deleted (cms-cdr.md §2.2 warns
// of a tool that evicts others), so a node whose slots are all taken is reported CDRFull.
func (c *Cluster) EnsureCDRReceivers(ctx context.Context, uriFor func(node string) string) []CDRRegistration {
	out := make([]CDRRegistration, len(c.nodes))
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		wg.Go(func() { out[i] = ensureCDRReceiver(ctx, n, uriFor(n.Name())) })
	}
	wg.Wait()
	return out
}

// CheckCDRReceivers reads every node's list without changing it: NFMM's URI present, missing
// with a free slot, or missing with every slot taken (CDRFull). Any replica may ask.
func (c *Cluster) CheckCDRReceivers(ctx context.Context, uriFor func(node string) string) []CDRRegistration {
	out := make([]CDRRegistration, len(c.nodes))
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		wg.Go(func() { out[i] = checkCDRReceiver(ctx, n, uriFor(n.Name())) })
	}
	wg.Wait()
	return out
}

func checkCDRReceiver(ctx context.Context, n *Node, uri string) CDRRegistration {
	reg := CDRRegistration{Node: n.Name(), URI: uri}
	list, err := n.CDRReceivers(ctx)
	if err != nil {
		reg.State, reg.Err = CDRFailed, err
		return reg
	}
	reg.Receivers, reg.Maximum = list.Receivers, list.Maximum
	switch {
	case slices.ContainsFunc(list.Receivers, func(r CDRReceiver) bool { return r.URI == uri }):
		reg.State = CDRPresent
	case len(list.Receivers) >= list.Maximum:
		reg.State = CDRFull
	default:
		reg.State = CDRMissing
	}
	return reg
}

func ensureCDRReceiver(ctx context.Context, n *Node, uri string) CDRRegistration {
	reg := checkCDRReceiver(ctx, n, uri)
	if reg.State != CDRMissing {
		return reg
	}
	id, err := n.AddCDRReceiver(ctx, uri)
	var api *APIError
	switch {
	case errors.As(err, &api) && api.Reason == "tooManyCdrReceivers":
		reg.State = CDRFull
	case err != nil:
		reg.State, reg.Err = CDRFailed, err
	default:
		reg.State = CDRAdded
		reg.Receivers = append(reg.Receivers, CDRReceiver{ID: id, URI: uri})
	}
	return reg
}
