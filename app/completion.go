package app

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/commands"
)

// cmdCompletion runs `nfmm completion bash|zsh|fish`: a completion script for the sub-commands,
// their flags and the command words of `nfmm exec`. Load it with, for example,
// source <(nfmm completion bash).
func cmdCompletion(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: nfmm completion bash|zsh|fish")
		return 2
	}
	w := completionWords(ctx)
	switch args[0] {
	case "bash":
		fmt.Fprint(stdout, bashCompletion(w))
	case "zsh":
		// zsh runs the bash function through bashcompinit: one script to keep right.
		fmt.Fprint(stdout, "#compdef nfmm\nautoload -U +X bashcompinit && bashcompinit\n"+bashCompletion(w))
	case "fish":
		fmt.Fprint(stdout, fishCompletion(w))
	default:
		fmt.Fprintf(stderr, "nfmm completion: unknown shell %q; want bash, zsh or fish\n", args[0])
		return 2
	}
	return 0
}

// words are what the scripts complete.
type words struct {
	subcommands []string
	flags       map[string][]string // per sub-command
	execOps     []string            // the grammar's command names
}

func completionWords(ctx context.Context) words {
	// help as a local operator lists every command of the grammar; it reads no CMS.
	var ops []string
	if r, err := commands.New(commands.Config{Cluster: cms.NewCluster(nil)}).Execute(ctx, commands.Actor{UserID: "local", Local: true},
		commands.Command{Op: commands.OpHelp}); err == nil {
		for _, e := range r.(*commands.HelpResult).Entries {
			ops = append(ops, e.Name)
		}
	}
	subs := slices.Sorted(func(yield func(string) bool) {
		for name := range subcommands("") {
			if !yield(name) {
				return
			}
		}
	})
	return words{
		subcommands: append(subs, "help"),
		flags: map[string][]string{
			"exec":       {"--json", "--jsonl", "--audit", "--help"},
			"sim":        {"--env", "--nodes", "--clusters", "--port", "--tls", "--scenario", "--seed", "--help"},
			"demo":       {"--addr", "--nodes", "--seed", "--help"},
			"completion": {"bash", "zsh", "fish"},
		},
		execOps: ops,
	}
}

func bashCompletion(w words) string {
	var cases strings.Builder
	for _, sub := range slices.Sorted(func(yield func(string) bool) {
		for k := range w.flags {
			if !yield(k) {
				return
			}
		}
	}) {
		list := strings.Join(w.flags[sub], " ")
		if sub == "exec" {
			// Flags and command words until the command word; then nothing (meeting names are
			// CMS data, not something a script knows).
			fmt.Fprintf(&cases, "\texec)\n\t\tfor ((i = 2; i < COMP_CWORD; i++)); do [[ ${COMP_WORDS[i]} == -* ]] || return 0; done\n"+
				"\t\tCOMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", list+" "+strings.Join(w.execOps, " "))
			continue
		}
		fmt.Fprintf(&cases, "\t%s) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", sub, list)
	}
	return fmt.Sprintf(`# bash completion for nfmm: source <(nfmm completion bash)
_nfmm() {
	local cur=${COMP_WORDS[COMP_CWORD]} i
	COMPREPLY=()
	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W %q -- "$cur"))
		return 0
	fi
	case ${COMP_WORDS[1]} in
%s	esac
}
complete -F _nfmm nfmm
`, strings.Join(w.subcommands, " "), cases.String())
}

func fishCompletion(w words) string {
	var b strings.Builder
	b.WriteString("# fish completion for nfmm: nfmm completion fish | source\ncomplete -c nfmm -f\n")
	fmt.Fprintf(&b, "complete -c nfmm -n __fish_use_subcommand -a %q\n", strings.Join(w.subcommands, " "))
	for _, sub := range []string{"exec", "sim", "demo"} {
		for _, f := range w.flags[sub] {
			fmt.Fprintf(&b, "complete -c nfmm -n '__fish_seen_subcommand_from %s' -l %s\n", sub, strings.TrimPrefix(f, "--"))
		}
	}
	fmt.Fprintf(&b, "complete -c nfmm -n '__fish_seen_subcommand_from exec; and not __fish_seen_subcommand_from %s' -a %q\n",
		strings.Join(w.execOps, " "), strings.Join(w.execOps, " "))
	fmt.Fprintf(&b, "complete -c nfmm -n '__fish_seen_subcommand_from completion' -a %q\n", strings.Join(w.flags["completion"], " "))
	return b.String()
}
