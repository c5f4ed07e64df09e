package config

import (
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/alerts"
)

func TestAlertConfig(t *testing.T) {
	base := []string{"CMS_NODES=sim"}
	tests := []struct {
		name    string
		env     []string
		wantErr string // substring of the one problem; "" = valid
		check   func(t *testing.T, a Alerts)
	}{
		{name: "off by default", check: func(t *testing.T, a Alerts) {
			if a.Enabled() || a.NodeDownAfter != 30*time.Second || a.MediaAfter != time.Minute || a.Repeat != 4*time.Hour {
				t.Errorf("defaults: %+v", a)
			}
		}},
		{name: "one channel", env: []string{"NFMM_ALERT_CHANNEL=C0ALL"}, check: func(t *testing.T, a Alerts) {
			if !a.Enabled() || a.ChannelFor(alerts.KindPoorMedia) != "C0ALL" {
				t.Errorf("%+v", a)
			}
		}},
		{name: "routes and a fallback", env: []string{"NFMM_ALERT_CHANNEL=C0ALL",
			"NFMM_ALERT_ROUTES=node_down,alarm > C0OPS; poor_media > C0QUALITY"},
			check: func(t *testing.T, a Alerts) {
				for k, want := range map[alerts.Kind]string{alerts.KindNodeDown: "C0OPS", alerts.KindAlarm: "C0OPS",
					alerts.KindPoorMedia: "C0QUALITY", alerts.KindCapacity: "C0ALL"} {
					if got := a.ChannelFor(k); got != want {
						t.Errorf("ChannelFor(%s) = %q, want %q", k, got, want)
					}
				}
			}},
		{name: "routes only leave other kinds out", env: []string{"NFMM_ALERT_ROUTES=Node_Down > #ops"},
			check: func(t *testing.T, a Alerts) {
				if a.ChannelFor(alerts.KindNodeDown) != "#ops" || a.ChannelFor(alerts.KindAlarm) != "" {
					t.Errorf("%+v", a)
				}
			}},
		{name: "thresholds", env: []string{"NFMM_ALERT_CHANNEL=C0ALL", "NFMM_ALERT_NODE_DOWN_AFTER=45s",
			"NFMM_ALERT_MEDIA_AFTER=2m", "NFMM_ALERT_REPEAT=1h", "NFMM_ALERT_MEETING_MAX=200", "NFMM_ALERT_NODE_SHARE=60%"},
			check: func(t *testing.T, a Alerts) {
				if a.NodeDownAfter != 45*time.Second || a.MediaAfter != 2*time.Minute || a.Repeat != time.Hour ||
					a.MeetingMax != 200 || a.NodeShare != 0.6 {
					t.Errorf("%+v", a)
				}
			}},
		{name: "entry without a channel", env: []string{"NFMM_ALERT_ROUTES=node_down C0OPS"},
			wantErr: `NFMM_ALERT_ROUTES: entry 1 "node_down C0OPS": want KIND[,KIND…] > CHANNEL`},
		{name: "unknown kind", env: []string{"NFMM_ALERT_ROUTES=node_down,nodedown > C0OPS"},
			wantErr: `entry 1: unknown alert kind "nodedown" (kinds: node_down, alarm, licensing, poor_media, capacity, recording, presenter, cdr_receivers)`},
		{name: "kind routed twice", env: []string{"NFMM_ALERT_ROUTES=alarm > C0OPS; alarm > C0B"},
			wantErr: "entry 2: kind alarm is already routed by entry 1"},
		{name: "bad channel", env: []string{"NFMM_ALERT_ROUTES=alarm > ops room"},
			wantErr: `entry 1: "ops room" is not a channel id`},
		{name: "bad fallback channel", env: []string{"NFMM_ALERT_CHANNEL=ops"},
			wantErr: `NFMM_ALERT_CHANNEL: "ops" is not a channel id`},
		{name: "share out of range", env: []string{"NFMM_ALERT_NODE_SHARE=1.5"},
			wantErr: `NFMM_ALERT_NODE_SHARE: "1.5" is not a share between 0 and 1`},
		{name: "delay too short", env: []string{"NFMM_ALERT_NODE_DOWN_AFTER=10ms"},
			wantErr: "NFMM_ALERT_NODE_DOWN_AFTER: 10ms is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadEnviron(append(append([]string{}, base...), tt.env...), ModeExec)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, cfg.Alerts)
			}
		})
	}
}
