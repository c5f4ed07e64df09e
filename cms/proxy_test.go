package cms

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// connectProxy is an HTTP CONNECT proxy on loopback that records the targets it was asked for
// and tunnels each to dial(target).
type connectProxy struct {
	URL *url.URL

	mu      sync.Mutex
	targets []string
}

func startConnectProxy(t *testing.T, dial func(target string) string) *connectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{URL: &url.URL{Scheme: "http", Host: ln.Addr().String()}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c, dial)
		}
	}()
	return p
}

func (p *connectProxy) serve(c net.Conn, dial func(string) string) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, req.Host)
	p.mu.Unlock()
	up, err := net.Dial("tcp", dial(req.Host))
	if err != nil {
		_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	_, _ = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() { _, _ = io.Copy(up, br) }()
	_, _ = io.Copy(c, up)
}

func (p *connectProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.targets)
}

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
	proxy := startConnectProxy(t, func(string) string { return simURL.Host })
	tr := sim.HTTPClient().Transport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyURL(proxy.URL)
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
	restConnects := len(proxy.seen())
	token, err := n.eventsToken(ctx)
	if err != nil {
		t.Fatalf("events token through the proxy: %v", err)
	}
	ws, err := n.dialEvents(ctx, token)
	if err != nil {
		t.Fatalf("events websocket through the proxy: %v", err)
	}
	ws.Close()
	seen := proxy.seen()
	if restConnects == 0 || len(seen) <= restConnects {
		t.Errorf("proxy saw %d CONNECTs after REST and %d in all; the events socket did not use it", restConnects, len(seen))
	}
	for _, s := range seen {
		if s != name+":"+simURL.Port() {
			t.Errorf("proxy asked for %q, want %s:%s", s, name, simURL.Port())
		}
	}
}
