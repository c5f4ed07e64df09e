package deploy

import (
	"os"
	"regexp"
	"testing"
)

func TestDeployFilesKeepTheirHardening(t *testing.T) {
	tests := []struct {
		file string
		want []string // regular expressions, each must match a line
	}{
		{"nfmm.service", []string{
			`^ExecStart=/usr/local/bin/nfmm run$`, `^EnvironmentFile=/etc/nfmm/nfmm.env$`,
			`^DynamicUser=yes$`, `^NoNewPrivileges=yes$`, `^ProtectSystem=strict$`, `^ProtectHome=yes$`,
			`^PrivateTmp=yes$`, `^ReadOnlyPaths=/etc/nfmm$`, `^CapabilityBoundingSet=$`,
			`^RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX$`, `^Restart=on-failure$`,
			`^StateDirectory=nfmm$`, `^Environment=NFMM_DATA_DIR=/var/lib/nfmm$`,
		}},
		{"slack-app-manifest.yaml", []string{
			`^  socket_mode_enabled: true$`, `^    is_enabled: true$`, `^    - command: /cms$`,
			`^      usage_hint: `, `^      - commands\b`, `^      - chat:write\b`,
		}},
		{"kubernetes/deployment.yaml", []string{
			`^  replicas: 1$`, `runAsNonRoot: true`, `readOnlyRootFilesystem: true`,
			`drop: \["ALL"\]`, `allowPrivilegeEscalation: false`, `livenessProbe:`, `readinessProbe:`,
			`path: /healthz`, `limits:`, `requests:`,
			`^          image: [^:]+@sha256:`, // by digest: nothing publishes a :latest
			`claimName: nfmm-data`, `mountPath: /var/lib/nfmm`,
			// The CDR receiver's port, named for the Service, with its opt-in and firewall note.
			`^            - name: cdr$`, `^              containerPort: 8443$`, `NFMM_CDR_URL`, `firewall`,
		}},
		{"kubernetes/service.yaml", []string{
			`^kind: Service$`, `^  name: nfmm-cdr$`, `^  type: ClusterIP$`, `^      port: 8443$`, `^      targetPort: cdr$`,
			`^    app\.kubernetes\.io/name: nfmm$`, `(?i)opt-in`, `NFMM_CDR_URL`, `NFMM_CDR_ADDR`, `(?i)firewall.*call bridges`,
		}},
		{"kubernetes/kustomization.yaml", []string{`^  - deployment\.yaml$`, `^  - service\.yaml$`}},
		{"kubernetes-ha/kustomization.yaml", []string{
			`^  - \.\./kubernetes$`, `value: 2$`, `name: NFMM_DATABASE_URL`, `secretKeyRef:`, `\$patch: delete`,
		}},
		{"kubernetes-ha/pdb.yaml", []string{`^kind: PodDisruptionBudget$`, `^  minAvailable: 1$`}},
		{"../Dockerfile", []string{
			`^FROM golang:1\.26 AS build$`, `CGO_ENABLED=0 go build -trimpath`,
			`-ldflags "-s -w -X main\.version=\$\{VERSION\} -X github\.com/nfmm/nfmm/app\.buildCommit=\$\{COMMIT\}"`,
			`org\.opencontainers\.image\.version="\$\{VERSION\}"`, `org\.opencontainers\.image\.revision="\$\{COMMIT\}"`,
			`org\.opencontainers\.image\.created=`, `org\.opencontainers\.image\.source=`,
			`^FROM gcr\.io/distroless/static`, `^USER nonroot`, `^ENTRYPOINT \["/nfmm"\]$`, `^CMD \["run"\]$`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			for _, re := range tt.want {
				if !regexp.MustCompile(`(?m)` + re).Match(data) {
					t.Errorf("%s lacks a line matching %q", tt.file, re)
				}
			}
		})
	}
	// The HA overlay keeps the base's CDR Service and port: it must not patch them away.
	ha, err := os.ReadFile("kubernetes-ha/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)path: /spec/template/spec/containers/0(/ports)?$|name: nfmm-cdr`).Find(ha); m != nil {
		t.Errorf("the HA overlay replaces the container or the CDR Service: %s", m)
	}
	// The manifest asks for no scope beyond what NFMM uses: the only history it reads is the
	// alert channels' (channels:history, groups:history), to find an alert post whose answer
	// was lost; no DM history, no e-mail, no admin.
	data, err := os.ReadFile("slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^\s*- ((im|mpim):history|\w+:read\.email|admin\S*)`).Find(data); m != nil {
		t.Errorf("manifest asks for an unneeded scope: %s", m)
	}
	for _, scope := range []string{"channels:history", "groups:history"} {
		if !regexp.MustCompile(`(?m)^\s*- ` + scope + `\s*$`).Match(data) {
			t.Errorf("manifest lacks %s, which finding an alert post whose answer was lost needs", scope)
		}
	}
}
