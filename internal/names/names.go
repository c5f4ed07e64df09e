// Package names holds the one rule for what a CMS node name or cluster name may be. The
// configuration, the command grammar, the button values the bot decodes and the CMS layer all
// ask it, so a name the configuration accepts is never refused later, and a name a button
// carries can never be something the configuration would not have accepted.
package names

import "strings"

// MaxLen bounds a node or cluster name. Names are echoed in messages, carried in button values
// and block ids (Slack caps those at 255 characters) and become parts of variable names.
const MaxLen = 32

// All is the reserved cluster name `@all`: every cluster at once. No cluster may be called it.
const All = "all"

// Valid reports whether s is a valid node or cluster name: 1 to MaxLen ASCII letters, digits,
// '.', '_' or '-'. None of these is a separator NFMM uses in button values ('|', '~', '@', ' ').
func Valid(s string) bool {
	if len(s) == 0 || len(s) > MaxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// Rule is the rule in words, for error messages.
const Rule = "1-32 letters, digits, '.', '_' or '-'"

// ValidCluster is Valid, minus the reserved name all (in any case).
func ValidCluster(s string) bool { return Valid(s) && !strings.EqualFold(s, All) }

// EnvKey is the NAME in CMS_<NAME>_…: upper case, '-' and '.' become '_'. Two names with the
// same key would share variables, so the configuration refuses that.
func EnvKey(name string) string {
	return strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(name))
}
