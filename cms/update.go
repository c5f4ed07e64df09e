package cms

// Param is one PUT parameter with CMS's three meanings: the zero value leaves the value
// unchanged (the parameter is omitted), [Set] sends a new value, [Unset] sends an empty value,
// which CMS documents as "unset".
type Param[T any] struct {
	state paramState
	value T
}

type paramState uint8

const (
	paramKeep paramState = iota
	paramSet
	paramUnset
)

// Set returns a parameter that changes the value to v.
func Set[T any](v T) Param[T] { return Param[T]{state: paramSet, value: v} }

// Unset returns a parameter that clears the value (sent as an empty form value).
func Unset[T any]() Param[T] { return Param[T]{state: paramUnset} }

// IsKeep reports whether the parameter is omitted from the request.
func (p Param[T]) IsKeep() bool { return p.state == paramKeep }

// IsUnset reports whether the parameter clears the value.
func (p Param[T]) IsUnset() bool { return p.state == paramUnset }

// Value returns the new value and whether one is set.
func (p Param[T]) Value() (T, bool) { return p.value, p.state == paramSet }

// LegUpdate is PUT /callLegs/<id>.
type LegUpdate struct {
	RxAudioMute  Param[bool]
	TxAudioMute  Param[bool]
	RxVideoMute  Param[bool]
	TxVideoMute  Param[bool]
	ChosenLayout Param[string]
}

// ParticipantUpdate is PUT /participants/<id>.
type ParticipantUpdate struct {
	Importance Param[int]
	// Deactivated false admits the participant from the lobby (2.9).
	Deactivated Param[bool]
}

// CallUpdate is PUT /calls/<id>; it applies to one call instance (one node).
type CallUpdate struct {
	JoinAudioMuteOverride Param[bool]
	Locked                Param[bool]
	Recording             Param[bool]
	Streaming             Param[bool]
	// The banner: MessagePosition top | middle | bottom, MessageDuration seconds or
	// "permanent"; a zero duration hides it.
	MessageText     Param[string]
	MessagePosition Param[string]
	MessageDuration Param[string]
}
