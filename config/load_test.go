package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadGood(t *testing.T) {
	tests := []struct {
		name  string
		mode  Mode
		env   []string
		check func(t *testing.T, c Config)
	}{
		{"defaults", ModeRun, base, func(t *testing.T, c Config) {
			eq(t, "SlackAPIURL", c.SlackAPIURL, DefaultSlackAPIURL)
			eq(t, "Nodes", c.Nodes, []Node{
				{Name: "cb1", URL: "https://cb1.example.com:445", Username: "api", Password: password},
				{Name: "cb2", URL: "https://cb2.example.com", Username: "api", Password: password},
			})
			eq(t, "SimNodes", c.SimNodes, 0)
			eq(t, "CMSTimeout", c.CMSTimeout, 10*time.Second)
			eq(t, "CMSConcurrency", c.CMSConcurrency, 8)
			eq(t, "HTTPAddr", c.HTTPAddr, "127.0.0.1:9090")
			eq(t, "LogLevel", c.LogLevel, "info")
			eq(t, "SlogLevel", c.SlogLevel(), slog.LevelInfo)
			eq(t, "bot token", c.SlackBotToken.Reveal(), botToken)
			eq(t, "app token", c.SlackAppToken.Reveal(), appToken)
		}},
		{"demo needs nothing", ModeDemo, nil, func(t *testing.T, c Config) {
			eq(t, "SimNodes", c.SimNodes, 3)
			eq(t, "bot token set", c.SlackBotToken.IsSet(), false)
		}},
		{"exec with sim:5 ignores tokens", ModeExec, []string{"CMS_NODES=sim:5", "SLACK_BOT_TOKEN=garbage"}, func(t *testing.T, c Config) {
			eq(t, "SimNodes", c.SimNodes, 5)
			eq(t, "bot token set", c.SlackBotToken.IsSet(), false)
		}},
		{"per-node overrides and api path", ModeRun, with(
			"CMS_NODES=cb-1.oslo=https://cb1.example.com:445/api/v1/, lab=http://127.0.0.1:9443/",
			"CMS_CB_1_OSLO_USERNAME=oslo", "CMS_LAB_PASSWORD=labpw"), func(t *testing.T, c Config) {
			eq(t, "Nodes", c.Nodes, []Node{
				{Name: "cb-1.oslo", URL: "https://cb1.example.com:445", Username: "oslo", Password: password},
				{Name: "lab", URL: "http://127.0.0.1:9443", Username: "api", Password: "labpw"},
			})
			eq(t, "Warnings", c.Warnings, []string{"CMS_NODES: node cb-1.oslo: dropped the /api/v1 path from the URL (NFMM adds it)"})
		}},
		{"reports", ModeRun, with(
			"NFMM_REPORT_SCHEDULE=CRON_TZ=Europe/Oslo  0 8 * * 1-5 ; @hourly > #cms-ops;TZ=UTC @daily>G0123ABCD;",
			"NFMM_REPORT_CHANNEL=C0123ABCD", "NFMM_REPORT_QUIET=yes"), func(t *testing.T, c Config) {
			eq(t, "Reports", c.Reports, []Report{
				{Spec: "CRON_TZ=Europe/Oslo 0 8 * * 1-5", Channel: "C0123ABCD"},
				{Spec: "@hourly", Channel: "#cms-ops"},
				{Spec: "CRON_TZ=UTC @daily", Channel: "G0123ABCD"},
			})
			eq(t, "ReportQuiet", c.ReportQuiet, true)
		}},
		{"the limits themselves are accepted", ModeRun, with("CMS_NODES="+manyNodes(24),
			"NFMM_REPORT_SCHEDULE=@every 10s > C0123ABCD;"+strings.Repeat("CRON_TZ=UTC @every 1h30m > C0123ABCD;", MaxReportEntries-2)+"0 8 29 2 * > C0123ABCD",
			"NFMM_HTTP_ADDR=nfmm-ops.internal:9090"), func(t *testing.T, c Config) {
			eq(t, "nodes", len(c.Nodes), 24)
			eq(t, "reports", len(c.Reports), MaxReportEntries)
			eq(t, "first report", c.Reports[0].Spec, "@every 10s")
			eq(t, "leap-day report", c.Reports[MaxReportEntries-1].Spec, "0 8 29 2 *")
			eq(t, "HTTPAddr", c.HTTPAddr, "nfmm-ops.internal:9090")
		}},
		{"a single real node is a valid cluster", ModeExec, []string{"CMS_NODES=cb1=https://cb1.example.com", "CMS_USERNAME=api", "CMS_PASSWORD=pw", "NFMM_HTTP_ADDR=[::1]:9090"}, func(t *testing.T, c Config) {
			eq(t, "nodes", len(c.Nodes), 1)
			eq(t, "HTTPAddr", c.HTTPAddr, "[::1]:9090")
		}},
		{"NFMM_REPORTS is gone: warned about, reports still scheduled", ModeRun, with("NFMM_REPORT_SCHEDULE=@daily > C0123ABCD", "NFMM_REPORTS=off"), func(t *testing.T, c Config) {
			eq(t, "Reports", c.Reports, []Report{{Spec: "@daily", Channel: "C0123ABCD"}})
			eq(t, "Warnings", c.Warnings, []string{"NFMM_REPORTS is no longer used and is ignored: replicas elect a leader that runs the report scheduler"})
		}},
		{"store defaults: SQLite in the working directory, 10 min catch-up", ModeRun, with(), func(t *testing.T, c Config) {
			eq(t, "Store", c.Store, Store{ReportCatchup: 10 * time.Minute})
		}},
		{"store: PostgreSQL, data dir, catch-up and retention", ModeRun, with("NFMM_DATABASE_URL=postgres://nfmm:pw@127.0.0.1:5432/nfmm", "NFMM_DATA_DIR=/var/lib/nfmm",
			"NFMM_REPORT_CATCHUP=0", "NFMM_RETENTION_AUDIT=forever", "NFMM_RETENTION_CLAIMS=2d", "NFMM_RETENTION_LIVE=36h"), func(t *testing.T, c Config) {
			eq(t, "Store", c.Store, Store{DataDir: "/var/lib/nfmm", DatabaseURL: "postgres://nfmm:pw@127.0.0.1:5432/nfmm",
				Retention: Retention{Audit: -1, Claims: 48 * time.Hour, Live: 36 * time.Hour}})
			if strings.Contains(c.String(), "pw") {
				t.Errorf("the configuration description shows the database password:\n%s", c.String())
			}
		}},
		{"policy lists", ModeRun, with("NFMM_OPERATORS= U0123ABCD, S0G1ROUP ,", "NFMM_VIEWERS=*", "NFMM_CHANNELS=C0123ABCD,G0123ABCD,D0123ABCD,*", "NFMM_AUDIT_CHANNEL=#cms-audit", "NFMM_ADMIN_CONTACT= @cms-admins "), func(t *testing.T, c Config) {
			eq(t, "Operators", c.Operators, []string{"U0123ABCD", "S0G1ROUP"})
			eq(t, "Viewers", c.Viewers, []string{"*"})
			eq(t, "Channels", c.Channels, []string{"C0123ABCD", "G0123ABCD", "D0123ABCD", "*"})
			eq(t, "AuditChannel", c.AuditChannel, "#cms-audit")
			eq(t, "AdminContact", c.AdminContact, "@cms-admins")
		}},
		{"tuning and operations", ModeRun, with("CMS_TIMEOUT=2500ms", "CMS_CONCURRENCY=64", "CMS_INSECURE_SKIP_VERIFY=TRUE",
			"NFMM_HTTP_ADDR=off", "NFMM_LOG_LEVEL=DEBUG", "SLACK_API_URL=http://127.0.0.1:8080/api"), func(t *testing.T, c Config) {
			eq(t, "CMSTimeout", c.CMSTimeout, 2500*time.Millisecond)
			eq(t, "CMSConcurrency", c.CMSConcurrency, 64)
			eq(t, "InsecureSkipVerify", c.InsecureSkipVerify, true)
			eq(t, "HTTPAddr", c.HTTPAddr, "")
			eq(t, "SlogLevel", c.SlogLevel(), slog.LevelDebug)
			eq(t, "SlackAPIURL", c.SlackAPIURL, "http://127.0.0.1:8080/api/")
		}},
		{"sim ignores stale overrides with a warning", ModeRun, with("CMS_NODES=sim", "CMS_CB1_PASSWORD=x"), func(t *testing.T, c Config) {
			eq(t, "SimNodes", c.SimNodes, 3)
			eq(t, "Warnings", c.Warnings, []string{"CMS_CB1_PASSWORD: ignored, CMS_NODES=sim needs no credentials"})
		}},
		{"CA file", ModeRun, with("CMS_CA_FILE=$DIR/ca.pem"), func(t *testing.T, c Config) {
			if !strings.HasSuffix(c.CAFile, "/ca.pem") {
				t.Errorf("CAFile = %q", c.CAFile)
			}
		}},
	}
	dir := testFiles(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := make([]string, len(tt.env))
			for i, kv := range tt.env {
				env[i] = strings.ReplaceAll(kv, "$DIR", dir)
			}
			c, err := LoadEnviron(env, tt.mode)
			if err != nil {
				t.Fatalf("LoadEnviron: %v", err)
			}
			tt.check(t, c)
			assertNoSecret(t, c.String(), strings.Join(c.Warnings, "\n"))
		})
	}
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func TestLoadUsesProcessEnvironmentForOverrideNames(t *testing.T) {
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("CMS_CB9_USERNAME", "x")
	_, err := Load(func(k string) string { return lookup(k) }, ModeRun)
	if err == nil || !strings.Contains(err.Error(), "CMS_CB9_USERNAME: no node named cb9 in CMS_NODES") {
		t.Errorf("Load error = %v, want the unknown override reported", err)
	}
}

func lookup(k string) string {
	for _, kv := range append(base, "CMS_CB9_USERNAME=x") {
		if name, v, _ := strings.Cut(kv, "="); name == k {
			return v
		}
	}
	return ""
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret(password)
	cfg, err := LoadEnviron(base, ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	logger.Info("start", "cfg", cfg, "pw", s)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("start", "cfg", cfg, "pw", s)
	js, err := json.Marshal(struct {
		C Config
		S Secret
	}{cfg, s})
	if err != nil {
		t.Fatal(err)
	}
	txt, _ := s.MarshalText()
	outputs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %s %q %#v %+v", s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg), cfg.String(), string(js), string(txt), logged.String(),
	}
	for _, out := range outputs {
		assertNoSecret(t, out)
		if strings.Contains(out, password) || strings.Contains(out, botToken) {
			t.Errorf("secret in %q", out)
		}
	}
	if !strings.Contains(cfg.String(), "slack_bot_token=<set>") || !strings.Contains(string(js), `"\u003csecret\u003e"`) {
		t.Errorf("redaction markers missing:\n%s\n%s", cfg, js)
	}
	if s.Reveal() != password {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
}
