package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/commands"
)

// instancesPerNode counts the call instances the emulator holds on each node.
func instancesPerNode(sim *cmssim.Sim) []int {
	count := map[string]int{}
	for _, m := range sim.Meetings() {
		for node := range m.Calls {
			count[node]++
		}
	}
	var out []int
	for _, n := range sim.Nodes() {
		out = append(out, count[n.Name])
	}
	return out
}

// runCalls is scenario 1 (and each point of the plot): `calls` over nodes × perNode instances.
func runCalls(ctx context.Context, p params, nodes, perNode, runs int, withBaseline bool) (row, error) {
	e, err := newEnv(p, cmssim.Options{Nodes: nodes})
	if err != nil {
		return row{}, err
	}
	defer e.Close()
	addCallsLoad(e.sim, perNode)
	want := len(e.sim.Meetings())
	svc := newService(e)
	r, err := e.measure(ctx, runs, nil, func(ctx context.Context) error { return checkCalls(ctx, svc, want) })
	if err != nil {
		return row{}, err
	}
	r.Name = fmt.Sprintf("1 calls (%d nodes × %d)", nodes, perNode)
	r.BoundRTT = callsRounds(instancesPerNode(e.sim), p.PageCap, p.K)
	r.Bound = p.Latency * timeMul(r.BoundRTT)
	if withBaseline {
		b := newBaseline(e.sim)
		err = e.timeBaseline(ctx, &r, func(ctx context.Context) error {
			n, err := b.calls(ctx)
			if err == nil && n != instancesTotal(e.sim) {
				err = fmt.Errorf("baseline read %d calls, want %d", n, instancesTotal(e.sim))
			}
			return err
		})
	}
	return r, err
}

// checkCalls runs `calls` and checks that every meeting came back, from every node.
func checkCalls(ctx context.Context, svc *commands.Service, want int) error {
	res, err := svc.Run(ctx, benchActor, "calls")
	if err != nil {
		return err
	}
	cr := res.(*commands.CallsResult)
	if len(cr.Unreachable) > 0 || len(cr.Meetings) != want {
		return fmt.Errorf("calls: %d meetings, %d unreachable; want %d, 0", len(cr.Meetings), len(cr.Unreachable), want)
	}
	return nil
}

func instancesTotal(sim *cmssim.Sim) int {
	t := 0
	for _, n := range instancesPerNode(sim) {
		t += n
	}
	return t
}

// meetingShape describes the big meeting per node, for the roster and presenter bounds.
func meetingShape(sim *cmssim.Sim, m cmssim.MeetingInfo, presenterNode string, clearsOn string) []meetingNode {
	perNode := instancesPerNode(sim)
	parts := map[string]int{}
	for _, l := range m.Legs {
		parts[l.Node]++
	}
	var out []meetingNode
	for i, n := range sim.Nodes() {
		if _, ok := m.Calls[n.Name]; !ok {
			continue
		}
		mn := meetingNode{calls: perNode[i], parts: parts[n.Name], legs: parts[n.Name] + len(m.Calls) - 1,
			presenter: n.Name == presenterNode}
		if n.Name == clearsOn {
			mn.clears = 1
		}
		out = append(out, mn)
	}
	return out
}

const bigMeeting = "Townhall"

