package commands

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// historyTime is how history shows a time: the date only when it is not the day asked about.
func historyTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

func textHistory(w io.Writer, r *HistoryResult) {
	loc := r.AsOf.Location()
	span := r.From.In(loc).Format(time.DateOnly)
	if last := r.To.Add(-time.Nanosecond).In(loc).Format(time.DateOnly); last != span {
		span += ".." + last
	}
	if len(r.Meetings) == 0 {
		fmt.Fprintf(w, "No meeting ended %s%s.\n", span, historyAbout(r))
		return
	}
	if r.Detail {
		m := r.Meetings[0]
		fmt.Fprintf(w, "%s  (%s; %s on %s; %s to %s; peak %d)\n\n", cell(m.Name), m.ID, FormatDuration(m.Duration),
			strings.Join(m.Nodes, ","), historyTime(m.StartedAt, loc), historyTime(m.EndedAt, loc), m.Peak)
		textHistoryLegs(w, m.Participants, loc)
		for _, rec := range m.Recordings {
			fmt.Fprintf(w, "\n%s %s, %s to %s", rec.Kind, cell(rec.Target), historyTime(rec.StartedAt, loc), historyTime(rec.EndedAt, loc))
		}
		if len(m.Recordings) > 0 {
			fmt.Fprintln(w)
		}
		return
	}
	fmt.Fprintln(w, "MEETING\tENDED\tDURATION\tPEAK\tNODES\tPARTICIPANTS\tID")
	for _, m := range r.Meetings {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", cell(m.Name), historyTime(m.EndedAt, loc), FormatDuration(m.Duration),
			m.Peak, strings.Join(m.Nodes, ","), cell(historyPeople(m, r.Search == "participant", loc)), shortID(m.ID))
	}
	more := ""
	if r.More > 0 {
		more = fmt.Sprintf(" (and %d more: narrow the range)", r.More)
	}
	fmt.Fprintf(w, "\n%d meetings ended %s%s%s\n", len(r.Meetings), span, historyAbout(r), more)
}

func historyAbout(r *HistoryResult) string {
	switch {
	case r.Query == "":
		return onCluster(r.Cluster)
	case r.Search == "participant":
		return fmt.Sprintf(" with %q", r.Query) + onCluster(r.Cluster)
	}
	return fmt.Sprintf(" matching %q", r.Query) + onCluster(r.Cluster)
}

// historyPeople lists who took part; a participant search lists the matched legs first.
func historyPeople(m HistoryMeeting, matchedFirst bool, loc *time.Location) string {
	people := m.People()
	if matchedFirst {
		var hit []string
		for _, p := range m.Participants {
			if p.Matched {
				hit = append(hit, fmt.Sprintf("%s %s–%s", p.Name, p.JoinedAt.In(loc).Format("15:04"), p.LeftAt.In(loc).Format("15:04")))
			}
		}
		return strings.Join(hit, "; ")
	}
	return strings.Join(people, ", ")
}

func textHistoryLegs(w io.Writer, legs []HistoryLeg, loc *time.Location) {
	fmt.Fprintln(w, "NAME\tADDRESS\tNODE\tJOINED\tLEFT\tDURATION\tLOBBY\tREASON\tQUALITY\tLOSS\tJITTER")
	for _, p := range legs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(p.Name), cell(p.Address), p.Node,
			historyTime(p.JoinedAt, loc), historyTime(p.LeftAt, loc), FormatDuration(p.Duration), lobby(p.Lobby),
			cell(p.Reason), p.Quality, alarmPct(p.PacketLossPct), alarmPct(p.JitterPct))
	}
}

func lobby(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return FormatDuration(d)
}

func alarmPct(p float64) string {
	if p == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", p)
}

// MarshalJSON adds duration_seconds.
func (m HistoryMeeting) MarshalJSON() ([]byte, error) {
	type plain HistoryMeeting
	return json.Marshal(struct {
		plain
		DurationSeconds int64 `json:"duration_seconds"`
	}{plain(m), secs(m.Duration)})
}

// MarshalJSON adds duration_seconds and lobby_seconds.
func (p HistoryLeg) MarshalJSON() ([]byte, error) {
	type plain HistoryLeg
	return json.Marshal(struct {
		plain
		DurationSeconds int64 `json:"duration_seconds"`
		LobbySeconds    int64 `json:"lobby_seconds"`
	}{plain(p), secs(p.Duration), secs(p.Lobby)})
}
