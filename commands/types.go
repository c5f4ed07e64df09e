package commands

import (
	"time"

	"github.com/nfmm/nfmm/cms"
)

// Op names an operation of the grammar.
type Op string

const (
	OpHelp        Op = "help"
	OpCalls       Op = "calls"
	OpCall        Op = "call"
	OpParticipant Op = "participant"
	OpAdd         Op = "add"
	OpPresenter   Op = "presenter"
	OpLayout      Op = "layout"
	OpMute        Op = "mute"
	OpUnmute      Op = "unmute"
	OpDisconnect  Op = "disconnect"
	OpStatus      Op = "status"
	OpReport      Op = "report"
	OpSchedule    Op = "schedule"
)

// Media selects which stream mute/unmute acts on.
type Media string

const (
	MediaAudio Media = "audio"
	MediaVideo Media = "video"
	MediaBoth  Media = "both"
)

// Actor is who asks: a Slack user in a channel, or the local terminal.
type Actor struct {
	UserID    string   // Slack user id (U…/W…); "local" for the terminal
	ChannelID string   // Slack channel id; empty for the terminal
	Groups    []string // Slack user-group ids the user belongs to, when the bot knows them
	Local     bool     // the terminal: a local operator, no channel check
	// Cluster is the cluster of the message a click or dialog came from (its value carries
	// it); "" for a typed command, which names its own or takes the channel's.
	Cluster string
}

// Command is one parsed request. Buttons build Commands directly from the ids they carry.
type Command struct {
	Op          Op
	Meeting     string // meeting reference as typed, or a correlator/call id
	Participant string // call leg id or unique prefix (a name substring for presenter)
	Node        string // optional hint: the node hosting Participant (buttons know it)
	Layout      string // canonical CMS layout name after parsing
	URI         string // dial-out address
	Media       Media  // mute/unmute; default audio
	Off         bool   // presenter, record, stream, banner, importance: off
	Text        string // banner text
	Position    string // banner position top|middle|bottom; "" = BannerPosition
	Duration    string // banner seconds or "permanent"; "" = BannerDuration
	Importance  int    // importance value (Off clears it)
	Filter      string // calls filter; history: the meeting or participant
	When        string // history: today, yesterday, a date or a range, as typed
	Topic       string // help topic
	Public      bool   // trailing "public": post the answer to the channel (the bot decides)
	Cluster     string // a last word `@emea`: the cluster to act on; "all" for @all; "" = implied
}

// Result is what an operation returns; one of the *Result types below.
type Result interface{ isResult() }

// AudioStats and VideoStats are CMS's media statistics, re-exported so renderers need not
// import cms.
type (
	AudioStats = cms.AudioStats
	VideoStats = cms.VideoStats
	// Candidate is one match of an ambiguous reference (a meeting or a participant's leg).
	Candidate = cms.Candidate
)

// MeetingSummary is one meeting across the cluster.
type MeetingSummary struct {
	Cluster      string        `json:"cluster,omitempty"` // with several clusters
	Correlator   string        `json:"correlator"`
	Name         string        `json:"name"`
	Participants int           `json:"participants"`
	Nodes        []string      `json:"nodes"`
	Duration     time.Duration `json:"-"`
	State        MeetingState  `json:"state"`
	// PoorMedia counts the participants CMS raises a media alarm on (packet loss, jitter,
	// round-trip time); 0 also where the cluster could not say.
	PoorMedia int `json:"poor_media,omitempty"`
}

// NodeFailure names a node that could not be read or acted on, with a user-safe reason.
type NodeFailure struct {
	Cluster string `json:"cluster,omitempty"` // with several clusters
	Node    string `json:"node"`
	Reason  string `json:"reason"` // a sentence naming the node: "cb2 could not be reached (connection refused)."
	// Since is when the live state saw the node go down (zero when it does not know); the
	// renderers say "down since 14:02" (NodeDownText). Not in the JSON: its schema is fixed.
	Since time.Time `json:"-"`
}

// CallsResult is `calls [filter] [--node <node>]`.
type CallsResult struct {
	Cluster           string           `json:"cluster,omitempty"` // with several clusters; "all" for @all
	Filter            string           `json:"filter"`
	Node              string           `json:"node"` // --node: only meetings with an instance there; "" = all
	Meetings          []MeetingSummary `json:"meetings"`
	TotalParticipants int              `json:"total_participants"`
	Nodes             []string         `json:"nodes"` // every configured node
	Unreachable       []NodeFailure    `json:"unreachable"`
	AsOf              time.Time        `json:"as_of"`
}

// ParticipantRow is one participant leg in a roster.
type ParticipantRow struct {
	LegID      string        `json:"leg_id"`
	Node       string        `json:"node"`
	CallID     string        `json:"call_id"`
	Name       string        `json:"name"`
	Address    string        `json:"address"`
	Direction  string        `json:"direction"`
	State      string        `json:"state"`
	AudioMuted bool          `json:"audio_muted"` // rxAudioMute: others do not hear them
	VideoMuted bool          `json:"video_muted"` // rxVideoMute: others do not see them
	Layout     string        `json:"layout"`
	Duration   time.Duration `json:"-"`
	Presenting bool          `json:"presenting"` // sharing content (the call's presenterCallLeg)
	Lobby      bool          `json:"lobby"`      // waiting in the lobby
	// PoorMedia: CMS raises a media alarm on the leg (packet loss, jitter, round-trip time), or
	// a stream read with the roster is over the report's thresholds.
	PoorMedia bool `json:"poor_media"`
}

