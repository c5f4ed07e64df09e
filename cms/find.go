package cms

import (
	"cmp"
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// ParticipantHit is one participant leg whose name or address contains a text, with the
// meeting its call belongs to on the node that hosts it.
type ParticipantHit struct {
	Node string
	Leg  CallLegDetail
	Call Call // the leg's call instance as the node lists it (name, correlator)
}

// Participants is FindParticipants' result.
type Participants struct {
	Hits   []ParticipantHit // sorted by name, then meeting, then leg id
	Failed []NodeError      // nodes that could not be searched
}

// maxFindDetails bounds how many matching legs one node's search reads in detail: a text
// that matches hundreds of legs is not a search anyone can read.
const maxFindDetails = 50

// FindParticipants finds the participant legs whose name or address contains text
// (case-insensitive) on every node. Each node is asked once for its matching legs (CMS's
// callLegs filter) and once for its calls (for the meeting names), at the same time; each
// match's detail is read to drop distribution links and to give its state.
func (c *Cluster) FindParticipants(ctx context.Context, text string) Participants {
	text = strings.TrimSpace(text)
	res := fanOut(ctx, c.nodes, func(ctx context.Context, n *Node) ([]ParticipantHit, error) {
		return findOnNode(ctx, n, text)
	})
	out := Participants{Failed: failedNodes(c.nodes, res)}
	for _, r := range res {
		out.Hits = append(out.Hits, r.items...)
	}
	slices.SortFunc(out.Hits, func(a, b ParticipantHit) int {
		return cmp.Or(compareNames(a.Leg.Name, b.Leg.Name), compareNames(a.Call.Name, b.Call.Name),
			cmp.Compare(a.Leg.ID, b.Leg.ID))
	})
	return out
}

func findOnNode(ctx context.Context, n *Node, text string) ([]ParticipantHit, error) {
	var (
		calls   []Call
		callErr error
		wg      sync.WaitGroup
	)
	wg.Go(func() { calls, callErr = n.Calls(ctx) })
	legs, err := fetchAll(ctx, n, url.Values{"filter": {text}}, decodeCallLegs, legID, "callLegs")
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if callErr != nil {
		return nil, callErr
	}
	byID := make(map[string]Call, len(calls))
	for _, c := range calls {
		byID[c.ID] = c
	}
	legs = legs[:min(len(legs), maxFindDetails)]
	hits := make([]ParticipantHit, len(legs))
	keep := make([]bool, len(legs))
	errs := make([]error, len(legs))
	forEachBounded(detailLimit(n), len(legs), func(i int) {
		d, err := n.CallLeg(ctx, legs[i].ID)
		switch {
		case err == nil:
			hits[i] = ParticipantHit{Node: n.Name(), Leg: d, Call: byID[d.Call]}
			keep[i] = !d.IsDistributionLink()
		case errors.Is(err, ErrCallLegNotFound):
			// the participant left between the list and the detail
		default:
			errs[i] = err
		}
	})
	var out []ParticipantHit
	for i := range hits {
		if errs[i] != nil {
			return out, errs[i]
		}
		if keep[i] {
			out = append(out, hits[i])
		}
	}
	return out, nil
}
