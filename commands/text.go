package commands

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// FormatText writes a result as terminal text: aligned tables, short durations (1h04m),
// ✓/✗ for mute state. It is the readable counterpart of MarshalResult.
func FormatText(w io.Writer, r Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if wr, ok := r.(*WatchResult); ok {
		r = wr.Snapshot
	}
	switch r := r.(type) {
	case *CallsResult:
		textCalls(tw, r)
	case *RosterResult:
		textRoster(tw, r)
	case *ParticipantResult:
		textParticipant(tw, r)
	case *ActionResult:
		textAction(tw, r)
	case *StatusResult:
		textStatus(tw, r.Nodes)
		textStatusCluster(tw, r)
	case *ReportResult:
		textReport(tw, r)
	case *HelpResult:
		textHelp(tw, r)
	case *ScheduleResult:
		textSchedule(tw, r)
	case *FindResult:
		textFind(tw, r)
	case *HistoryResult:
		textHistory(tw, r)
	case *AlertsResult:
		textAlerts(tw, r)
	case *AuditResult:
		textAudit(tw, r)
	default:
		return fmt.Errorf("commands: no text form for %T", r)
	}
	return tw.Flush()
}

// FormatDuration is a short human duration: 45s, 12m, 1h04m, 3d02h.
func FormatDuration(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// cell keeps untrusted names from breaking the table: tabs/newlines become spaces, long
// names are cut.
func cell(s string) string {
	s = oneLine(s)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:39]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
}

func mark(muted bool) string {
	if muted {
		return "✗ muted"
	}
	return "✓"
}

func textUnreachable(w io.Writer, fs []NodeFailure) {
	for _, f := range fs {
		fmt.Fprintf(w, "! %s\n", NodeDownText(f, time.Now(), nil))
	}
}

func textCalls(w io.Writer, r *CallsResult) {
	several := r.Cluster == AllClusters
	if len(r.Meetings) == 0 {
		fmt.Fprintln(w, "No active meetings"+ifFilter(r.Filter, r.Node)+onCluster(r.Cluster)+".")
	} else {
		fmt.Fprintln(w, clusterHead(several)+"MEETING\tPARTICIPANTS\tNODES\tDURATION\tID\tSTATE")
		for _, m := range r.Meetings {
			fmt.Fprintf(w, "%s%s\t%d\t%s\t%s\t%s\t%s\n", clusterCell(several, m.Cluster), cell(m.Name), m.Participants, strings.Join(m.Nodes, ","),
				FormatDuration(m.Duration), shortID(m.Correlator), orDash(oneLine(StateMarks(m.State))))
		}
		fmt.Fprintf(w, "\n%s, %s%s%s\n", plural(len(r.Meetings), "meeting"), plural(r.TotalParticipants, "participant"), ifFilter(r.Filter, r.Node), onCluster(r.Cluster))
	}
	textUnreachable(w, r.Unreachable)
}

// QualifiedNode is cluster/node with several clusters (cluster is "" with one), else node.
func QualifiedNode(cluster, node string) string {
	if cluster == "" {
		return node
	}
	return cluster + "/" + node
}

// qualifiedAll is qualified for each node, joined by commas.
func qualifiedAll(cluster string, nodes []string) string {
	q := make([]string, len(nodes))
	for i, n := range nodes {
		q[i] = QualifiedNode(cluster, n)
	}
	return strings.Join(q, ",")
}

// onCluster is " on cluster emea" (" on every cluster" for @all), or "" with one cluster.
func onCluster(c string) string {
	switch c {
	case "":
		return ""
	case AllClusters:
		return " on every cluster"
	}
	return " on cluster " + c
}

// clusterHead and clusterCell are the CLUSTER column of a table, with several clusters.
func clusterHead(on bool) string {
	if !on {
		return ""
	}
	return "CLUSTER\t"
}

func clusterCell(on bool, c string) string {
	if !on {
		return ""
	}
	return c + "\t"
}

func ifFilter(f, node string) string {
	s := ""
	if f != "" {
		s = fmt.Sprintf(" matching %q", f)
	}
	if node != "" {
		s += " on " + node
	}
	return s
}

func textRoster(w io.Writer, r *RosterResult) {
	m := r.Meeting
	fmt.Fprintf(w, "%s  (%s; %d participants on %s%s; %s)\n", cell(m.Name), m.Correlator, len(r.Participants),
		strings.Join(m.Nodes, ","), onCluster(r.Cluster), FormatDuration(m.Duration))
	if marks := StateMarks(m.State); marks != "" {
		fmt.Fprintln(w, oneLine(marks))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "NAME\tADDRESS\tNODE\tAUDIO\tVIDEO\tLAYOUT\tDURATION\tLEG")
	for _, p := range r.Participants {
		name := p.Name
		switch {
		case p.Presenting:
			name += " (presenting)"
		case p.Lobby:
			name += " (lobby)"
		}
		if p.PoorMedia {
			name += " (poor media)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(name), cell(p.Address), p.Node,
			mark(p.AudioMuted), mark(p.VideoMuted), cell(p.Layout), FormatDuration(p.Duration), shortID(p.LegID))
	}
	textUnreachable(w, r.Unreachable)
}

