package cms

import (
	"context"
	"errors"
	"sync"
)

// Resolving a meeting needs only the calls lists: the name, the callCorrelator and every call
// id come with the list. Reading every call's detail first (as Meetings does) puts a whole round
// trip in front of the roster; FindMeeting skips it, and MeetingDetails reads the
// details of the one meeting's instances while its roster is being read (see FindMeeting and
// MeetingRoster).

// listedMeetings is Meetings without the call details: each instance holds only its list data.
// Concurrent callers share one read, as with Meetings.
func (c *Cluster) listedMeetings(ctx context.Context) MeetingList {
	if ml, ok := c.liveMeetings(); ok {
		return ml
	}
	v, err := c.flights.doGen(ctx, "listed", c.gen.Load(), func(ctx context.Context) any {
		res := fanOut(ctx, c.nodes, func(ctx context.Context, n *Node) ([]CallDetail, error) {
			calls, err := n.Calls(ctx)
			out := make([]CallDetail, len(calls))
			for i, call := range calls {
				out[i] = CallDetail{Call: call}
			}
			return out, err
		})
		return MeetingList{Meetings: mergeMeetings(c.nodes, res), Failed: failedNodes(c.nodes, res)}
	})
	if err != nil {
		return MeetingList{Failed: everyNodeFailed(c.nodes, err)}
	}
	return v.(MeetingList)
}

// detailed is MeetingDetails' shared result.
type detailed struct {
	m      Meeting
	failed []NodeError
	gone   bool
}

// MeetingDetails reads the detail of every instance of m (from FindMeeting) and
// returns the meeting with them, its counters summed as Meetings does. An instance that ended
// is dropped; one whose detail could not be read keeps its list data and its node is returned
// as failed. If every instance ended, the meeting is gone: *UnknownRefError (Is ErrNotFound).
// Concurrent callers for the same instances share one read.
func (c *Cluster) MeetingDetails(ctx context.Context, m Meeting) (Meeting, []NodeError, error) {
	if lm, found, ok := c.liveDetails(m); ok {
		if !found {
			return Meeting{}, nil, &UnknownRefError{Kind: "meeting", Ref: m.Name}
		}
		return lm, nil, nil
	}
	v, err := c.flights.doGen(ctx, "details"+rosterKey(m), c.gen.Load(), func(ctx context.Context) any {
		return c.readDetails(ctx, m)
	})
	if err != nil {
		return m, everyInstanceFailed(m, err), nil
	}
	d := v.(detailed)
	if d.gone {
		return Meeting{}, d.failed, &UnknownRefError{Kind: "meeting", Ref: m.Name}
	}
	return d.m, d.failed, nil
}

func everyInstanceFailed(m Meeting, err error) []NodeError {
	failed := make([]NodeError, 0, len(m.Instances))
	for _, name := range m.NodeNames() {
		failed = append(failed, NodeError{Node: name, Err: err})
	}
	return failed
}

func (c *Cluster) readDetails(ctx context.Context, m Meeting) detailed {
	type result struct {
		d    CallDetail
		keep bool
		err  error
	}
	res := make([]result, len(m.Instances))
	var wg sync.WaitGroup
	for i, in := range m.Instances {
		n, err := c.node(in.Node)
		if err != nil {
			res[i] = result{d: in.Call, keep: true, err: err}
			continue
		}
		wg.Go(func() {
			d, err := n.Call(ctx, in.Call.ID)
			switch {
			case err == nil:
				res[i] = result{d: d, keep: true}
			case errors.Is(err, ErrNotFound):
				res[i] = result{} // the instance ended since the list
			default:
				res[i] = result{d: in.Call, keep: true, err: err}
			}
		})
	}
	wg.Wait()
	out := Meeting{Correlator: m.Correlator, Name: m.Name}
	var failed []NodeError
	for i, r := range res {
		if r.err != nil {
			failed = append(failed, NodeError{Node: m.Instances[i].Node, Err: r.err})
		}
		if !r.keep {
			continue
		}
		out.Instances = append(out.Instances, CallInstance{Node: m.Instances[i].Node, Call: r.d})
		out.Participants += r.d.NumParticipantsLocal
		out.DurationSeconds = max(out.DurationSeconds, r.d.DurationSeconds)
	}
	return detailed{m: out, failed: failed, gone: len(m.Instances) > 0 && len(out.Instances) == 0}
}
