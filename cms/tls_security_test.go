package cms

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TLS to CMS is verified by default: a node presenting a certificate from another CA fails with
// an error that names the node and says the certificate is not trusted.
func TestWrongCAFailsClearly(t *testing.T) {
	serve := func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<cluster><uniqueName>cb1</uniqueName></cluster>`)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(serve))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failures are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	wrongCA := filepath.Join(t.TempDir(), "wrong-ca.pem")
	if err := os.WriteFile(wrongCA, otherCA(t), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		cfg  NodeConfig
	}{
		{"system roots only", NodeConfig{}},
		{"wrong CA file", NodeConfig{CAFile: wrongCA}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Name, cfg.BaseURL, cfg.Password = "cb-tls", srv.URL, testPassword
			n, err := NewNode(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = n.ClusterConfig(context.Background())
			if !errors.Is(err, ErrCertificate) || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("err = %v, want ErrCertificate (and ErrUnavailable)", err)
			}
			msg := err.Error()
			for _, want := range []string{"cb-tls", "certificate"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
			if strings.Contains(msg, testPassword) {
				t.Errorf("error %q contains the password", msg)
			}
		})
	}
}

// otherCA is a freshly generated CA certificate (PEM) that signed nothing we serve.
func otherCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Some Other CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestOtherTransportErrorsAreNotCertificateErrors(t *testing.T) {
	for _, err := range []error{
		&TransportError{Node: "cb1", Err: context.DeadlineExceeded},
		&TransportError{Node: "cb1", Err: ErrMalformedResponse},
		&TransportError{Node: "cb1", Err: errors.New("connection refused")},
	} {
		if errors.Is(err, ErrCertificate) {
			t.Errorf("%v matches ErrCertificate", err)
		}
	}
}
