package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/client"
)

// TestRejoinBacksOff: against a node whose /ws refuses every handshake
// (a room not back yet looks the same to Rejoin: a failed round), Rejoin
// tries again with growing pauses, not every 100 ms: over 2.5 s, rounds
// at about 0, 0.05–0.1, 0.15–0.3, 0.35–0.7, 0.75–1.5 and then at most
// one a second — at most 9 rounds, against the 25 a fixed 100 ms made.
// It returns ctx's error with the last failure.
func TestRejoinBacksOff(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "not yet", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	eng, err := client.NewEngine(1)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	c, _, err := client.Rejoin(ctx, []string{srv.URL}, "token", "room", 0, client.Options{Engine: eng})
	if c != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Rejoin = %v, %v: want the deadline's error", c, err)
	}
	if n := hits.Load(); n < 4 || n > 9 {
		t.Errorf("%d handshakes in 2.5 s: want 4..9 (backoff from 100 ms to %v)", n, client.RejoinMaxRetry)
	}
}
