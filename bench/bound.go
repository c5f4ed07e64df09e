package main

// Round-trip lower bounds, computed from each operation's request DAG. A node serves at most k
// requests at once and every request costs one round trip, so on each node:
//
//   - the first page of a list is alone in its round (nothing else is known yet: the page size
//     and total come with it);
//   - the other pages and the detail reads of every item share k slots, and a detail read can
//     only start once the page listing its item has arrived.
//
// A schedule can beat neither the longest dependency chain nor the work divided by the slots,
// so the bound is the larger of the two, per node; nodes run in parallel, so the operation's
// bound is the slowest node's.

func ceilDiv(a, b int) int {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// pages is how many pages a list of n items takes with page cap p (an empty list is one page).
func pages(n, p int) int { return max(1, ceilDiv(n, p)) }

// listWork is the requests of listing n items and reading each one's detail.
func listWork(n, p int) int { return pages(n, p) + n }

// listChain is the longest chain: first page -> a later page -> a detail read.
func listChain(n, p int) int {
	c := 1
	if pages(n, p) > 1 {
		c++
	}
	if n > 0 {
		c++
	}
	return c
}

// listRounds bounds listing n items with detail on one node: max(chain, 1 + ⌈(W-1)/k⌉) with
// W = ⌈n/p⌉ + n.
func listRounds(n, p, k int) int {
	return max(listChain(n, p), 1+ceilDiv(listWork(n, p)-1, k))
}

// plainListRounds bounds listing n items without detail: 1 + ⌈(pages-1)/k⌉.
func plainListRounds(n, p, k int) int { return 1 + ceilDiv(pages(n, p)-1, k) }

// callsRounds is scenario 1: every node lists its calls and reads each one.
func callsRounds(perNode []int, p, k int) int {
	r := 0
	for _, n := range perNode {
		r = max(r, listRounds(n, p, k))
	}
	return r
}

// meetingNode is one node's share of a meeting, for the roster and presenter bounds.
type meetingNode struct {
	calls     int  // call instances on the node (the calls list the meeting is found in)
	legs      int  // legs listed for the meeting's instance: participants + distribution links
	parts     int  // participant legs hosted there (one PUT each in presenter mode)
	clears    int  // local participants whose importance must be unset
	presenter bool // hosts the presenter (verify its participant, then set importance)
}

// rosterRounds is scenario 2: find the meeting in the calls lists (its call ids come with the
// list; the call detail can overlap the roster), then list every instance's legs with detail.
func rosterRounds(ns []meetingNode, p, k int) int {
	find, legs := 0, 0
	for _, n := range ns {
		find = max(find, plainListRounds(n.calls, p, k))
		legs = max(legs, listRounds(n.legs, p, k))
	}
	return find + legs
}

// presenterWrites is the work presenter mode adds on one node once its call id is known: a PUT
// per participant leg, a read and a PUT of the call (mute-on-join's before and after), the
// node's own participants list, the importance unsets, and on the presenter's node a verifying
// read plus the importance PUT.
func presenterWrites(n meetingNode, p int) int {
	w := n.parts + 2 + pages(n.parts, p) + n.clears
	if n.presenter {
		w += 2
	}
	return w
}

// presenterFirstRound is how many of a node's presenter requests can start in the round after
// the meeting is found: the first page of its legs, the first page of its participants and the
// call's detail. Everything else needs one of their answers (page size and total, a leg's id,
// the call's "before"), as with a plain list, where only the first page starts alone.
const presenterFirstRound = 3

// presenterRounds is scenario 3. Per node, the work is the roster (pages and leg details) plus
// presenterWrites; after the find round only presenterFirstRound requests can run, the rest
// share k slots. The chain: a leg's PUT waits for its own detail (to skip distribution links and
// to report before → after), so find + list chain + 1. When the presenter is named so that only
// the whole roster can tell who it is (by name or id prefix: wholeRoster), every "on" PUT waits
// for the roster of every node: find + roster + ⌈parts/k⌉. An exact leg id, or "off", needs no
// such barrier.
func presenterRounds(ns []meetingNode, p, k int, wholeRoster bool) int {
	find, roster := 0, 0
	for _, n := range ns {
		find = max(find, plainListRounds(n.calls, p, k))
		roster = max(roster, listRounds(n.legs, p, k))
	}
	r := 0
	for _, n := range ns {
		all := listWork(n.legs, p) + presenterWrites(n, p)
		first := min(k, presenterFirstRound, all)
		work := find + 1 + ceilDiv(all-first, k)
		chain := find + listChain(n.legs, p) + 1
		if n.presenter {
			chain++ // its detail, the verifying read, then the importance PUT
		}
		if wholeRoster {
			chain = max(chain, find+roster+ceilDiv(n.parts, k))
		}
		r = max(r, work, chain)
	}
	return r
}
