package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/tickwire/tickwire/client"
)

// dialReturns dials url with a private engine and fails the test if Dial
// does not return within 10 s; it returns Dial's error.
func dialReturns(t *testing.T, url string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		c, err := client.Dial(context.Background(), url, client.Options{})
		if c != nil {
			_ = c.Close(context.Background())
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("Dial %s did not return", url)
		return nil
	}
}

// TestDialFailuresReturn: a refused connection and a refused handshake
// end Dial with an error, and its private engine stops.
func TestDialFailuresReturn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	for range 3 {
		if err := dialReturns(t, "ws://"+closed+"/ws"); err == nil {
			t.Errorf("Dial to a closed port succeeded")
		}
	}

	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no WebSockets here", http.StatusForbidden)
	})}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close(); <-served }()
	err = dialReturns(t, "ws://"+ln.Addr().String()+"/ws")
	var he *client.HandshakeError
	if !errors.As(err, &he) {
		t.Errorf("Dial refused with 403: err = %v, want a HandshakeError", err)
	}
}
