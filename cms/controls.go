package cms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Meeting-wide operator controls (cms-operations.md): call-level writes on every hosting
// node, bulk participant writes, ending a meeting, the lobby and moving a participant.

// Refusals CMS gives for the controls; an *APIError matches them by its failure reason.
var (
	ErrRecordingNotLicensed = errors.New("recording not allowed by licensing")
	ErrStreamingNotLicensed = errors.New("streaming not allowed by licensing")
	// ErrRecordingFixed is callRecordingCannotBeModified: the call profile records
	// automatically or never (recordingMode), so no one can start or stop it.
	ErrRecordingFixed = errors.New("call recording cannot be modified")
	ErrStreamingFixed = errors.New("call streaming cannot be modified")
	// ErrCannotMove is a participant CMS will not move (canMove=false). CMS documents no
	// failure reason for a refused move; a parameterError on movedParticipant matches.
	ErrCannotMove = errors.New("participant cannot be moved")
)

// isControlRefusal is APIError.Is for the sentinels above.
func isControlRefusal(e *APIError, target error) bool {
	switch target {
	case ErrRecordingNotLicensed:
		return e.Reason == "recordingNotAllowedByLicensing" || e.Reason == "recordingLimitReached"
	case ErrStreamingNotLicensed:
		return e.Reason == "streamingNotAllowedByLicensing" || e.Reason == "streamingLimitReached"
	case ErrRecordingFixed:
		return e.Reason == "callRecordingCannotBeModified"
	case ErrStreamingFixed:
		return e.Reason == "callStreamingCannotBeModified"
	case ErrCannotMove:
		return e.Reason == "parameterError" && e.Parameter == "movedParticipant"
	}
	return false
}

// BulkUpdate is PUT /calls/<id>/participants/*: every participant of that instance.
type BulkUpdate struct {
	RxAudioMute Param[bool]
	RxVideoMute Param[bool]
	Layout      Param[string]
}

// UpdateAllParticipants changes every participant of one call instance; an empty update sends
// nothing.
func (n *Node) UpdateAllParticipants(ctx context.Context, callID string, u BulkUpdate) error {
	f := url.Values{}
	formBool(f, "rxAudioMute", u.RxAudioMute)
	formBool(f, "rxVideoMute", u.RxVideoMute)
	formString(f, "layout", u.Layout)
	if strings.TrimSpace(callID) == "" {
		return n.emptyID(http.MethodPut, []string{"calls", callID, "participants", "*"})
	}
	return n.put(ctx, f, "calls", callID, "participants", "*")
}

// DeleteCall ends this node's instance of a call.
func (n *Node) DeleteCall(ctx context.Context, id string) error {
	segs := []string{"calls", id}
	if strings.TrimSpace(id) == "" {
		return n.emptyID(http.MethodDelete, segs)
	}
	_, err := n.send(ctx, request{method: http.MethodDelete, segs: segs})
	return err
}

// MoveParticipant moves participant pid into the call instance callID on this node
// (POST /calls/<id>/participants movedParticipant=<pid>) and returns the new participant's
// id from the Location header.
func (n *Node) MoveParticipant(ctx context.Context, callID, pid string) (string, error) {
	segs := []string{"calls", callID, "participants"}
	if strings.TrimSpace(callID) == "" || strings.TrimSpace(pid) == "" {
		return "", n.emptyID(http.MethodPost, segs)
	}
	resp, err := n.send(ctx, request{method: http.MethodPost, segs: segs, form: url.Values{"movedParticipant": {pid}}})
	if err != nil {
		return "", err
	}
	id := lastSegment(resp.header.Get("Location"))
	if id == "" {
		return "", n.transportErr(http.MethodPost, n.endpoint(nil, segs...).EscapedPath(), resp.status,
			fmt.Errorf("%w: no participant id in the Location header (the move may have happened)",
				ErrMalformedResponse), false)
	}
	return id, nil
}

// CallsChange is what a meeting-wide call write did.
type CallsChange struct {
	// Before is the meeting with each instance's detail read just before the write.
	Before Meeting
	// Unread names the nodes that could not be listed or whose instance could not be read
	// (the instance is still written when it was listed).
	Unread  []NodeError
	Written []CallOutcome // node order; Instance holds the detail read before the write
}

// Failed returns the instances whose write failed.
func (c CallsChange) Failed() []NodeError {
	var out []NodeError
	for _, w := range c.Written {
		if w.Err != nil {
			out = append(out, NodeError{Node: w.Instance.Node, Err: w.Err})
		}
	}
	return out
}

// UpdateMeetingCalls finds the meeting ref names, reads every instance's detail (the before)
// and applies u to every instance at once: call-level settings are per node, so each hosting
// node gets the write. Errors as FindMeeting.
func (c *Cluster) UpdateMeetingCalls(ctx context.Context, ref string, u CallUpdate) (CallsChange, error) {
	return c.eachInstance(ctx, ref, writeCall, func(n *Node, in CallInstance) error {
		err := n.UpdateCall(ctx, in.Call.ID, u)
		if err == nil {
			c.noteCallWrite(in.Node, in.Call.ID, u)
		}
		return err
	})
}

