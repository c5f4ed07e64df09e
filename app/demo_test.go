package app

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseDemoFlags(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		want     DemoOptions
		stderr   string
	}{
		{nil, -1, DemoOptions{Addr: "127.0.0.1:8080", Nodes: 3, Seed: 1}, ""},
		{[]string{"--addr", "127.0.0.1:0", "--nodes", "5"}, -1, DemoOptions{Addr: "127.0.0.1:0", Nodes: 5, Seed: 1}, ""},
		{[]string{"--nodes", "0"}, 2, DemoOptions{}, "--nodes 0"},
		{[]string{"--nodes", "99"}, 2, DemoOptions{}, "--nodes 99"},
		{[]string{"extra"}, 2, DemoOptions{}, `unexpected argument "extra"`},
		{[]string{"--bogus"}, 2, DemoOptions{}, "bogus"},
		{[]string{"--help"}, 0, DemoOptions{}, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got, code := parseDemoFlags(tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("code = %d, want %d (stderr %q)", code, tt.wantCode, stderr.String())
			}
			if code == -1 && got != tt.want {
				t.Errorf("options = %+v, want %+v", got, tt.want)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tt.stderr)
			}
			if code == 0 && !strings.Contains(stdout.String(), "usage: nfmm demo") {
				t.Errorf("--help printed %q", stdout.String())
			}
		})
	}
}

// The demo's tokens are new on every run: a constant one could be sent by any web page in a
// cross-site form (issue 12 item 14).
func TestDemoTokensArePerRun(t *testing.T) {
	b1, a1, err := demoTokens()
	if err != nil {
		t.Fatal(err)
	}
	b2, a2, err := demoTokens()
	if err != nil {
		t.Fatal(err)
	}
	if b1 == b2 || a1 == a2 || !strings.HasPrefix(b1, "xoxb-") || !strings.HasPrefix(a1, "xapp-") || len(b1) < 40 {
		t.Errorf("tokens %q %q then %q %q, want fresh xoxb-/xapp- tokens each time", b1, a1, b2, a2)
	}
}
