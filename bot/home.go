package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// App Home: on app_home_opened NFMM publishes a dashboard (nodes, the largest meetings, active
// alerts, buttons for calls, status and report) with views.publish, and keeps it current from
// the live state for homeOpenFor after the user last opened it (Slack does not say when the
// tab closes), spending the live messages' update budget.

const (
	homeOpenFor     = 15 * time.Minute
	homeMinSpacing  = 5 * time.Second // a refresh reads every node's status
	homeMeetings    = 5
	homeAlertsShown = 10
)

// The Home tab's buttons run a command like actRun; action ids must differ within a block.
const (
	actRunCalls  = "nfmm_run_calls"
	actRunStatus = "nfmm_run_status"
	actRunReport = "nfmm_run_report"
)

type homeView struct {
	user, channel         string // channel: the user's DM with the app, where button answers go
	opened                time.Time
	dirtyAt, lastPublish  time.Time
	busyUntil             time.Time
	publishing, published bool
}

// onEventsAPI handles the Events API envelopes NFMM subscribes to (app_home_opened).
func (b *Bot) onEventsAPI(evt slackevents.EventsAPIEvent) {
	var ev *slackevents.AppHomeOpenedEvent
	switch d := evt.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		ev = d
	case slackevents.AppHomeOpenedEvent:
		ev = &d
	default:
		return
	}
	if ev.Tab != "home" || ev.User == "" {
		return
	}
	b.live.homeOpened(ev.User, ev.Channel, b.live.now())
}

func (lm *liveManager) homeOpened(user, channel string, now time.Time) {
	lm.mu.Lock()
	h := lm.homes[user]
	if h == nil {
		h = &homeView{user: user}
		lm.homes[user] = h
	}
	h.channel = cmp.Or(channel, h.channel)
	h.opened = now
	h.dirtyAt = now.Add(-time.Hour) // publish now, whatever the spacing
	h.lastPublish = time.Time{}
	lm.mu.Unlock()
	lm.poke()
}

// homeChannel is the DM channel of a user whose Home tab NFMM published ("" if unknown).
func (lm *liveManager) homeChannel(user string) string {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	if h := lm.homes[user]; h != nil {
		return h.channel
	}
	return ""
}

// stepHomes publishes the Home tabs that are due; it returns when to look again.
func (lm *liveManager) stepHomes(ctx context.Context, now time.Time) time.Time {
	lm.mu.Lock()
	var due []*homeView
	var next time.Time
	for u, h := range lm.homes {
		if now.Sub(h.opened) > homeOpenFor {
			delete(lm.homes, u)
			continue
		}
		if h.dirtyAt.IsZero() {
			continue
		}
		at := laterOf(laterOf(h.dirtyAt.Add(liveQuiet), h.lastPublish.Add(homeMinSpacing)), h.busyUntil)
		if at.After(now) {
			next = earliest(next, at)
			continue
		}
		due = append(due, h)
	}
	lm.mu.Unlock()
	for _, h := range due {
		if at := lm.publishHome(ctx, h); !at.IsZero() {
			next = earliest(next, at)
		}
	}
	return next
}

func (lm *liveManager) publishHome(ctx context.Context, h *homeView) time.Time {
	ok, at := lm.budget.take(lm.now())
	if !ok {
		return at
	}
	ctx, cancel := context.WithTimeout(ctx, liveOpTimeout)
	defer cancel()
	started := lm.now()
	a := commands.Actor{UserID: h.user}
	view := lm.b.homeView(ctx, a)
	_, err := lm.b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: h.user, View: view})
	lm.mu.Lock()
	defer lm.mu.Unlock()
	var rl *slack.RateLimitedError
	switch {
	case errors.As(err, &rl):
		until := lm.now().Add(max(rl.RetryAfter, time.Second))
		lm.budget.pause(until)
		return until
	case err != nil:
		lm.b.log.Warn("could not publish the App Home", "user", h.user, "err", redactURLs(err))
		h.busyUntil = lm.now().Add(liveRetry)
		return h.busyUntil
	}
	h.lastPublish, h.published = lm.now(), true
	if !h.dirtyAt.After(started) {
		h.dirtyAt = time.Time{}
	}
	return time.Time{}
}

