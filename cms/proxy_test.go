package cms

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/internal/connectproxy"
)

// TestRequestsAndEventsUseTheTransportsProxy: a node's REST requests and its events websocket
// both go through the proxy its transport names (from HTTPS_PROXY/NO_PROXY in production,
// where the transport is http.DefaultTransport's clone).
func TestRequestsAndEventsUseTheTransportsProxy(t *testing.T) {
	sim, err := cmssim.Start(cmssim.Options{Nodes: 1, TLS: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	info := sim.Nodes()[0]
	simURL, _ := url.Parse(info.URL)
	// The node is configured by a name only the proxy can resolve (the client never looks it up).
	const name = "cb1.nfmm-proxy-test.invalid"
	proxy := connectproxy.Start(t, simURL.Host)
	tr := sim.HTTPClient().Transport.(*http.Transport).Clone()
	proxyURL, _ := url.Parse(proxy.URL())
	tr.Proxy = http.ProxyURL(proxyURL)
	tr.TLSClientConfig.InsecureSkipVerify = true // the emulator's certificate names 127.0.0.1
	n, err := NewNode(NodeConfig{Name: "cb1", BaseURL: "https://" + name + ":" + simURL.Port(), Username: sim.Username,
		Password: sim.Password, HTTPClient: &http.Client{Transport: tr}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := n.SystemStatus(ctx); err != nil {
		t.Fatalf("status through the proxy: %v", err)
	}
	restConnects := len(proxy.Seen())
	token, err := n.eventsToken(ctx)
	if err != nil {
		t.Fatalf("events token through the proxy: %v", err)
	}
	ws, err := n.dialEvents(ctx, token)
	if err != nil {
		t.Fatalf("events websocket through the proxy: %v", err)
	}
	ws.Close()
	seen := proxy.Seen()
	if restConnects == 0 || len(seen) <= restConnects {
		t.Errorf("proxy saw %d CONNECTs after REST and %d in all; the events socket did not use it", restConnects, len(seen))
	}
	for _, s := range seen {
		if s != "CONNECT "+name+":"+simURL.Port() {
			t.Errorf("proxy asked for %q, want CONNECT %s:%s", s, name, simURL.Port())
		}
	}
}
