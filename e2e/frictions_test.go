package e2e

import (
	"strings"
	"testing"
)

// Friction 2: a usage error in the terminal is that command's usage, never the whole help,
// and a misspelt command still gets its "did you mean" (with the usage of the guess).
func TestExecUsageErrorsShowOnlyThatCommandsUsage(t *testing.T) {
	t.Setenv("CMS_NODES", "sim")
	tests := []struct {
		name  string
		args  []string
		want  []string // in stderr
		usage string   // the one usage line shown
	}{
		{"typo", []string{"mutee", "dmitri"}, []string{"Did you mean `mute`?"}, "mute <participant> [audio|video|both]"},
		{"extra argument", []string{"disconnect", "alice", "bob"}, []string{`"bob" is not expected`}, "disconnect <participant>"},
		{"bad layout", []string{"layout", "abcd1234", "grid"}, []string{`"grid" is not a CMS layout`, "speakerOnly"}, "layout <participant> <layout>"},
		{"bad address", []string{"add", "board", "alice@"}, []string{`"alice@" is not a dialable address: nothing follows the @`}, "add <meeting> <uri>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runExec(t, tt.args...)
			if code != 2 || out != "" {
				t.Fatalf("exit %d, stdout %q; want 2 and nothing on stdout", code, out)
			}
			for _, w := range append(tt.want, "usage: "+tt.usage) {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
			if n := strings.Count(errOut, "usage: "); n != 1 {
				t.Errorf("stderr shows %d usage lines, want 1: %q", n, errOut)
			}
			for _, other := range []string{"calls [filter]", "presenter <meeting>", "status", "help [command]"} {
				if !strings.Contains(tt.usage, other) && strings.Contains(errOut, other) {
					t.Errorf("stderr shows %q, another command's usage: %q", other, errOut)
				}
			}
		})
	}
}
