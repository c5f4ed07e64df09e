package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/config"
)

// TestMain lets the test binary act as nfmm when a test starts it with NFMM_TEST_AS_NFMM=1:
// `nfmm sim --env` re-executes its own binary, which in a test is this one.
func TestMain(m *testing.M) {
	if os.Getenv("NFMM_TEST_AS_NFMM") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, "test", os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// TestSimEnvForEval follows the README: eval "$(nfmm sim --env)" in bash, then nfmm exec works
// against the emulator that keeps running, and kill $NFMM_SIM_PID stops it.
func TestSimEnvForEval(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	script := `set -e
eval "$("$NFMM" sim --env --nodes 2)"
test -n "$NFMM_SIM_PID"
"$NFMM" exec status
"$NFMM" exec --jsonl calls board
kill "$NFMM_SIM_PID"
for i in $(seq 50); do kill -0 "$NFMM_SIM_PID" 2>/dev/null || exit 0; sleep 0.1; done
echo "the emulator did not stop" >&2; exit 1`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "-c", script)
	cmd.Env = append(os.Environ(), "NFMM_TEST_AS_NFMM=1", "NFMM="+exe, "CMS_NODES=", "CMS_USERNAME=", "CMS_PASSWORD=")
	cmd.Dir = t.TempDir() // no .env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"cb1", "cb2", `"kind":"calls"`, "Board review"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "cb3") {
		t.Errorf("exec reached a third node; --nodes 2 was lost:\n%s", out)
	}
}

// runSim runs `nfmm sim args…` in the foreground until it has printed its ready line, and
// returns what it printed and a func that stops it and checks that it exited 0.
func runSim(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() { done <- cmdSim(ctx, args, pw, os.Stderr); pw.Close() }()
	buf := make([]byte, 8192)
	var got string
	for !strings.Contains(got, simReadyPrefix) {
		n, err := pr.Read(buf)
		if err != nil {
			cancel()
			t.Fatalf("read: %v (so far %q)", err, got)
		}
		got += string(buf[:n])
	}
	return got, func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("nfmm sim %v: exit %d", args, code)
		}
	}
}

// TestSimPrintsExportLines: the foreground emulator's lines work when pasted into a shell.
func TestSimPrintsExportLines(t *testing.T) {
	got, stop := runSim(t, "--nodes", "1", "--tls")
	stop()
	lines := strings.Split(strings.TrimSpace(got), "\n")
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "export CMS_") {
			t.Errorf("line %q is not an export", l)
		}
	}
	for _, v := range []string{"CMS_NODES=cb1=https://127.0.0.1:", "CMS_USERNAME=", "CMS_PASSWORD=", "CMS_CA_FILE="} {
		if !strings.Contains(got, "export "+v) {
			t.Errorf("no export %s in:\n%s", v, got)
		}
	}
}

// TestFlagsHelpOnceAndOneNodeLimit: -h prints the usage once, on stdout; the node limit is
// config.MaxNodes for demo, sim and CMS_NODES=sim:N alike.
func TestFlagsHelpOnceAndOneNodeLimit(t *testing.T) {
	limit := fmt.Sprint(config.MaxNodes)
	over := fmt.Sprint(config.MaxNodes + 1)
	for _, sub := range []string{"demo", "sim"} {
		t.Run(sub, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := Main(context.Background(), "test", []string{sub, "--help"}, &out, &errb); code != 0 {
				t.Errorf("--help: exit %d", code)
			}
			if n := strings.Count(out.String(), "usage: nfmm "+sub); n != 1 || errb.Len() != 0 {
				t.Errorf("--help printed the usage %d times on stdout, stderr %q:\n%s", n, errb.String(), out.String())
			}
			out.Reset()
			errb.Reset()
			if code := Main(context.Background(), "test", []string{sub, "--nodes", over}, &out, &errb); code != 2 ||
				!strings.Contains(errb.String(), "want 1-"+limit) {
				t.Errorf("--nodes %s: exit %d, stderr %q; want 2 and the limit %s", over, code, errb.String(), limit)
			}
			errb.Reset()
			if code := Main(context.Background(), "test", []string{sub, "--bogus"}, &out, &errb); code != 2 ||
				strings.Count(errb.String(), "usage: nfmm "+sub) != 1 {
				t.Errorf("bad flag: exit %d, stderr %q; want 2 and the usage once", code, errb.String())
			}
		})
	}
	if cmssim.MaxNodes != config.MaxNodes {
		t.Errorf("cmssim.MaxNodes = %d, config.MaxNodes = %d: one limit everywhere", cmssim.MaxNodes, config.MaxNodes)
	}
	if _, err := config.LoadEnviron([]string{"CMS_NODES=sim:" + over}, config.ModeExec); err == nil || !strings.Contains(err.Error(), limit) {
		t.Errorf("CMS_NODES=sim:%s: %v; want an error naming %s", over, err, limit)
	}
	if _, err := config.LoadEnviron([]string{"CMS_NODES=sim:" + limit}, config.ModeExec); err != nil {
		t.Errorf("CMS_NODES=sim:%s: %v", limit, err)
	}
}

// TestSimClusters: `nfmm sim --clusters emea,amer` runs one emulated cluster per name and
// prints the CMS_CLUSTERS form, which the configuration loads as those clusters.
func TestSimClusters(t *testing.T) {
	got, stop := runSim(t, "--clusters", "emea,amer", "--nodes", "2", "--tls")
	var env []string
	for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
		if kv, ok := strings.CutPrefix(l, "export "); ok {
			env = append(env, strings.Trim(strings.Replace(kv, "='", "=", 1), "'"))
		}
	}
	cfg, err := config.LoadEnviron(env, config.ModeExec) // before stop: the CA files go with it
	stop()
	if err != nil {
		t.Fatalf("the printed lines do not load: %v\n%s", err, got)
	}
	if len(cfg.Clusters) != 2 {
		t.Fatalf("clusters %+v\n%s", cfg.Clusters, got)
	}
	for i, want := range []string{"emea", "amer"} {
		c := cfg.Clusters[i]
		if c.Name != want || len(c.Nodes) != 2 || c.Nodes[0].Name != want+"-cb1" || c.CAFile == "" ||
			!strings.HasPrefix(c.Nodes[1].URL, "https://127.0.0.1:") {
			t.Errorf("cluster %d = %+v", i, c)
		}
	}
	if !strings.Contains(got, "2 clusters of 2 call bridges") {
		t.Errorf("ready line: %s", got)
	}
	for _, bad := range [][]string{{"--clusters", "all"}, {"--clusters", "emea,EMEA"}, {"--clusters", "a b"},
		{"--clusters", strings.Repeat("x", 28)}} {
		var out, errb bytes.Buffer
		if code := cmdSim(context.Background(), bad, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--clusters") {
			t.Errorf("%v: exit %d, stderr %q", bad, code, errb.String())
		}
	}
}
