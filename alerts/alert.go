package alerts

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Kind is what an alert is about; it is the routing key of NFMM_ALERT_ROUTES.
type Kind string

// The alert kinds, one per source condition.
const (
	KindNodeDown  Kind = "node_down"  // a node unreachable or rejecting NFMM's credentials
	KindAlarm     Kind = "alarm"      // an active CMS alarm (/system/alarms)
	KindLicensing Kind = "licensing"  // a licence expired or expiring soon
	KindPoorMedia Kind = "poor_media" // a participant's media over the report's thresholds
	KindCapacity  Kind = "capacity"   // a meeting too large, or a node carrying too many legs
	KindRecording Kind = "recording"  // recording stopped while its meeting goes on
	KindPresenter Kind = "presenter"  // presenter mode left on after the presenter left
	// KindCDRReceivers is a node whose CDR receiver list is full of other tools' receivers, so
	// NFMM's cannot be added and its history misses that node (cms-cdr.md §2.2).
	KindCDRReceivers Kind = "cdr_receivers"
)

// Kinds lists every kind, in the order help and errors show them.
var Kinds = []Kind{KindNodeDown, KindAlarm, KindLicensing, KindPoorMedia, KindCapacity, KindRecording, KindPresenter, KindCDRReceivers}

// ParseKind accepts a kind name in any case.
func ParseKind(s string) (Kind, bool) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	return k, slices.Contains(Kinds, k)
}

// DefaultCluster names the only cluster until NFMM manages several.
const DefaultCluster = "default"

// Key identifies an alert: the same condition on the same object always has the same key, so
// it keeps one alert and one Slack message however often it is observed.
type Key struct {
	Kind    Kind
	Cluster string
	Node    string // "" for cluster-wide conditions
	Object  string // alarm type, leg id, meeting correlator, licence feature; "" for the node itself
}

// Fingerprint is the key's stable short hash: what buttons carry and the store indexes.
func (k Key) Fingerprint() string {
	h := sha256.Sum256([]byte(string(k.Kind) + "\x00" + k.Cluster + "\x00" + k.Node + "\x00" + k.Object))
	return hex.EncodeToString(h[:8])
}

// Target is what an alert's Details button opens.
type Target struct {
	Node  string // node status when Leg is empty
	Leg   string // participant details of this call leg
	Label string // the participant's or node's name, for the button's text
}

// Observation is a condition a source sees now.
type Observation struct {
	Key Key
	// Summary is the alert's headline. Keep live numbers out of it (they go in Lines): a new
	// summary updates the Slack message.
	Summary string
	Lines   []string // details shown under the headline, refreshed with every other change
	// For is how long the condition must hold before the alert fires (0: at once).
	For time.Duration
	// Since is when the condition started, when the source knows (an alarm's active time);
	// zero means when it was first observed.
	Since  time.Time
	Target Target
}

// State is an alert's place in its life.
type State string

const (
	StatePending  State = "pending"  // observed, waiting out its For
	StateFiring   State = "firing"   // notified
	StateResolved State = "resolved" // the condition is gone; kept a while to catch flaps
)

// Alert is one alert with everything the store keeps about it.
type Alert struct {
	Key         Key
	Fingerprint string
	Source      string // the source that observes it
	Summary     string
	Lines       []string
	Target      Target
	State       State

	Since      time.Time // when the condition started (this episode, flaps included)
	FiredAt    time.Time // when this episode fired
	ResolvedAt time.Time
	LastSeen   time.Time
	For        time.Duration // how long the condition must hold before firing
	// Onsets are the recent times the condition appeared, for flap detection.
	Onsets   []time.Time
	Flapping bool
	// Absent marks a flapping alert whose condition is gone but not yet for FlapWindow.
	Absent bool

	// The top-level Slack message; empty until posted (or when no channel takes the kind).
	Channel string
	TS      string

	AckedBy       string
	AckedAt       time.Time
	SilencedBy    string
	SilencedUntil time.Time // zero with SilenceUntilResolved, or when not silenced
	// SilenceUntilResolved holds the silence until this episode resolves.
	SilenceUntilResolved bool
	LastRepeat           time.Time

	// Outbox holds the notifications not yet delivered, oldest first: it is stored with the
	// alert, so a restart or a Slack outage loses none of them.
	Outbox      []Delivery
	NextAttempt time.Time // earliest retry after a failed delivery
	Attempts    int       // consecutive failed deliveries
}

// Active reports whether the alert is firing (pending alerts have not been announced).
func (a Alert) Active() bool { return a.State == StateFiring }

// Silenced reports whether a silence holds at now.
func (a Alert) Silenced(now time.Time) bool {
	return a.SilenceUntilResolved || now.Before(a.SilencedUntil)
}

// Duration is how long the condition lasted (until now when still firing).
func (a Alert) Duration(now time.Time) time.Duration {
	if a.State == StateResolved && !a.ResolvedAt.IsZero() {
		return a.ResolvedAt.Sub(a.Since)
	}
	return now.Sub(a.Since)
}

// DeliveryKind is what a delivery does in Slack.
type DeliveryKind string

const (
	DeliverPost   DeliveryKind = "post"   // the top-level message
	DeliverUpdate DeliveryKind = "update" // redraw the top-level message from the alert's state
	DeliverReply  DeliveryKind = "reply"  // a short line in the message's thread
)

// Event is what a thread reply says.
type Event string

const (
	EventResolved Event = "resolved" // the condition is gone, after Dur
	EventRepeat   Event = "repeat"   // still going after Dur
	EventAgain    Event = "again"    // back soon after it resolved (same message)
	EventFlapping Event = "flapping" // Count onsets within Window
	EventAcked    Event = "acked"    // by Actor
	EventSilenced Event = "silenced" // by Actor, for Dur (0: until resolved)
)

// Delivery is one queued notification.
type Delivery struct {
	Kind   DeliveryKind
	Event  Event // for replies
	Actor  string
	Dur    time.Duration
	Count  int
	Window time.Duration

	// ID tags the Slack message of a post or reply (its metadata), so a message whose answer
	// was lost is found, not sent twice. Set before the first attempt.
	ID string `json:",omitempty"`
	// Sent is when the first attempt started: where Find starts looking.
	Sent time.Time `json:",omitzero"`
	// MaybeSent: an attempt may have reached Slack without an answer (a timeout, a connection
	// lost, a crash during the send), so the next attempt first looks for it.
	MaybeSent bool `json:",omitempty"`
}

func (a *Alert) clone() Alert {
	c := *a
	c.Lines = slices.Clone(a.Lines)
	c.Onsets = slices.Clone(a.Onsets)
	c.Outbox = slices.Clone(a.Outbox)
	return c
}
