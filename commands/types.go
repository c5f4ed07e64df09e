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
	Off         bool   // presenter off
	Filter      string // calls filter
	Topic       string // help topic
	Public      bool   // trailing "public": post the answer to the channel (the bot decides)
}

// Result is what an operation returns; one of the *Result types below.
type Result interface{ isResult() }

// AudioStats and VideoStats are CMS's media statistics, re-exported so renderers need not
// import cms.
type (
	AudioStats = cms.AudioStats
	VideoStats = cms.VideoStats
)

// MeetingSummary is one meeting across the cluster.
type MeetingSummary struct {
	Correlator   string
	Name         string
	Participants int
	Nodes        []string
	Duration     time.Duration
}

// NodeFailure names a node that could not be read or acted on, with a user-safe reason.
type NodeFailure struct {
	Node   string
	Reason string
}

// CallsResult is `calls [filter]`.
type CallsResult struct {
	Filter            string
	Meetings          []MeetingSummary
	TotalParticipants int
	Nodes             []string // every configured node
	Unreachable       []NodeFailure
	AsOf              time.Time
}

// ParticipantRow is one participant leg in a roster.
type ParticipantRow struct {
	LegID      string
	Node       string
	CallID     string
	Name       string
	Address    string
	Direction  string
	State      string
	AudioMuted bool // rxAudioMute: others do not hear them
	VideoMuted bool // rxVideoMute: others do not see them
	Layout     string
	Duration   time.Duration
}

// RosterResult is `call <meeting>`.
type RosterResult struct {
	Meeting      MeetingSummary
	Participants []ParticipantRow
	Unreachable  []NodeFailure
	AsOf         time.Time
}

// ParticipantResult is `participant <participant>`.
type ParticipantResult struct {
	Participant  ParticipantRow
	Meeting      MeetingSummary
	ChosenLayout string
	TxAudioMuted bool
	TxVideoMuted bool
	Encrypted    bool
	CipherSuite  string
	RxAudio      *AudioStats
	TxAudio      *AudioStats
	RxVideo      []VideoStats
	TxVideo      []VideoStats
	Alarms       []string
	AsOf         time.Time
}

// Change is one before → after of a state-changing operation.
type Change struct {
	Subject string // participant or meeting name
	Field   string // "audio", "video", "layout", "joinAudioMute", …
	Before  string
	After   string
}

// LegFailure names one leg an operation could not change, and why (user-safe).
type LegFailure struct {
	LegID  string
	Name   string
	Node   string
	Reason string
}

// ActionResult is any state-changing operation (add, presenter, layout, mute, unmute, disconnect).
type ActionResult struct {
	Op          Op
	Meeting     MeetingSummary // the meeting acted on, when known
	Participant string         // the participant acted on (name), when one
	LegID       string         // the leg acted on, or the new leg for add
	Node        string         // the node that hosted the action, when one
	Summary     string         // one line: "Muted audio of Alice (cb2)"
	Changes     []Change
	Updated     int          // legs changed
	Gone        []LegFailure // legs that left meanwhile: not an error of the command
	Failed      []LegFailure // legs that could not be changed
}

// NodeHealth is one node in `status`.
type NodeHealth struct {
	Node       string
	Reachable  bool
	Version    string
	Uptime     time.Duration
	ActiveLegs int
	Latency    time.Duration
	Error      string // user-safe
}

// StatusResult is `status`.
type StatusResult struct {
	Nodes []NodeHealth
	AsOf  time.Time
}

// HelpEntry is one command in help.
type HelpEntry struct {
	Name     string
	Usage    string
	Summary  string
	Operator bool // needs the operator role
}

// HelpResult is `help [command]`: only what the actor may run.
type HelpResult struct {
	Topic   string
	Entries []HelpEntry
	Role    Role
	Note    string // e.g. how to configure operators when none are
}

func (*CallsResult) isResult()       {}
func (*RosterResult) isResult()      {}
func (*ParticipantResult) isResult() {}
func (*ActionResult) isResult()      {}
func (*StatusResult) isResult()      {}
func (*HelpResult) isResult()        {}
