package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadDotEnv(t *testing.T) {
	tests := []struct {
		name     string
		content  string // "" = no file
		perm     os.FileMode
		preset   map[string]string // real environment before loading
		want     map[string]string // environment after loading
		warnings []string          // a substring of each warning, in order
		errWant  string            // substring of the error; "" = no error
	}{
		{name: "missing file is fine", want: map[string]string{"NFMM_T_A": ""}},
		{
			name:    "file values are used, real environment wins",
			content: "NFMM_T_A=from-file\nexport NFMM_T_B=\"quoted value\"\n# comment\nNFMM_T_C=file\n",
			perm:    0o600,
			preset:  map[string]string{"NFMM_T_C": "real"},
			want:    map[string]string{"NFMM_T_A": "from-file", "NFMM_T_B": "quoted value", "NFMM_T_C": "real"},
		},
		{
			name:    "an empty real variable still wins",
			content: "NFMM_T_A=file\n",
			perm:    0o600,
			preset:  map[string]string{"NFMM_T_A": ""},
			want:    map[string]string{"NFMM_T_A": ""},
		},
		{
			name:     "world-readable file warns",
			content:  "NFMM_T_A=x\n",
			perm:     0o644,
			want:     map[string]string{"NFMM_T_A": "x"},
			warnings: []string{"readable by every user on this machine (mode 0644) and holds secrets: chmod 600"},
		},
		{
			name:     "world-writable file warns too",
			content:  "NFMM_T_A=x\n",
			perm:     0o666,
			want:     map[string]string{"NFMM_T_A": "x"},
			warnings: []string{"writable by every user on this machine (mode 0666): anyone could change NFMM's configuration: chmod 600", "readable by every user"},
		},
		{
			name:     "group- or world-writable but not readable still warns",
			content:  "NFMM_T_A=x\n",
			perm:     0o602,
			want:     map[string]string{"NFMM_T_A": "x"},
			warnings: []string{"writable by every user on this machine (mode 0602)"},
		},
		{
			// godotenv expands $NAME (to "" when the file does not define NAME): abc$HOME was "abc".
			name:    "dollar signs are literal in every quoting style, with a warning that names the variable only",
			content: "NFMM_T_A=abc$HOME\nNFMM_T_B=\"x${NFMM_T_A}y\"\nNFMM_T_C='SECRET$PATH'\nSLACK_BOT_TOKEN=p$a$$w0rd$\n",
			perm:    0o600,
			want:    map[string]string{"NFMM_T_A": "abc$HOME", "NFMM_T_B": "x${NFMM_T_A}y", "NFMM_T_C": "SECRET$PATH", "SLACK_BOT_TOKEN": "p$a$$w0rd$"},
			warnings: []string{
				"NFMM_T_A contains $NAME; NFMM takes it literally", "NFMM_T_B contains $NAME", "NFMM_T_C contains $NAME", "SLACK_BOT_TOKEN contains $NAME",
			},
		},
		{
			name:    "syntax error names the line, not the content",
			content: "NFMM_T_A=ok\nSLACK_BOT_TOKEN=\"xoxb-SECRET-unterminated\n",
			perm:    0o600,
			errWant: "syntax error near line 2 (check quoting)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"NFMM_T_A", "NFMM_T_B", "NFMM_T_C", "SLACK_BOT_TOKEN"} {
				t.Setenv(k, "") // registers restoration
				os.Unsetenv(k)
			}
			for k, v := range tt.preset {
				t.Setenv(k, v)
			}
			path := filepath.Join(t.TempDir(), ".env")
			if tt.content != "" {
				if err := os.WriteFile(path, []byte(tt.content), tt.perm); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.perm); err != nil { // umask-proof
					t.Fatal(err)
				}
			}
			warnings, err := LoadDotEnv(path)
			if tt.errWant != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errWant) {
					t.Fatalf("err = %v, want %q", err, tt.errWant)
				}
				assertNoSecret(t, err.Error())
				return
			}
			if err != nil {
				t.Fatalf("LoadDotEnv: %v", err)
			}
			if len(warnings) != len(tt.warnings) {
				t.Fatalf("warnings = %q, want %d", warnings, len(tt.warnings))
			}
			for i, w := range warnings {
				if !strings.Contains(w, tt.warnings[i]) {
					t.Errorf("warning %q, want it to contain %q", w, tt.warnings[i])
				}
				assertNoSecret(t, w)
			}
			for k, want := range tt.want {
				if got := os.Getenv(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

// TestEnvExample keeps .env.example loadable: every default in it must pass validation.
func TestEnvExample(t *testing.T) {
	data, err := os.ReadFile("../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	vars, err := parseDotEnv(data)
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	for _, mode := range []Mode{ModeExec, ModeDemo, ModeSim} {
		c, err := LoadEnviron(env, mode)
		if err != nil {
			t.Errorf("mode %s: %v", mode, err)
		}
		if c.SimNodes != DefaultSimNodes || c.HTTPAddr != DefaultHTTPAddr {
			t.Errorf("mode %s: SimNodes=%d HTTPAddr=%q, want the defaults", mode, c.SimNodes, c.HTTPAddr)
		}
	}
	// Run mode: only the two tokens are missing.
	_, err = LoadEnviron(env, ModeRun)
	var cerr *Error
	if !errors.As(err, &cerr) || len(cerr.Problems) != 2 {
		t.Errorf("run mode: %v, want exactly the two token problems", err)
	}
}