// homeView renders the Home tab for a: what they may see, with the role of a.
func (b *Bot) homeView(ctx context.Context, a commands.Actor) slack.HomeTabViewRequest {
	now := b.cfg.Now()
	blocks := []slack.Block{header("NFMM · Cisco Meeting Server")}
	if b.svc.RoleOf(a) < commands.RoleViewer {
		blocks = append(blocks, textSection(escapeTrunc(commands.UserMessage(b.svc.Allowed(a, commands.OpCalls)), 2000)))
		return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
	}
	if res, err := b.svc.Execute(ctx, a, commands.Command{Op: commands.OpStatus, Cluster: commands.AllClusters}); err == nil {
		if st, ok := res.(*commands.StatusResult); ok {
			blocks = append(blocks, textSection("*Nodes*\n"+nodeLines(st.Nodes, 20, renderOpts{Now: now, Location: b.cfg.Location})))
		}
	} else {
		blocks = append(blocks, textSection("*Nodes*\n⚠️ "+escapeTrunc(commands.UserMessage(err), 500)))
	}
	if res, err := b.svc.Execute(ctx, a, commands.Command{Op: commands.OpCalls, Cluster: commands.AllClusters}); err == nil {
		if cr, ok := res.(*commands.CallsResult); ok {
			ms := slices.Clone(cr.Meetings)
			slices.SortStableFunc(ms, func(x, y commands.MeetingSummary) int { return cmp.Compare(y.Participants, x.Participants) })
			head := fmt.Sprintf("*Largest meetings* · %s · %s", plural(len(cr.Meetings), "meeting", "meetings"),
				plural(cr.TotalParticipants, "participant", "participants"))
			blocks = append(blocks, slack.NewDividerBlock(), textSection(head))
			if len(ms) == 0 {
				blocks = append(blocks, textSection("No active meetings."))
			}
			for _, m := range ms[:min(len(ms), homeMeetings)] {
				blocks = append(blocks, meetingSection(m))
			}
		}
	}
	if b.alerts != nil {
		act := b.alerts.Active()
		lines := make([]string, 0, homeAlertsShown+1)
		for _, al := range act[:min(len(act), homeAlertsShown)] {
			lines = append(lines, "🔴 "+escapeTrunc(al.Summary, 300))
		}
		if rest := len(act) - homeAlertsShown; rest > 0 {
			lines = append(lines, fmt.Sprintf("and %d more", rest))
		}
		if len(lines) == 0 {
			lines = append(lines, "✅ No active alerts.")
		}
		blocks = append(blocks, slack.NewDividerBlock(), textSection("*Active alerts*\n"+strings.Join(lines, "\n")))
	}
	buttons := slack.NewActionBlock("nfmm_home",
		button(actRunCalls, "Calls", "calls"), button(actRunStatus, "Status", "status"), button(actRunReport, "Report", "report"))
	if b.severalClusters() {
		stampBlock(buttons, commands.AllClusters, "") // the Home shows every cluster, and so do its buttons
	}
	blocks = append(blocks, buttons,
		slack.NewContextBlock("", md("as of "+clock(now, b.cfg.Location)+" · updates by itself while you look", maxContextText)))
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}

// nodeLines is one line per node: "✅ cb1 · 3.9.2 · up 3d · 55 legs · 12 ms", or the down
// node with its cause.
func nodeLines(ns []commands.NodeHealth, maxN int, o renderOpts) string {
	lines := make([]string, 0, min(len(ns), maxN)+1)
	for _, n := range ns[:min(len(ns), maxN)] {
		lines = append(lines, nodeLine(n, o))
	}
	if rest := len(ns) - maxN; rest > 0 {
		lines = append(lines, fmt.Sprintf("and %d more nodes", rest))
	}
	if len(lines) == 0 {
		return "No nodes are configured."
	}
	return strings.Join(lines, "\n")
}

func nodeLine(n commands.NodeHealth, o renderOpts) string {
	if !n.Reachable { // the node once, with the cause and since when
		return "❌ " + escapeTrunc(commands.NodeHealthDownText(n, o.Now, o.loc()), 400)
	}
	parts := []string{"✅ " + bold(commands.QualifiedNode(n.Cluster, n.Node), 100), escapeTrunc(cmp.Or(n.Version, "?"), 50),
		"up " + commands.FormatDuration(n.Uptime), plural(n.ActiveLegs, "leg", "legs"), latencyText(n.Latency)}
	return strings.Join(parts, " · ")
}

// latencyText never says "0 ms": a loopback answer is "<1 ms".
func latencyText(d time.Duration) string {
	if d < time.Millisecond {
		return "<1 ms"
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}
