package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server serves /healthz and /metrics.
type Server struct {
	addr   string
	srv    *http.Server
	logger *slog.Logger

	mu       sync.Mutex
	listener net.Listener
	done     chan struct{} // closed when Serve returns
	serveErr error
}

// NewServer prepares the operations server on addr (host:port; port 0 picks a free one).
// health is called on every /healthz request; reg backs /metrics (nil: no /metrics).
func NewServer(addr string, health func(context.Context) HealthReport, reg *prometheus.Registry, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{addr: addr, logger: logger}
	s.srv = &http.Server{
		Handler:           s.routes(health, reg),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s
}

func (s *Server) routes(health func(context.Context) HealthReport, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", healthHandler(health, s.logger))
	if reg != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
			Registry:          reg, // exposes promhttp's own error counters
			EnableOpenMetrics: true,
		}))
	}
	return mux
}

// Handler is the routing, for tests and for mounting elsewhere.
func (s *Server) Handler() http.Handler { return s.srv.Handler }

// Start listens (so a busy port is reported at once) and serves in the background until
// Shutdown. ctx bounds only the listen and is the parent of every request's context.
func (s *Server) Start(ctx context.Context) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("ops: listen on %s: %w", s.addr, err)
	}
	base := context.WithoutCancel(ctx) // requests may finish during a graceful shutdown
	s.srv.BaseContext = func(net.Listener) context.Context { return base }
	s.mu.Lock()
	s.listener, s.done = ln, make(chan struct{})
	s.mu.Unlock()
	s.logger.Info("operations endpoint listening", "addr", ln.Addr().String())
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("operations endpoint stopped", "err", err)
			s.mu.Lock()
			s.serveErr = err
			s.mu.Unlock()
		}
	}()
	return nil
}

// Addr is the listening address once started (useful with port 0), else the configured one.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener != nil {
		return s.listener.Addr().String()
	}
	return s.addr
}

// Shutdown stops accepting connections and waits for in-flight requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done == nil {
		return nil
	}
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("ops: shutdown: %w", err)
	}
	<-done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serveErr
}

// Run is Start, then Shutdown (bounded by grace) once ctx is done: one errgroup member.
func (s *Server) Run(ctx context.Context, grace time.Duration) error {
	if err := s.Start(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	select {
	case <-ctx.Done():
	case <-done: // Serve failed on its own
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	return s.Shutdown(sctx)
}