// RosterResult is `call <meeting>`.
type RosterResult struct {
	Cluster      string           `json:"cluster,omitempty"` // with several clusters
	Meeting      MeetingSummary   `json:"meeting"`
	Participants []ParticipantRow `json:"participants"`
	Unreachable  []NodeFailure    `json:"unreachable"`
	AsOf         time.Time        `json:"as_of"`
}

// ParticipantResult is `participant <participant>`.
type ParticipantResult struct {
	Cluster      string         `json:"cluster,omitempty"` // with several clusters
	Participant  ParticipantRow `json:"participant"`
	Meeting      MeetingSummary `json:"meeting"`
	ChosenLayout string         `json:"chosen_layout"`
	TxAudioMuted bool           `json:"tx_audio_muted"`
	TxVideoMuted bool           `json:"tx_video_muted"`
	Encrypted    bool           `json:"encrypted"`
	CipherSuite  string         `json:"cipher_suite"`
	RxAudio      *AudioStats    `json:"-"`
	TxAudio      *AudioStats    `json:"-"`
	RxVideo      []VideoStats   `json:"-"`
	TxVideo      []VideoStats   `json:"-"`
	Alarms       []string       `json:"alarms"`
	AsOf         time.Time      `json:"as_of"`
}

// Change is one before → after of a state-changing operation.
type Change struct {
	Subject string `json:"subject"` // participant or meeting name
	Field   string `json:"field"`   // "audio", "video", "layout", "joinAudioMute", …
	Before  string `json:"before"`
	After   string `json:"after"`
}

// LegFailure names one leg an operation could not change, and why (user-safe).
type LegFailure struct {
	LegID  string `json:"leg_id"`
	Name   string `json:"name"`
	Node   string `json:"node"`
	Reason string `json:"reason"`
}

// ActionResult is any state-changing operation (add, presenter, layout, mute, unmute, disconnect).
type ActionResult struct {
	Cluster     string         `json:"cluster,omitempty"` // with several clusters
	Op          Op             `json:"op"`
	Meeting     MeetingSummary `json:"meeting"`     // the meeting acted on, when known
	Participant string         `json:"participant"` // the participant acted on (name), when one
	LegID       string         `json:"leg_id"`      // the leg acted on, or the new leg for add
	Node        string         `json:"node"`        // the node that hosted the action, when one
	Summary     string         `json:"summary"`     // one line: "Muted audio of Alice (cb2)"
	Changes     []Change       `json:"changes"`
	Updated     int            `json:"updated"` // legs changed
	Gone        []LegFailure   `json:"gone"`    // legs that left meanwhile: not an error of the command
	Failed      []LegFailure   `json:"failed"`  // legs that could not be changed
}

// NodeHealth is one node in `status`.
type NodeHealth struct {
	Cluster    string        `json:"cluster,omitempty"` // with several clusters
	Node       string        `json:"node"`
	Reachable  bool          `json:"reachable"`
	Version    string        `json:"version"`
	Uptime     time.Duration `json:"-"`
	ActiveLegs int           `json:"active_legs"`
	Latency    time.Duration `json:"-"`
	Error      string        `json:"error"` // user-safe
	// Live is where the node's live state comes from (live: Events API, polled: REST, down,
	// connecting), and LiveSince since when; empty without live state (nfmm exec).
	Live      string     `json:"live,omitempty"`
	LiveSince *time.Time `json:"live_since,omitempty"`
	// CDR is NFMM's CDR receiver on this node; nil when history is off (no NFMM_CDR_URL).
	CDR *CDRHealth `json:"cdr,omitempty"`
}

// StatusResult is `status`.
type StatusResult struct {
	Cluster string       `json:"cluster,omitempty"` // with several clusters; "all" for @all
	Nodes   []NodeHealth `json:"nodes"`
	AsOf    time.Time    `json:"as_of"`
}

// HelpEntry is one command in help.
type HelpEntry struct {
	Name     string `json:"name"`
	Usage    string `json:"usage"`
	Summary  string `json:"summary"`
	Operator bool   `json:"operator"` // needs the operator role
	Group    string `json:"-"`        // what it is for: one of the Group* ids, in HelpGroups order
}

// HelpResult is `help [command]`: only what the actor may run.
type HelpResult struct {
	Topic   string      `json:"topic"`
	Entries []HelpEntry `json:"entries"`
	Role    Role        `json:"role"`
	Note    string      `json:"note"` // e.g. how to configure operators when none are
	// Examples come first in help (without a topic): worked commands the actor may run.
	Examples []HelpExample `json:"-"`
}

// ScheduleEntry is one configured report schedule with its next run.
type ScheduleEntry struct {
	Spec    string     `json:"spec"`              // cron spec as configured, CRON_TZ= prefix included
	Channel string     `json:"channel"`           // channel id or #name
	Cluster string     `json:"cluster,omitempty"` // the entry's @cluster (or "all"); absent: the channel's
	Next    *time.Time `json:"next"`              // null when the spec never fires again
}

// ScheduleResult is `schedule`: the report schedules of this NFMM instance.
type ScheduleResult struct {
	Entries []ScheduleEntry `json:"entries"`
	Quiet   bool            `json:"quiet"` // NFMM_REPORT_QUIET: nothing is posted when there are no calls
	Off     bool            `json:"off"`   // NFMM_REPORTS=off: this instance posts none
	AsOf    time.Time       `json:"as_of"`
}

func (*CallsResult) isResult()       {}
func (*ScheduleResult) isResult()    {}
func (*RosterResult) isResult()      {}
func (*ParticipantResult) isResult() {}
func (*ActionResult) isResult()      {}
func (*StatusResult) isResult()      {}
func (*HelpResult) isResult()        {}
