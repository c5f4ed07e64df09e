package config

import (
	"strings"
	"testing"
)

// FuzzLoad: bad input never panics and never echoes the password. The seeds run in every
// `go test`; `go test -fuzz=FuzzLoad ./config` explores further.
func FuzzLoad(f *testing.F) {
	for _, seed := range [][3]string{
		{"cb1=https://a.example.com", "@daily > C0123ABCD", "127.0.0.1:9090"},
		{"sim:", "CRON_TZ=", ":"},
		{"=", "CRON_TZ=UTC", "off"},
		{"cb1=https://u:p@[::1", "TZ=\t@daily", "[::1]:99999"},
		{"cb1=http://[::1]:8443/api/v1/", ">>", "::"},
		{"a=b=c,,sim", "0 0 * * * * *;;", "host:"},
		{"cb1=%zz", "@every -1s > #x", "%"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, nodes, schedule, addr string) {
		env := []string{
			"SLACK_BOT_TOKEN=" + botToken, "SLACK_APP_TOKEN=" + appToken,
			"CMS_NODES=" + nodes, "CMS_USERNAME=u", "CMS_PASSWORD=" + password,
			"NFMM_REPORT_SCHEDULE=" + schedule, "NFMM_HTTP_ADDR=" + addr,
		}
		c, err := LoadEnviron(env, ModeRun)
		texts := []string{c.String(), strings.Join(c.Warnings, "\n")}
		if err != nil {
			texts = append(texts, err.Error())
		}
		for _, s := range texts {
			if strings.Contains(s, password) || strings.Contains(s, botToken) {
				t.Fatalf("secret leaked: %q", s)
			}
		}
	})
}
