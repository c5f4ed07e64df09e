package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Recognisable secret values: no error, warning or description may contain "SECRET".
const (
	botToken = "xoxb-111-222-SECRETBOT"
	appToken = "xapp-1-A111-SECRETAPP"
	password = "hunter2-SECRET-PW"
)

// base is a valid run-mode environment with two real nodes.
var base = []string{
	"SLACK_BOT_TOKEN=" + botToken,
	"SLACK_APP_TOKEN=" + appToken,
	"CMS_NODES=cb1=https://cb1.example.com:445,cb2=https://cb2.example.com",
	"CMS_USERNAME=api",
	"CMS_PASSWORD=" + password,
	"NFMM_OPERATORS=U0123ABCD",
}

func with(extra ...string) []string { return append(append([]string{}, base...), extra...) }

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name string
		mode Mode
		env  []string
		want []string // exact Problem.Error() lines, in order
	}{
		{"nothing set", ModeRun, nil, []string{
			"SLACK_BOT_TOKEN: required by `nfmm run` (bot token xoxb-…: Slack app settings → OAuth & Permissions → Bot User OAuth Token)",
			"SLACK_APP_TOKEN: required by `nfmm run` (app-level token xapp-…: Slack app settings → Basic Information → App-Level Tokens, scope connections:write)",
			"CMS_NODES: required: name=https://host:port,name2=https://host2:port (or set CMS_NODES=sim to try the emulator)",
		}},
		{"exec needs nodes but no tokens", ModeExec, nil, []string{
			"CMS_NODES: required: name=https://host:port,name2=https://host2:port (or set CMS_NODES=sim to try the emulator)",
		}},
		{"swapped tokens", ModeRun, with("SLACK_BOT_TOKEN="+appToken, "SLACK_APP_TOKEN="+botToken), []string{
			"SLACK_BOT_TOKEN: looks like an app-level token (xapp-…); it belongs in SLACK_APP_TOKEN, and this variable needs the bot token xoxb-…: Slack app settings → OAuth & Permissions → Bot User OAuth Token",
			"SLACK_APP_TOKEN: looks like a bot token (xoxb-…); it belongs in SLACK_BOT_TOKEN, and this variable needs the app-level token xapp-…: Slack app settings → Basic Information → App-Level Tokens, scope connections:write",
		}},
		{"user token", ModeRun, with("SLACK_BOT_TOKEN=xoxp-1-SECRETUSER-123"), []string{
			"SLACK_BOT_TOKEN: looks like a user token (xoxp-…); NFMM acts as a bot and needs the bot token xoxb-…: Slack app settings → OAuth & Permissions → Bot User OAuth Token",
		}},
		{"unknown token kind", ModeRun, with("SLACK_APP_TOKEN=SECRETjunk"), []string{
			"SLACK_APP_TOKEN: must start with xapp- (app-level token xapp-…: Slack app settings → Basic Information → App-Level Tokens, scope connections:write)",
		}},
		{"truncated token", ModeRun, with("SLACK_BOT_TOKEN=xoxb-SECRET"), []string{
			"SLACK_BOT_TOKEN: is too short to be a xoxb- token",
		}},
		{"token with quotes", ModeRun, with(`SLACK_BOT_TOKEN="xoxb-1-2-SECRETBOT"`), []string{
			"SLACK_BOT_TOKEN: contains spaces or quotes; paste the token alone",
		}},
		{"slack api plain http", ModeRun, with("SLACK_API_URL=http://slack.example.com/api/"), []string{
			"SLACK_API_URL: must use https:// (plain http:// is allowed only for 127.0.0.1, ::1 and localhost, i.e. the emulators)",
		}},
		{"slack api bad scheme", ModeRun, with("SLACK_API_URL=ftp://slack.example.com/"), []string{
			"SLACK_API_URL: must be an https:// URL",
		}},
		{"slack api user info", ModeRun, with("SLACK_API_URL=https://me:SECRETPW@slack.example.com/api/"), []string{
			"SLACK_API_URL: must not contain user info (user:password@); credentials have their own variables",
		}},
		{"sim:0", ModeRun, with("CMS_NODES=sim:0"), []string{
			`CMS_NODES: sim:N needs a whole number of nodes from 1 to 24, got "0"`,
		}},
		{"sim:25", ModeExec, []string{"CMS_NODES=sim:25"}, []string{
			`CMS_NODES: sim:N needs a whole number of nodes from 1 to 24, got "25"`,
		}},
		{"sim mixed with nodes", ModeExec, []string{"CMS_NODES=sim,cb1=https://a.example.com"}, []string{
			"CMS_NODES: sim cannot be combined with real nodes",
		}},
		{"entry without name", ModeExec, []string{"CMS_NODES=https://cb1.example.com", "CMS_USERNAME=u", "CMS_PASSWORD=" + password}, []string{
			"CMS_NODES: entry 1 is not name=URL (e.g. cb1=https://cb1.example.com:445)",
		}},
		{"bad node name and empty entry", ModeExec, []string{"CMS_NODES=cb/1=https://a.example.com,,cb2=https://b.example.com", "CMS_USERNAME=u", "CMS_PASSWORD=" + password}, []string{
			`CMS_NODES: entry 1: node name "cb/1" must be 1-32 letters, digits, '.', '_' or '-'`,
			"CMS_NODES: entry 2 is empty (stray comma?)",
		}},
		{"duplicate and colliding names", ModeExec, []string{"CMS_NODES=cb1=https://a.example.com,cb1=https://b.example.com,cb-2=https://c.example.com,cb.2=https://d.example.com", "CMS_USERNAME=u", "CMS_PASSWORD=" + password}, []string{
			"CMS_NODES: node name cb1 appears twice",
			"CMS_NODES: node names cb-2 and cb.2 both map to CMS_CB_2_USERNAME/_PASSWORD; rename one",
		}},
		{"plain http to a remote node", ModeRun, with("CMS_NODES=cb1=http://cb1.example.com:445"), []string{
			"CMS_NODES: node cb1: URL must use https:// (plain http:// is allowed only for 127.0.0.1, ::1 and localhost, i.e. the emulators)",
		}},
		{"node URL with a path", ModeRun, with("CMS_NODES=cb1=https://cb1.example.com/cms"), []string{
			"CMS_NODES: node cb1: URL must be https://host[:port] without a path (got path /cms)",
		}},
		{"node URL with credentials", ModeRun, with("CMS_NODES=cb1=https://admin:SECRETPW@cb1.example.com"), []string{
			"CMS_NODES: node cb1: URL must not contain user info (user:password@); credentials have their own variables",
		}},
		{"node URL bad port", ModeRun, with("CMS_NODES=cb1=https://cb1.example.com:99999"), []string{
			"CMS_NODES: node cb1: URL has an invalid port 99999",
		}},
		{"no credentials", ModeExec, []string{"CMS_NODES=cb1=https://a.example.com,cb2=https://b.example.com", "CMS_CB2_USERNAME=other"}, []string{
			"CMS_USERNAME: required for node cb1 (or set CMS_<NAME>_USERNAME per node)",
			"CMS_PASSWORD: required for nodes cb1, cb2 (or set CMS_<NAME>_PASSWORD per node)",
		}},
		{"override for an unknown node", ModeRun, with("CMS_CB9_PASSWORD="+password, "CMS_CB2_USERNAME=fine"), []string{
			"CMS_CB9_PASSWORD: no node named cb9 in CMS_NODES",
		}},
		{"CA file missing", ModeRun, with("CMS_CA_FILE=$DIR/missing.pem"), []string{
			"CMS_CA_FILE: cannot read the CA bundle: open $DIR/missing.pem: no such file or directory",
		}},
		{"CA file without certificates", ModeRun, with("CMS_CA_FILE=$DIR/notpem.txt"), []string{
			"CMS_CA_FILE: $DIR/notpem.txt contains no PEM certificate (-----BEGIN CERTIFICATE-----)",
		}},
		{"insecure not boolean", ModeRun, with("CMS_INSECURE_SKIP_VERIFY=maybe"), []string{
			`CMS_INSECURE_SKIP_VERIFY: "maybe" is not a boolean (use true or false)`,
		}},
		{"timeout and concurrency", ModeRun, with("CMS_TIMEOUT=10", "CMS_CONCURRENCY=65"), []string{
			`CMS_TIMEOUT: "10" is not a duration (e.g. 10s, 1m30s)`,
			"CMS_CONCURRENCY: 65 is out of range: use 1 to 64",
		}},
		{"events mode and poll interval", ModeRun, with("CMS_EVENTS=sometimes", "NFMM_POLL_INTERVAL=1ms"), []string{
			`CMS_EVENTS: "sometimes" is not auto, on or off`,
			"NFMM_POLL_INTERVAL: 1ms is out of range: use 500ms to 10m0s",
		}},
		{"live message TTL", ModeRun, with("NFMM_LIVE_TTL=10s"), []string{
			"NFMM_LIVE_TTL: 10s is out of range: use 1m0s to 168h0m0s",
		}},
		{"timeout out of range, concurrency not a number", ModeRun, with("CMS_TIMEOUT=1h", "CMS_CONCURRENCY=many"), []string{
			"CMS_TIMEOUT: 1h0m0s is out of range: use 100ms to 5m0s",
			`CMS_CONCURRENCY: "many" is not a whole number`,
		}},
		{"names instead of ids", ModeRun, with("NFMM_OPERATORS=U0123ABCD,@alice", "NFMM_VIEWERS=*,u123", "NFMM_CHANNELS=C0123ABCD,#ops"), []string{
			`NFMM_OPERATORS: "@alice" is not a Slack user id (U…/W…), user-group id (S…) or * (profile → ⋮ → Copy member ID)`,
			`NFMM_VIEWERS: "u123" is not a Slack user id (U…/W…), user-group id (S…) or * (profile → ⋮ → Copy member ID)`,
			`NFMM_CHANNELS: "#ops" is not a channel id (C…, G… or D…) or * (in Slack: channel details → About → Channel ID)`,
		}},
		{"audit channel", ModeRun, with("NFMM_AUDIT_CHANNEL=ops room"), []string{
			`NFMM_AUDIT_CHANNEL: "ops room" is not a channel id (C…/G…) or #channel-name`,
		}},
		{"cron field out of range", ModeRun, with("NFMM_REPORT_SCHEDULE=0 25 * * * > C0123ABCD"), []string{
			`NFMM_REPORT_SCHEDULE: entry 1 "0 25 * * * > C0123ABCD": end of range (25) above maximum (23): 25`,
		}},
		{"cron with seconds field", ModeRun, with("NFMM_REPORT_SCHEDULE=@daily > C0123ABCD; 0 0 8 * * * > C0123ABCD"), []string{
			`NFMM_REPORT_SCHEDULE: entry 2 "0 0 8 * * * > C0123ABCD": expected exactly 5 fields, found 6: [0 0 8 * * *]`,
		}},
		{"schedule without channel", ModeRun, with("NFMM_REPORT_SCHEDULE=@daily"), []string{
			`NFMM_REPORT_SCHEDULE: entry 1 "@daily" has no channel: append "> C0123ABCD" or set NFMM_REPORT_CHANNEL`,
		}},
		{"schedule with empty channel and bad channel", ModeRun, with("NFMM_REPORT_SCHEDULE=@daily >;@hourly > ops"), []string{
			`NFMM_REPORT_SCHEDULE: entry 1 "@daily >": nothing after '>' (want a channel id or #name)`,
			`NFMM_REPORT_SCHEDULE: entry 2 "@hourly > ops": "ops" is not a channel id (C…/G…) or #channel-name`,
		}},
		{"bad default report channel is reported once", ModeRun, with("NFMM_REPORT_SCHEDULE=@daily", "NFMM_REPORT_CHANNEL=ops"), []string{
			`NFMM_REPORT_CHANNEL: "ops" is not a channel id (C…/G…) or #channel-name`,
		}},
		{"unknown time zone", ModeRun, with("NFMM_REPORT_SCHEDULE=CRON_TZ=Mars/Olympus 0 8 * * * > C0123ABCD"), []string{
			`NFMM_REPORT_SCHEDULE: entry 1 "CRON_TZ=Mars/Olympus 0 8 * * * > C0123ABCD": unknown time zone "Mars/Olympus" (use an IANA name such as Europe/Oslo)`,
		}},
		{"time zone alone (robfig/cron would panic)", ModeRun, with("NFMM_REPORT_SCHEDULE=CRON_TZ=UTC > C0123ABCD"), []string{
			`NFMM_REPORT_SCHEDULE: entry 1 "CRON_TZ=UTC > C0123ABCD": CRON_TZ=UTC is not followed by a schedule`,
		}},
		{"report switches", ModeRun, with("NFMM_REPORT_QUIET=2"), []string{
			`NFMM_REPORT_QUIET: "2" is not a boolean (use true or false)`,
		}},
		{"store variables", ModeRun, with("NFMM_DATABASE_URL=mysql://root:hunter2@db/nfmm", "NFMM_REPORT_CATCHUP=soon", "NFMM_RETENTION_CLAIMS=10m", "NFMM_RETENTION_AUDIT=0d"), []string{
			`NFMM_DATABASE_URL: must be a PostgreSQL URL, postgres://user:password@host:5432/database (unset for the embedded SQLite file)`,
			`NFMM_REPORT_CATCHUP: "soon" is not a duration (e.g. 10s, 1m30s)`,
			`NFMM_RETENTION_CLAIMS: 10m0s is shorter than the minimum of 1h0m0s`,
			`NFMM_RETENTION_AUDIT: "0d" is not a keep-time (e.g. 30d, 72h or forever)`,
		}},
		{"http addr and log level", ModeRun, with("NFMM_HTTP_ADDR=9090", "NFMM_LOG_LEVEL=verbose"), []string{
			`NFMM_HTTP_ADDR: "9090" is not host:port (e.g. 127.0.0.1:9090, or off)`,
			`NFMM_LOG_LEVEL: "verbose" is not one of debug, info, warn, error`,
		}},
		{"http addr bad port", ModeRun, with("NFMM_HTTP_ADDR=127.0.0.1:0"), []string{
			`NFMM_HTTP_ADDR: "127.0.0.1:0" has an invalid port (1-65535)`,
		}},
		{"http addr with an impossible IPv4 host", ModeRun, with("NFMM_HTTP_ADDR=999.1.1.1:9090"), []string{
			`NFMM_HTTP_ADDR: "999.1.1.1:9090": "999.1.1.1" is not an IP address or host name`,
		}},
		{"http addr with a malformed host name", ModeRun, with("NFMM_HTTP_ADDR=bad_host!:9090"), []string{
			`NFMM_HTTP_ADDR: "bad_host!:9090": "bad_host!" is not an IP address or host name`,
		}},
		{"admin contact too long", ModeRun, with("NFMM_ADMIN_CONTACT=" + strings.Repeat("a", 81)), []string{
			"NFMM_ADMIN_CONTACT: longer than 80 characters",
		}},
		{"300 nodes", ModeRun, with("CMS_NODES=" + manyNodes(300)), []string{
			"CMS_NODES: 300 nodes; NFMM supports a cluster of at most 24 call bridges",
		}},
		{"25 nodes", ModeExec, with("CMS_NODES=" + manyNodes(25)), []string{
			"CMS_NODES: 25 nodes; NFMM supports a cluster of at most 24 call bridges",
		}},
		{"@every below the minimum", ModeRun, with("NFMM_REPORT_SCHEDULE=@every 1s > C0123ABCD; @every 9.9s > C0123ABCD"), []string{
			`NFMM_REPORT_SCHEDULE: entry 1 "@every 1s > C0123ABCD": @every 1s: shorter than the minimum of 10s`,
			`NFMM_REPORT_SCHEDULE: entry 2 "@every 9.9s > C0123ABCD": @every 9.9s: shorter than the minimum of 10s`,
		}},
		{"@every zero, negative, garbage, extra words", ModeRun, with("NFMM_REPORT_SCHEDULE=@every 0s > C0123ABCD; @every -5m > C0123ABCD; @every soon > C0123ABCD; CRON_TZ=UTC @every 1m 2m > C0123ABCD"), []string{
			`NFMM_REPORT_SCHEDULE: entry 1 "@every 0s > C0123ABCD": @every 0s: the interval must be positive`,
			`NFMM_REPORT_SCHEDULE: entry 2 "@every -5m > C0123ABCD": @every -5m: the interval must be positive`,
			`NFMM_REPORT_SCHEDULE: entry 3 "@every soon > C0123ABCD": @every soon: not a duration (e.g. 30m, 1h30m)`,
			`NFMM_REPORT_SCHEDULE: entry 4 "CRON_TZ=UTC @every 1m 2m > C0123ABCD": @every needs exactly one duration, e.g. @every 30m`,
		}},
		{"never-firing specs", ModeRun, with("NFMM_REPORT_SCHEDULE=0 8 31 2 * > C0123ABCD; CRON_TZ=Europe/Oslo 0 8 30 2 * > C0123ABCD"), []string{
			`NFMM_REPORT_SCHEDULE: entry 1 "0 8 31 2 * > C0123ABCD": never fires (no such date: check the day of month against the month)`,
			`NFMM_REPORT_SCHEDULE: entry 2 "CRON_TZ=Europe/Oslo 0 8 30 2 * > C0123ABCD": never fires (no such date: check the day of month against the month)`,
		}},
		{"2000 schedule entries", ModeRun, with("NFMM_REPORT_SCHEDULE=" + strings.Repeat("@daily > C0123ABCD;", 1999) + "@daily > C0123ABCD"), []string{
			"NFMM_REPORT_SCHEDULE: 2000 entries; at most 50 are supported",
		}},
	}
	dir := testFiles(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := make([]string, len(tt.env))
			for i, kv := range tt.env {
				env[i] = strings.ReplaceAll(kv, "$DIR", dir)
			}
			cfg, err := LoadEnviron(env, tt.mode)
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("err = %v, want *config.Error", err)
			}
			var got []string
			for _, p := range cerr.Problems {
				got = append(got, p.Error())
			}
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = strings.ReplaceAll(w, "$DIR", dir)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("problems:\n got %q\nwant %q", got, want)
			}
			assertNoSecret(t, err.Error(), strings.Join(cfg.Warnings, "\n"), cfg.String())
		})
	}
}

// manyNodes is a CMS_NODES value with n valid nodes.
func manyNodes(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "cb%d=https://cb%d.example.com:445", i+1, i+1)
	}
	return b.String()
}

func assertNoSecret(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, "SECRET") {
			t.Errorf("secret leaked into %q", s)
		}
	}
}

// testFiles writes a valid CA bundle and a file without certificates.
func testFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"ca.pem":     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"notpem.txt": []byte("not a certificate\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestErrorUnwrap(t *testing.T) {
	_, err := LoadEnviron(with("CMS_CA_FILE=/nonexistent/ca.pem"), ModeRun)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false, want true through *Error and *Problem", err)
	}
	var p *Problem
	if !errors.As(err, &p) || p.Var != "CMS_CA_FILE" {
		t.Errorf("errors.As problem = %+v, want CMS_CA_FILE", p)
	}
	want := "invalid configuration (1 problem):\n  CMS_CA_FILE: cannot read the CA bundle: open /nonexistent/ca.pem: no such file or directory"
	if err.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", err, want)
	}
}
