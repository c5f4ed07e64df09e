// Package connectproxy is an HTTP CONNECT proxy on loopback for tests: it records what it was
// asked to reach and tunnels every request to one upstream address, or refuses them all.
package connectproxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
)

// Proxy is a running proxy; Addr is its host:port on 127.0.0.1.
type Proxy struct {
	Addr     string
	upstream string

	mu   sync.Mutex
	seen []string
}

// Start serves until the test ends. Every CONNECT is tunnelled to upstream whatever host it
// names (so a test can use names that never resolve); with upstream "" each is refused (502).
func Start(t testing.TB, upstream string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &Proxy{Addr: ln.Addr().String(), upstream: upstream}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

// URL is the proxy as HTTPS_PROXY spells it.
func (p *Proxy) URL() string { return "http://" + p.Addr }

// Seen lists the requests so far as "METHOD host:port", in order.
func (p *Proxy) Seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen)
}

func (p *Proxy) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.seen = append(p.seen, req.Method+" "+req.Host)
	p.mu.Unlock()
	if req.Method != http.MethodConnect || p.upstream == "" {
		_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer up.Close()
	_, _ = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() { _, _ = io.Copy(up, br) }()
	_, _ = io.Copy(c, up)
}
