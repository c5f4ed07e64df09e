// Package deploy holds NFMM's deployment files (Slack app manifest, systemd unit, Kubernetes
// manifests); its only Go code is a test that guards their security-relevant settings.
package deploy