// runMeeting is scenarios 2 and 3 on one 300-participant meeting spread over 8 nodes.
func runMeeting(ctx context.Context, p params, runs int, presenter bool) ([]row, error) {
	e, err := newEnv(p, cmssim.Options{Nodes: 8})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	m := addBigMeeting(e.sim, bigMeeting, 300)
	svc := newService(e)
	b := newBaseline(e.sim)

	roster, err := e.measure(ctx, runs, nil, func(ctx context.Context) error {
		res, err := svc.Run(ctx, benchActor, "call "+bigMeeting)
		if err != nil {
			return err
		}
		if rr := res.(*commands.RosterResult); len(rr.Participants) != len(m.Legs) || len(rr.Unreachable) > 0 {
			return fmt.Errorf("roster: %d participants, want %d", len(rr.Participants), len(m.Legs))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("call: %w", err)
	}
	roster.Name = "2 call <meeting> (300 on 8 nodes)"
	roster.BoundRTT = rosterRounds(meetingShape(e.sim, m, "", ""), p.PageCap, p.K)
	roster.Bound = p.Latency * timeMul(roster.BoundRTT)
	if err := e.timeBaseline(ctx, &roster, func(ctx context.Context) error {
		_, legs, err := b.roster(ctx, bigMeeting)
		if err == nil && len(legs) != len(m.Legs) {
			err = fmt.Errorf("baseline roster: %d legs, want %d", len(legs), len(m.Legs))
		}
		return err
	}); err != nil {
		return nil, err
	}
	if !presenter {
		return []row{roster}, nil
	}
	on, off, err := runPresenter(ctx, e, svc, b, m, runs)
	if err != nil {
		return nil, err
	}
	return []row{roster, on, off}, nil
}

func runPresenter(ctx context.Context, e *env, svc *commands.Service, b *baseline, m cmssim.MeetingInfo, runs int) (row, row, error) {
	pres := m.Legs[0]
	do := func(ctx context.Context, on bool) error {
		text := "presenter " + bigMeeting + " off"
		if on {
			text = "presenter " + bigMeeting + " " + pres.ID
		}
		res, err := svc.Run(ctx, benchActor, text)
		if err != nil {
			return err
		}
		ar := res.(*commands.ActionResult)
		if ar.Updated != len(m.Legs) || len(ar.Failed) > 0 {
			return fmt.Errorf("%s: %d of %d legs updated, failures %v", text, ar.Updated, len(m.Legs), ar.Failed)
		}
		return nil
	}
	// Each timed "on" starts from off and each "off" from on: the untimed setup sees to it.
	onRow, err := e.measure(ctx, runs, func(ctx context.Context) error { return do(ctx, false) },
		func(ctx context.Context) error { return do(ctx, true) })
	if err != nil {
		return row{}, row{}, fmt.Errorf("presenter on: %w", err)
	}
	offRow, err := e.measure(ctx, runs, func(ctx context.Context) error { return do(ctx, true) },
		func(ctx context.Context) error { return do(ctx, false) })
	if err != nil {
		return row{}, row{}, fmt.Errorf("presenter off: %w", err)
	}
	p := e.p
	onRow.Name, offRow.Name = "3 presenter on", "3 presenter off"
	// The bench names the presenter by its leg id, which identifies it as soon as its leg is read.
	onRow.BoundRTT = presenterRounds(meetingShape(e.sim, m, pres.Node, ""), p.PageCap, p.K, false)
	offRow.BoundRTT = presenterRounds(meetingShape(e.sim, m, "", pres.Node), p.PageCap, p.K, false)
	onRow.Bound, offRow.Bound = p.Latency*timeMul(onRow.BoundRTT), p.Latency*timeMul(offRow.BoundRTT)
	err = errors.Join(
		e.timeBaseline(ctx, &onRow, func(ctx context.Context) error { return b.presenter(ctx, bigMeeting, pres.Name, true) }),
		e.timeBaseline(ctx, &offRow, func(ctx context.Context) error { return b.presenter(ctx, bigMeeting, pres.Name, false) }),
	)
	if err == nil {
		err = checkPresenterOff(e.sim, m)
	}
	return onRow, offRow, err
}

// checkPresenterOff verifies the emulator state after the last "off": nobody muted, no
// importance left.
func checkPresenterOff(sim *cmssim.Sim, m cmssim.MeetingInfo) error {
	var bad []string
	for _, l := range sim.Legs(m.Correlator) {
		if l.RxAudioMute || l.ChosenLayout != "" || l.Importance != nil {
			bad = append(bad, l.Name)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("after presenter off, still changed: %s", strings.Join(bad[:min(5, len(bad))], ", "))
	}
	return nil
}
