package config

import (
	"errors"
	"strings"
	"testing"
)

func TestLoadCDR(t *testing.T) {
	const token = "0123456789abcdef0123"
	good := "https://nfmm.corp.test:8443/cdr/" + token
	tests := []struct {
		name    string
		env     []string
		want    CDR
		problem string // a problem naming this text, or none
		warning string
	}{
		{"off by default", nil, CDR{HistoryDays: 90}, "", ""},
		{"on", []string{"NFMM_CDR_URL=" + good}, CDR{URL: Secret(good), Token: token, Addr: ":8443", HistoryDays: 90}, "", ""},
		{"address and retention", []string{"NFMM_CDR_URL=" + good, "NFMM_CDR_ADDR=10.0.0.5:9443", "NFMM_HISTORY_DAYS=30"},
			CDR{URL: Secret(good), Token: token, Addr: "10.0.0.5:9443", HistoryDays: 30}, "", ""},
		{"http warns", []string{"NFMM_CDR_URL=http://10.0.0.5:8080/cdr/" + token},
			CDR{URL: Secret("http://10.0.0.5:8080/cdr/" + token), Token: token, Addr: ":8443", HistoryDays: 90}, "", "in clear"},
		{"address alone warns", []string{"NFMM_CDR_ADDR=:9000"}, CDR{HistoryDays: 90}, "", "NFMM_CDR_URL is not"},
		{"not a URL", []string{"NFMM_CDR_URL=nfmm:8443"}, CDR{HistoryDays: 90}, "NFMM_CDR_URL", ""},
		{"ftp", []string{"NFMM_CDR_URL=ftp://nfmm/cdr/" + token}, CDR{HistoryDays: 90}, "http(s) URL", ""},
		{"no token", []string{"NFMM_CDR_URL=https://nfmm.corp.test/cdr/"}, CDR{HistoryDays: 90}, "/cdr/<token>", ""},
		{"short token", []string{"NFMM_CDR_URL=https://nfmm.corp.test/cdr/abc"}, CDR{HistoryDays: 90}, "16–128", ""},
		{"wrong path", []string{"NFMM_CDR_URL=https://nfmm.corp.test/x/" + token}, CDR{HistoryDays: 90}, "/cdr/<token>", ""},
		{"query", []string{"NFMM_CDR_URL=" + good + "?node=cb1"}, CDR{HistoryDays: 90}, "query string", ""},
		{"user", []string{"NFMM_CDR_URL=https://u:p@nfmm.corp.test/cdr/" + token}, CDR{HistoryDays: 90}, "no user", ""},
		{"bad address", []string{"NFMM_CDR_URL=" + good, "NFMM_CDR_ADDR=8443"}, CDR{URL: Secret(good), Token: token, Addr: ":8443", HistoryDays: 90}, "NFMM_CDR_ADDR", ""},
		{"bad days", []string{"NFMM_HISTORY_DAYS=0"}, CDR{HistoryDays: 90}, "NFMM_HISTORY_DAYS", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadEnviron(with(tt.env...), ModeRun)
			var cerr *Error
			switch {
			case tt.problem == "" && err != nil:
				t.Fatalf("unexpected: %v", err)
			case tt.problem != "" && (!errors.As(err, &cerr) || !strings.Contains(err.Error(), tt.problem)):
				t.Fatalf("err = %v, want a problem about %q", err, tt.problem)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("the token is echoed: %v", err)
			}
			if tt.problem == "" {
				eq(t, "CDR", c.CDR, tt.want)
			}
			if tt.warning != "" && !strings.Contains(strings.Join(c.Warnings, "\n"), tt.warning) {
				t.Errorf("warnings %q, want %q", c.Warnings, tt.warning)
			}
			if strings.Contains(c.String(), token) {
				t.Error("the configuration description shows the token")
			}
		})
	}
}
