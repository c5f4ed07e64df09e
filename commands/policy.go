package commands

// Role is what an actor may do.
type Role int

const (
	RoleNone     Role = iota // may not use the bot here
	RoleViewer               // reads
	RoleOperator             // reads and changes calls
)

// Policy is who may do what, where (design.md: NFMM_OPERATORS, NFMM_VIEWERS, NFMM_CHANNELS).
// An entry "*" means everyone. Empty Viewers means everyone may look; empty Operators means
// nobody may change calls; empty Channels means every channel.
type Policy struct {
	Operators []string // user ids or user-group ids
	Viewers   []string
	Channels  []string
}
