// Package deptest holds the dependency test: the layering rules of design.md, checked against
// the import graph `go list` reports (in the manner of tailscale's tstest/deptest), so a wrong
// import fails `go test ./...` instead of waiting for a review.
package deptest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/nfmm/nfmm"

// pkg is what the rules read of one package, as `go list -json` spells it.
type pkg struct {
	ImportPath   string
	Imports      []string // direct, non-test
	Deps         []string // transitive, non-test
	TestImports  []string
	XTestImports []string
}

// directAll is every package p names itself, tests included.
func (p pkg) directAll() []string {
	return slices.Concat(p.Imports, p.TestImports, p.XTestImports)
}

// rel is path relative to the module ("" for the root), or ok=false outside it.
func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

// within reports whether module-relative r is dir or below it.
func within(r, dir string) bool { return r == dir || strings.HasPrefix(r, dir+"/") }

// isSlack is the Slack SDK or our Slack-facing packages.
func isSlack(dep string) bool {
	if strings.HasPrefix(dep, "github.com/slack-go/") {
		return true
	}
	r, ok := rel(dep)
	return ok && within(r, "bot")
}

// wiring may read the configuration: the process entry, the package that builds the runtime
// from it, and the harnesses that drive that runtime whole (e2e, soak, bench).
var wiring = []string{"", "app", "e2e", "soak", "bench", "config"}

// aboveCMS are the transports only cms may speak.
var aboveCMS = []string{"net/http", "encoding/xml", "github.com/gorilla/websocket"}

// violations lists every broken rule in pkgs, one sentence each.
func violations(pkgs []pkg) []string {
	var out []string
	bad := func(p pkg, dep, why string) {
		out = append(out, fmt.Sprintf("%s imports %s: %s", p.ImportPath, dep, why))
	}
	for _, p := range pkgs {
		r, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		lower := within(r, "commands") || (within(r, "cms") && !within(r, "cms/cmssim"))
		for _, d := range p.Deps {
			dr, ours := rel(d)
			switch {
			case lower && isSlack(d):
				bad(p, d, "Slack types never below bot")
			case within(r, "cms") && !within(r, "cms/cmssim") && ours && (within(dr, "commands") || within(dr, "app")):
				bad(p, d, "imports flow main → bot → commands → cms, never back up")
			case (within(r, "cms/cmssim") || within(r, "bot/slackfake")) && ours && !within(dr, r):
				bad(p, d, "the fakes import nothing of ours, so they answer like the real service, not like our client wishes")
			}
		}
		for _, d := range p.directAll() {
			dr, ours := rel(d)
			switch {
			case ours && dr == "config" && !slices.Contains(wiring, r):
				bad(p, d, "only the wiring (main, app) reads the configuration; pass values down instead")
			case (within(r, "cms/cmssim") || within(r, "bot/slackfake")) && ours && !within(dr, r):
				if !slices.Contains(p.Deps, d) { // reported above already
					bad(p, d, "the fakes' tests import nothing of ours either")
				}
			}
		}
		if within(r, "commands") {
			for _, d := range p.Imports {
				if slices.Contains(aboveCMS, d) {
					bad(p, d, "HTTP, XML and websockets never above cms")
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// listModule runs `go list -json ./...` from the module root.
func listModule(t *testing.T) []pkg {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command(gobin, "list", "-json", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestLayering(t *testing.T) {
	pkgs := listModule(t)
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[p.ImportPath] = true
	}
	// The rules would pass vacuously if the listing missed the packages they are about.
	for _, want := range []string{"", "app", "bot", "bot/slackfake", "cms", "cms/cmssim", "commands", "config"} {
		if path := strings.TrimSuffix(module+"/"+want, "/"); !seen[path] {
			t.Fatalf("go list did not report %s", path)
		}
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

// TestViolationsCatchEachRule feeds the checker one broken graph per rule of issue 11.
func TestViolationsCatchEachRule(t *testing.T) {
	m := func(r string) string { return module + "/" + r }
	tests := []struct {
		name string
		pkg  pkg
		want string // substring of the one violation, "" for none
	}{
		{"commands imports Slack", pkg{ImportPath: m("commands"), Deps: []string{"github.com/slack-go/slack"}}, "Slack types never below bot"},
		{"cms reaches Slack through bot", pkg{ImportPath: m("cms"), Deps: []string{m("bot")}}, "Slack types never below bot"},
		{"cms imports commands", pkg{ImportPath: m("cms"), Deps: []string{m("commands")}}, "never back up"},
		{"bot imports config", pkg{ImportPath: m("bot"), Imports: []string{m("config")}}, "only the wiring"},
		{"a commands test imports config", pkg{ImportPath: m("commands"), XTestImports: []string{m("config")}}, "only the wiring"},
		{"cmssim imports cms", pkg{ImportPath: m("cms/cmssim"), Imports: []string{m("cms")}, Deps: []string{m("cms")}}, "the fakes import nothing"},
		{"slackfake imports bot", pkg{ImportPath: m("bot/slackfake"), Deps: []string{m("bot")}}, "the fakes import nothing"},
		{"a cmssim test imports commands", pkg{ImportPath: m("cms/cmssim"), TestImports: []string{m("commands")}}, "the fakes' tests"},
		{"commands speaks HTTP", pkg{ImportPath: m("commands"), Imports: []string{"net/http"}}, "never above cms"},
		{"app reads config", pkg{ImportPath: m("app"), Imports: []string{m("config")}, Deps: []string{m("config"), m("bot"), "github.com/slack-go/slack"}}, ""},
		{"main reads config", pkg{ImportPath: module, Imports: []string{m("config")}}, ""},
		{"bot imports Slack and commands", pkg{ImportPath: m("bot"), Deps: []string{"github.com/slack-go/slack", m("commands"), m("cms")}}, ""},
		{"slackfake imports itself", pkg{ImportPath: m("bot/slackfake"), TestImports: []string{m("bot/slackfake")}}, ""},
		{"bot tests use both fakes", pkg{ImportPath: m("bot"), TestImports: []string{m("bot/slackfake"), m("cms/cmssim")}}, ""},
		{"outside the module", pkg{ImportPath: "example.org/x", Deps: []string{m("config")}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := violations([]pkg{tt.pkg})
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("violations = %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Errorf("violations = %q, want one containing %q", got, tt.want)
			}
		})
	}
}