func textParticipant(w io.Writer, r *ParticipantResult) {
	p := r.Participant
	enc := "no"
	if r.Encrypted {
		enc = "yes " + r.CipherSuite
	}
	rows := [][2]string{
		{"Name", cell(p.Name)}, {"Address", cell(p.Address)}, {"Meeting", cell(r.Meeting.Name)},
		{"Node", p.Node}, {"Leg", p.LegID}, {"Direction", cell(p.Direction)}, {"State", cell(p.State)},
		{"Duration", FormatDuration(p.Duration)}, {"Encrypted", enc},
		{"Layout", cell(p.Layout) + " (chosen: " + orDefault(r.ChosenLayout) + ")"},
		{"Heard by others", mark(p.AudioMuted)}, {"Seen by others", mark(p.VideoMuted)},
		{"Hears the meeting", mark(r.TxAudioMuted)}, {"Sees the meeting", mark(r.TxVideoMuted)},
	}
	if len(r.Alarms) > 0 {
		rows = append(rows, [2]string{"Alarms", strings.Join(r.Alarms, ", ")})
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%s:\t%s\n", row[0], row[1])
	}
	fmt.Fprintln(w, "\nSTREAM\tCODEC\tBITRATE\tLOSS\tJITTER\tRTT\tRESOLUTION")
	audio := func(name string, a *AudioStats) {
		if a != nil {
			fmt.Fprintf(w, "%s\t%s\t%d kbit/s\t%.1f%%\t%d ms\t%s\t-\n", name, cell(a.Codec), a.BitRate/1000,
				a.PacketLossPercentage, a.Jitter, roundTrip(name, a.RoundTripTime))
		}
	}
	video := func(name string, vs []VideoStats) {
		for _, v := range vs {
			fmt.Fprintf(w, "%s %s\t%s\t%d kbit/s\t%.1f%%\t%d ms\t%s\t%dx%d@%.0f\n", name, cell(v.Role), cell(v.Codec),
				v.BitRate/1000, v.PacketLossPercentage, v.Jitter, roundTrip(name, v.RoundTripTime), v.Width, v.Height, v.FrameRate)
		}
	}
	audio("rx audio", r.RxAudio)
	audio("tx audio", r.TxAudio)
	video("rx video", r.RxVideo)
	video("tx video", r.TxVideo)
}

func textAction(w io.Writer, r *ActionResult) {
	fmt.Fprintln(w, r.Summary)
	if r.Op == OpAdd && r.LegID != "" {
		fmt.Fprintf(w, "New leg: %s\n", r.LegID)
	}
	if len(r.Changes) > 0 {
		fmt.Fprintln(w, "\nWHO\tWHAT\tBEFORE\t\tAFTER")
		for _, c := range r.Changes {
			fmt.Fprintf(w, "%s\t%s\t%s\t→\t%s\n", cell(c.Subject), c.Field, cell(c.Before), cell(c.After))
		}
	}
	for _, g := range r.Gone {
		fmt.Fprintf(w, "- %s (%s): %s\n", cell(g.Name), where(g), g.Reason)
	}
	for _, f := range r.Failed {
		fmt.Fprintf(w, "✗ %s (%s): %s\n", cell(f.Name), where(f), f.Reason)
	}
}

// where is a failure's leg and node, or its node alone for a node-wide failure.
func where(f LegFailure) string {
	if f.LegID == "" {
		return f.Node
	}
	return shortID(f.LegID) + ", " + f.Node
}

// textStatusCluster names the cluster a status answer is about, with several clusters (two
// may both have a cb1); with one cluster it prints nothing, so that output stays as it was.
func textStatusCluster(w io.Writer, r *StatusResult) {
	if r.Cluster == "" {
		return
	}
	up := 0
	for _, n := range r.Nodes {
		if n.Reachable {
			up++
		}
	}
	fmt.Fprintf(w, "\n%d of %d nodes reachable%s\n", up, len(r.Nodes), onCluster(r.Cluster))
}

func textStatus(w io.Writer, nodes []NodeHealth) {
	live := ""
	if len(nodes) > 0 && nodes[0].Live != "" {
		live = "\tUPDATES"
	}
	several := len(nodes) > 0 && nodes[0].Cluster != ""
	fmt.Fprintln(w, clusterHead(several)+"NODE\tREACHABLE\tVERSION\tUPTIME\tLEGS\tLATENCY"+live)
	for _, n := range nodes {
		if !n.Reachable {
			fmt.Fprintf(w, "%s%s\t✗ %s\t-\t-\t-\t-%s\n", clusterCell(several, n.Cluster), n.Node, n.Error, liveCell(n, live != ""))
			continue
		}
		fmt.Fprintf(w, "%s%s\t✓\t%s\t%s\t%d\t%d ms%s\n", clusterCell(several, n.Cluster), n.Node, cell(n.Version), FormatDuration(n.Uptime),
			n.ActiveLegs, n.Latency.Milliseconds(), liveCell(n, live != ""))
	}
	for _, n := range nodes {
		if c := CDRText(n); c != "" {
			fmt.Fprintf(w, "CDR receiver on %s: %s\n", QualifiedNode(n.Cluster, n.Node), c)
		}
	}
}

