package app

import (
	"context"
	"net"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/internal/connectproxy"
)

// nfmmProcess runs this test binary as nfmm (see TestMain) with exactly env.
func nfmmProcess(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append([]string{"NFMM_TEST_AS_NFMM=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Dir = t.TempDir() // no .env
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

// loopbackHostname is a name for this machine that resolves (through /etc/hosts) to loopback
// and is not "localhost", which Go never proxies.
func loopbackHostname(t *testing.T) string {
	t.Helper()
	h, err := os.Hostname()
	if err != nil || h == "" || h == "localhost" {
		t.Skip("no usable host name")
	}
	addrs, err := net.LookupHost(h)
	if err != nil || len(addrs) == 0 || slices.ContainsFunc(addrs, func(a string) bool { ip := net.ParseIP(a); return ip == nil || !ip.IsLoopback() }) {
		t.Skipf("host name %q does not resolve to loopback only (%v %v)", h, addrs, err)
	}
	return h
}

// TestProxyFromEnvironment: with HTTPS_PROXY set, NFMM's CMS requests and its Slack Web API
// requests go through the proxy; NO_PROXY exempts a CMS node, which is then reached directly.
// (Go never proxies loopback addresses, so the node is named by this machine's host name.)
func TestProxyFromEnvironment(t *testing.T) {
	host := loopbackHostname(t)
	sim, err := cmssim.Start(cmssim.Options{Nodes: 1, TLS: true, Scenario: cmssim.ScenarioDemo, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	simURL, _ := url.Parse(sim.Nodes()[0].URL)
	cmsEnv := []string{
		"CMS_NODES=cb1=https://" + host + ":" + simURL.Port(), "CMS_USERNAME=" + sim.Username, "CMS_PASSWORD=" + sim.Password,
		"CMS_INSECURE_SKIP_VERIFY=true", // the emulator's certificate names 127.0.0.1, not the host name
	}

	proxy := connectproxy.Start(t, simURL.Host)
	code, out := nfmmProcess(t, append(cmsEnv, "HTTPS_PROXY="+proxy.URL()), "exec", "status")
	want := "CONNECT " + host + ":" + simURL.Port()
	if code != 0 || !slices.Contains(proxy.Seen(), want) {
		t.Errorf("HTTPS_PROXY: exit %d, proxy saw %v, want %q\n%s", code, proxy.Seen(), want, out)
	}

	bypassed := connectproxy.Start(t, "")
	code, out = nfmmProcess(t, append(cmsEnv, "HTTPS_PROXY="+bypassed.URL(), "NO_PROXY="+host), "exec", "status")
	if code != 0 || len(bypassed.Seen()) != 0 {
		t.Errorf("NO_PROXY=%s: exit %d, proxy saw %v, want a direct connection\n%s", host, code, bypassed.Seen(), out)
	}

	// Slack: the Web API client goes through the proxy too. The proxy refuses, so nfmm run
	// cannot start; it is stopped as soon as it has asked the proxy for Slack.
	slack := connectproxy.Start(t, "")
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "run")
	cmd.Env = []string{"NFMM_TEST_AS_NFMM=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"CMS_NODES=sim", "SLACK_API_URL=https://slack.nfmm-proxy-test.invalid/api/",
		"SLACK_BOT_TOKEN=xoxb-1111111111-2222222222-proxytestvalue", "SLACK_APP_TOKEN=xapp-1-A0123456789-3333333333-proxytestvalue",
		"NFMM_HTTP_ADDR=off", "HTTPS_PROXY=" + slack.URL()}
	cmd.Dir = t.TempDir()
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	wantSlack := "CONNECT slack.nfmm-proxy-test.invalid:443"
	deadline := time.After(20 * time.Second)
wait:
	for !slices.Contains(slack.Seen(), wantSlack) {
		select {
		case <-done:
			break wait
		case <-deadline:
			break wait
		case <-time.After(20 * time.Millisecond):
		}
	}
	_ = cmd.Process.Kill()
	<-done
	if !slices.Contains(slack.Seen(), wantSlack) {
		t.Errorf("Slack requests did not go through HTTPS_PROXY: proxy saw %v\n%s", slack.Seen(), logs.String())
	}
	if strings.Contains(logs.String(), "proxytestvalue") {
		t.Errorf("a token leaked into the output:\n%s", logs.String())
	}
}
