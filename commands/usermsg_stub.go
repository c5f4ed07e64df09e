package commands

// CONTRACT STUB: the commands owner replaces this with the real mapping (errors.go).

// UserMessage returns the user-safe text of any error.
func UserMessage(err error) string {
	if err == nil {
		return ""
	}
	return "Something went wrong; see the NFMM log."
}
