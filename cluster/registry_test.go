package cluster

import (
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// The backstop judges a node silent only against this node's own beats
// arriving through the same watch: a stalled watch stops both and judges
// no one, a live watch drops the node that stopped.
func TestRegistryExpireNeedsALiveWatch(t *testing.T) {
	const ttl = 5 * time.Second
	t0 := time.Unix(1_000_000, 0)
	cases := []struct {
		name      string
		me, other time.Duration // when each was last seen, after t0
		now       time.Duration
		dropped   bool
	}{
		// The watch stalled at t0+0.5 s: the other's last beat came 0.5 s
		// before this node's own, so it is past the TTL first.
		{"stalled watch, the other's beat just before mine", 500 * time.Millisecond, 0, 5200 * time.Millisecond, false},
		{"stalled watch past the TTL for both", 500 * time.Millisecond, 0, 7 * time.Second, false},
		{"live watch, the other silent", 5300 * time.Millisecond, 0, 5400 * time.Millisecond, true},
		{"live watch, the other beating", 5300 * time.Millisecond, 4 * time.Second, 5400 * time.Millisecond, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var gone []string
			r := &registry{self: "me", ttl: ttl, log: zerolog.Nop(), wake: make(chan struct{}), nodes: map[string]seenNode{
				"me":    {info: NodeInfo{Name: "me"}, seen: t0.Add(tc.me)},
				"other": {info: NodeInfo{Name: "other"}, seen: t0.Add(tc.other)},
			}}
			r.gone = func(name string) { gone = append(gone, name) }
			r.expire(t0.Add(tc.now))
			if got := slices.Contains(gone, "other"); got != tc.dropped {
				t.Fatalf("other dropped = %v, want %v (gone: %v)", got, tc.dropped, gone)
			}
			if slices.Contains(gone, "me") {
				t.Fatal("this node dropped itself")
			}
		})
	}
}