// EndMeeting finds the meeting ref names and deletes its call on every hosting node (whether
// one delete ends all instances is undocumented). An instance that ended meanwhile counts as
// ended.
func (c *Cluster) EndMeeting(ctx context.Context, ref string) (CallsChange, error) {
	return c.eachInstance(ctx, ref, writeCall, func(n *Node, in CallInstance) error {
		err := n.DeleteCall(ctx, in.Call.ID)
		if errors.Is(err, ErrCallNotFound) {
			return nil
		}
		return err
	})
}

// UpdateMeetingParticipants applies a bulk participant write to every instance of the meeting:
// each node changes the participants it hosts.
func (c *Cluster) UpdateMeetingParticipants(ctx context.Context, ref string, u BulkUpdate) (CallsChange, error) {
	return c.eachInstance(ctx, ref, writeRoster, func(n *Node, in CallInstance) error {
		return n.UpdateAllParticipants(ctx, in.Call.ID, u)
	})
}

// eachInstance writes every instance of the meeting ref names; what says which part of each
// call the write changes (its settings or its roster), for the reads that wait on it.
func (c *Cluster) eachInstance(ctx context.Context, ref string, what writeKind, write func(*Node, CallInstance) error) (CallsChange, error) {
	m, unread, err := c.FindMeeting(ctx, ref)
	if err != nil {
		return CallsChange{}, err
	}
	md, badCall, err := c.MeetingDetails(ctx, m)
	if err != nil {
		return CallsChange{}, err
	}
	out := CallsChange{Before: md, Unread: append(unread, badCall...), Written: make([]CallOutcome, len(md.Instances))}
	defer c.gen.Add(1) // reads shared before this write must not answer after it
	var wg sync.WaitGroup
	for i, in := range md.Instances {
		out.Written[i].Instance = in
		n, err := c.node(in.Node)
		if err != nil {
			out.Written[i].Err = err
			continue
		}
		c.live.wrote(in.Node, writeKey{what, in.Call.ID}) // the node's reads go to REST until live state hears of this
		wg.Go(func() { out.Written[i].Err = write(n, in) })
	}
	wg.Wait()
	return out, nil
}

// EndInstance deletes one call instance on its node.
func (c *Cluster) EndInstance(ctx context.Context, node, callID string) error {
	return c.onNode(node, writeKey{writeCall, callID}, func(n *Node) error { return n.DeleteCall(ctx, callID) })
}

// Move moves the participant of a roster leg into the meeting target. It checks canMove on
// the leg first (a refusal sends no write), then posts to the target's instance on the
// participant's own node when there is one (no new distribution), else to its first instance.
// It returns the node written and the new participant id.
func (c *Cluster) Move(ctx context.Context, e RosterEntry, participantID string, target Meeting) (node, newID string, err error) {
	if !e.Leg.CanMove {
		return "", "", ErrCannotMove
	}
	if len(target.Instances) == 0 {
		return "", "", &UnknownRefError{Kind: "meeting", Ref: target.Name}
	}
	in := target.Instances[0]
	if own, ok := target.Instance(e.Node); ok {
		in = own
	}
	err = c.onNode(in.Node, writeKey{writeRoster, in.Call.ID}, func(n *Node) (err error) {
		newID, err = n.MoveParticipant(ctx, in.Call.ID, participantID)
		return err
	})
	return in.Node, newID, err
}

// ParticipantDetail reads one participant (importance, canMove) on a node that hosts it.
func (c *Cluster) ParticipantDetail(ctx context.Context, node, participantID string) (Participant, error) {
	var p Participant
	err := c.onNodeRead(node, func(n *Node) (err error) {
		p, err = n.Participant(ctx, participantID)
		return err
	})
	return p, err
}

// onNodeRead is onNode for a read: it does not invalidate shared reads.
func (c *Cluster) onNodeRead(node string, fn func(*Node) error) error {
	n, err := c.node(node)
	if err != nil {
		return err
	}
	if err := fn(n); err != nil {
		return NodeError{Node: node, Err: err}
	}
	return nil
}

// noteCallWrite keeps in live state what a call write changed that no event reports: the
// banner (events carry no messageText).
func (c *Cluster) noteCallWrite(node, callID string, u CallUpdate) {
	l := c.live.l.Load()
	if l == nil || (u.MessageText.IsKeep() && u.MessageDuration.IsKeep()) {
		return
	}
	l.ls.batch(func() {
		call := l.ls.findCall(node, callID)
		if call == nil {
			return
		}
		b := call.banner
		if !u.MessageText.IsKeep() {
			b.text, _ = u.MessageText.Value() // unset: ""
		}
		if d, ok := u.MessageDuration.Value(); ok {
			switch secs := optInt(d); {
			case d == "permanent":
				b.until = time.Time{}
			case secs != nil && *secs > 0:
				b.until = l.ls.now().Add(time.Duration(*secs) * time.Second)
			default:
				b.text = "" // a zero (or unreadable) duration hides it
			}
		}
		l.ls.setBanner(node, callID, b)
	})
}

// noteParticipantWrite keeps in live state an admit (or a send back to the lobby): no event
// reports deactivated.
func (c *Cluster) noteParticipantWrite(node, pid string, u ParticipantUpdate) {
	l := c.live.l.Load()
	d, ok := u.Deactivated.Value()
	if l == nil || !ok {
		return
	}
	l.ls.batch(func() { l.ls.setLobby(node, pid, d) })
}
