package app

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
)

// TestBashCompletion sources the bash script and asks it what it completes.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	var script, errb bytes.Buffer
	if code := Main(context.Background(), "test", []string{"completion", "bash"}, &script, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	tests := []struct {
		line string // the words typed; the last one is being completed
		want []string
		not  []string
	}{
		{"nfmm ", []string{"run", "exec", "demo", "sim", "version", "completion"}, nil},
		{"nfmm ex", []string{"exec"}, []string{"run"}},
		{"nfmm exec ", []string{"calls", "schedule", "presenter", "--jsonl", "--audit"}, nil},
		{"nfmm exec --json sch", []string{"schedule"}, []string{"calls"}},
		{"nfmm exec calls ", nil, []string{"calls", "--json"}}, // after the command word: CMS data
		{"nfmm sim --", []string{"--env", "--nodes", "--tls"}, nil},
		{"nfmm completion ", []string{"bash", "zsh", "fish"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			probe := script.String() + `
read -ra COMP_WORDS <<< "$LINE"
[[ $LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
_nfmm
printf '%s\n' "${COMPREPLY[@]}"`
			cmd := exec.Command(bash, "-c", probe)
			cmd.Env = []string{"LINE=" + tt.line}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			got := strings.Fields(string(out))
			for _, w := range tt.want {
				if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+w+" ") {
					t.Errorf("completions %v lack %q", got, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(" "+strings.Join(got, " ")+" ", " "+w+" ") {
					t.Errorf("completions %v include %q", got, w)
				}
			}
		})
	}
}

// TestCompletionScripts: every shell gets a script naming the exec commands; zsh and fish
// scripts are syntax-checked where those shells are installed.
func TestCompletionScripts(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		t.Run(sh, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := Main(context.Background(), "test", []string{"completion", sh}, &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			for _, w := range []string{"schedule", "presenter", "jsonl"} {
				if !strings.Contains(out.String(), w) {
					t.Errorf("%s script lacks %q", sh, w)
				}
			}
			path, err := exec.LookPath(sh)
			if err != nil {
				return
			}
			check := exec.Command(path, "-n")
			check.Stdin = &out
			if b, err := check.CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v: %s", sh, err, b)
			}
		})
	}
	var errb bytes.Buffer
	if code := Main(context.Background(), "test", []string{"completion", "tcsh"}, &bytes.Buffer{}, &errb); code != 2 ||
		!strings.Contains(errb.String(), "bash, zsh or fish") {
		t.Errorf("unknown shell: exit %d, %q", code, errb.String())
	}
}

func TestVersionPrintsCommitAndGo(t *testing.T) {
	var out bytes.Buffer
	if code := Main(context.Background(), "1.2.3", []string{"version"}, &out, &bytes.Buffer{}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || lines[0] != "nfmm 1.2.3" || !strings.HasPrefix(lines[1], "commit ") || !strings.HasPrefix(lines[2], "go1.") {
		t.Errorf("version = %q, want the version, the commit and the Go version", out.String())
	}
}