// LiveText says where a node's live state comes from: "live since 14:02:07" (Events API),
// "polled since …", "down since …"; "" without live state.
func LiveText(n NodeHealth) string {
	if n.Live == "" {
		return ""
	}
	if n.LiveSince == nil {
		return n.Live
	}
	return n.Live + " since " + n.LiveSince.Local().Format(time.TimeOnly)
}

func liveCell(n NodeHealth, on bool) string {
	if !on {
		return ""
	}
	return "\t" + LiveText(n)
}

func textReport(w io.Writer, r *ReportResult) {
	fmt.Fprintf(w, "%s, %s%s\n\n", plural(r.Meetings, "meeting"), plural(r.Participants, "participant"), onCluster(r.Cluster))
	textStatus(w, r.Nodes)
	if len(r.Largest) > 0 {
		fmt.Fprintln(w, "\nLARGEST MEETINGS\tPARTICIPANTS\tNODES\tDURATION\tSTATE")
		for _, m := range r.Largest {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\n", cell(m.Name), m.Participants, qualifiedAll(m.Cluster, m.Nodes), FormatDuration(m.Duration),
				orDash(oneLine(StateMarks(m.State))))
		}
	}
	ps := r.PoorParticipants()
	fmt.Fprintf(w, "\nPoor media (loss > %.0f%% or jitter > %d ms): %s\n", PoorLossPercent, PoorJitterMs, plural(len(ps), "participant"))
	if len(ps) > 0 {
		fmt.Fprintln(w, "PARTICIPANT\tMEETING\tNODE\tWORST STREAM\tLOSS\tJITTER\tPOOR STREAMS\tLEG")
	}
	for _, p := range ps {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%.1f%%\t%d ms\t%d\t%s\n", cell(p.Worst.Participant), cell(p.Worst.Meeting), QualifiedNode(p.Worst.Cluster, p.Worst.Node),
			p.Worst.Stream, p.Worst.LossPercent, p.Worst.JitterMs, p.Streams, shortID(p.Worst.LegID))
	}
	switch {
	case len(r.MediaUnchecked) > 0 || r.RostersSkipped > 0:
		fmt.Fprintf(w, "(media checked in %d of %d meetings)\n", r.RostersRead, r.RostersRead+r.RostersSkipped)
		for _, f := range r.MediaUnchecked {
			fmt.Fprintf(w, "! media not checked: %s\n", NodeDownText(f, time.Now(), nil))
		}
	default:
		fmt.Fprintf(w, "(media checked in all %s)\n", plural(r.RostersRead, "meeting"))
	}
	textUnreachable(w, r.Unreachable)
}

func textSchedule(w io.Writer, r *ScheduleResult) {
	switch {
	case r.Off:
		fmt.Fprintln(w, "Scheduled reports are off on this instance (NFMM_REPORTS=off).")
		return
	case len(r.Entries) == 0:
		fmt.Fprintln(w, "No reports are scheduled (NFMM_REPORT_SCHEDULE).")
		return
	}
	fmt.Fprintln(w, "SCHEDULE\tCHANNEL\tNEXT RUN")
	for _, e := range r.Entries {
		next := "never"
		if e.Next != nil {
			next = e.Next.Format("Mon 2 Jan 15:04 MST")
		}
		channel := e.Channel
		if e.Cluster != "" {
			channel += " @" + e.Cluster
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", cell(e.Spec), cell(channel), next)
	}
	if r.Quiet {
		fmt.Fprintln(w, "\nQuiet: nothing is posted when there are no calls.")
	}
}

// textHelp is examples first, then the commands by group. Command lines start at the margin
// (scripts grep them); examples are indented.
func textHelp(w io.Writer, r *HelpResult) {
	if who := RoleSentence(r.Role); who != "" && r.Topic == "" {
		fmt.Fprintf(w, "%s\n\n", who)
	}
	if len(r.Examples) > 0 {
		fmt.Fprintln(w, "EXAMPLES")
		for _, e := range r.Examples {
			fmt.Fprintf(w, "  %s\t%s\n", e.Text, e.What)
		}
		fmt.Fprintln(w)
	}
	for i, g := range HelpEntriesByGroup(r.Entries) {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if g.Title != "" {
			title := strings.ToUpper(g.Title)
			if g.For != "" {
				title += ": " + g.For
			}
			fmt.Fprintln(w, title)
		}
		for _, e := range g.Entries {
			fmt.Fprintf(w, "%s\t%s\n", e.Usage, e.Summary)
		}
	}
	if r.Note != "" {
		fmt.Fprintf(w, "\n%s\n", r.Note)
	}
}

// roundTrip formats a stream's round-trip time; CMS measures it only on the streams it sends (tx).
func roundTrip(stream string, ms int) string {
	if !strings.HasPrefix(stream, "tx") {
		return "-"
	}
	return fmt.Sprintf("%d ms", ms)
}

// plural formats a count with its noun: "1 meeting", "2 meetings".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
