package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultAddr is the admin listener's address in the docs' examples:
// loopback, so the admin port is reachable from the host only unless the
// operator says otherwise.
const DefaultAddr = "127.0.0.1:9090"

// Server is the admin listener: a plain net/http server (not the game
// port's nbio engine: the admin port carries a handful of requests and a
// few long-lived event streams, which net/http serves simply, and keeping
// it apart means a flood on the game port cannot lock the operator out).
type Server struct {
	admin *Admin
	hs    *http.Server
	ln    net.Listener
	wg    sync.WaitGroup
	once  sync.Once
	serr  error // Shutdown's result, for the calls after the first
	err   error // Serve's error other than ErrServerClosed; read after wg
}

// Listen listens on addr and serves a on it until Shutdown. An address
// without a host (":9090", or "9090") is loopback (127.0.0.1:9090), unlike
// net.Listen: every interface must be asked for ("0.0.0.0:9090").
func Listen(addr string, a *Admin) (*Server, error) {
	addr = LoopbackDefault(addr)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin listen %s: %w", addr, err)
	}
	s := &Server{admin: a, ln: ln, hs: &http.Server{
		Handler:           a,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		// No WriteTimeout: the event stream is long-lived; pprof's
		// profile and trace take ?seconds= too.
		IdleTimeout:    60 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       nil,
	}}
	s.wg.Go(func() {
		if err := s.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.err = err
			a.log.Error().Err(err).Msg("admin listener failed")
		}
	})
	a.log.Info().Str("url", "http://"+ln.Addr().String()+"/monitor").Msg("admin listening")
	return s, nil
}

// LoopbackDefault returns addr with 127.0.0.1 as its host when it has
// none (":9090" or "9090"), and addr unchanged otherwise.
func LoopbackDefault(addr string) string {
	if !strings.Contains(addr, ":") {
		addr = ":" + addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "" {
		return addr
	}
	return net.JoinHostPort("127.0.0.1", port)
}

// Addr is the address the listener is bound to.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is http://ADDR.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Shutdown stops the listener, closes the Admin (its sampler and event
// streams, which http.Server.Shutdown would otherwise wait for) and waits
// for the requests in flight, or for ctx. Calls after the first return
// the first one's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.once.Do(func() {
		s.admin.Close()
		err := s.hs.Shutdown(ctx)
		s.wg.Wait()
		s.serr = errors.Join(err, s.err)
	})
	return s.serr
}
