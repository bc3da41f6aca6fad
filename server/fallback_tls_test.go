//go:build !race

// nbio's TLS path trips the race detector inside nbio and llib (see
// tls_test.go); the test script runs this file without -race.

package server_test

import (
	"crypto/tls"
	"net/http"
	"testing"

	"github.com/rs/zerolog"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
)

// TestFallbackOverTLS: the fallback's hijacked stream works over https://
// (llib's TLS over nbio): Welcome, a request and its reply, a close code.
func TestFallbackOverTLS(t *testing.T) {
	cert, pool := testCert(t)
	s := startCounterServer(t, server.Options{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, Logger: zerolog.Nop()})
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	c, status, reason := tryOpenFallbackWith(t, s, &http.Client{Transport: tr}, "", "")
	if c == nil {
		t.Fatalf("open over TLS: %d %s", status, reason)
	}
	if w := c.recv().GetWelcome(); w == nil {
		t.Fatal("no Welcome")
	}
	c.send(&protocol.Envelope{Ref: 1, Msg: &tickwirev1.Envelope_Ping{Ping: &tickwirev1.Ping{ClientTimeUnixNano: 3}}})
	if env := c.recv(); env.Ref != 1 || env.GetPong().GetClientTimeUnixNano() != 3 {
		t.Fatalf("ping answered by %v", env)
	}
	if status, _ := c.post(c.sid, frame(t, &protocol.Envelope{Msg: &tickwirev1.Envelope_Hello{Hello: &tickwirev1.Hello{ProtocolVersion: 99}}})); status != http.StatusGone {
		t.Errorf("unsupported Hello: %d, want 410", status)
	}
	c.expectClose(4003, "unsupported protocol version")
}
