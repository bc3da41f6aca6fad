package channel_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tickwire/tickwire/channel"
	"github.com/tickwire/tickwire/protocol"
)

// counter is the cheapest Subscriber: it counts frames and their bytes.
// The hub's own behaviour over real sessions is tested in server/ (the
// loopback tests); this one isolates the hub for its unit tests and the
// fan-out benchmark.
type counter struct {
	player string
	n      atomic.Int64
	bytes  atomic.Int64
}

func (c *counter) Deliver(frame []byte) bool {
	c.n.Add(1)
	c.bytes.Add(int64(len(frame)))
	return true
}
func (c *counter) Player() string     { return c.player }
func (c *counter) InRoom(string) bool { return false }

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"a", "chat:lobby", "room:ab12:chat", "feed:x/y@z.1_2-3"} {
		if err := channel.CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "with space", "é", string(make([]byte, 129))} {
		if err := channel.CheckName(bad); err == nil {
			t.Errorf("CheckName(%q) = nil", bad)
		}
	}
	if id, ok := channel.RoomOfChat(channel.RoomChat("q7bd2kxa")); !ok || id != "q7bd2kxa" {
		t.Errorf("RoomOfChat = %q %v", id, ok)
	}
	for _, bad := range []string{"room::chat", "room:a:b:chat", "chat:a", "room:a"} {
		if _, ok := channel.RoomOfChat(bad); ok {
			t.Errorf("RoomOfChat(%q) ok", bad)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	_, err := channel.NewHub(channel.Options{History: -1, MaxSubscriptions: -1, Rules: []channel.Rule{{Prefix: ""}, {Prefix: "a b"}}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, field := range []string{"History", "MaxSubscriptions", "rule 0", "rule 1"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error %q does not name %s", err, field)
		}
	}
}

// TestEvictsIdleChannels: at MaxChannels a new channel evicts the least
// recently used channel without subscribers; with none to evict, it is
// refused with node_full.
func TestEvictsIdleChannels(t *testing.T) {
	h, err := channel.NewHub(channel.Options{MaxChannels: 2, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	ctx := context.Background()
	for _, ch := range []string{"feed:a", "feed:b", "feed:c"} {
		if err := h.Publish(ctx, ch, []byte("x"), "test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := h.Stats("feed:a"); ok {
		t.Error("feed:a (least recently used) was not evicted")
	}
	s1, s2 := h.Session(&counter{player: "p1"}), h.Session(&counter{player: "p2"})
	if err := s1.Subscribe(1, "feed:b", ""); err != nil {
		t.Fatal(err)
	}
	if err := s2.Subscribe(1, "feed:d", ""); err != nil { // evicts feed:c
		t.Fatal(err)
	}
	err = s2.Subscribe(2, "feed:e", "")
	var pe *protocol.Error
	if !asError(err, &pe) || pe.Code != protocol.CodeNodeFull {
		t.Fatalf("subscribe with every channel busy = %v, want node_full", err)
	}
	s1.Close()
	s2.Close()
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	err = h.Publish(ctx, "feed:b", nil, "test")
	if !asError(err, &pe) || pe.Code != protocol.CodeShuttingDown {
		t.Fatalf("publish after Close = %v, want shutting_down", err)
	}
}

func asError(err error, pe **protocol.Error) bool {
	e, ok := err.(*protocol.Error)
	*pe = e
	return ok
}

// BenchmarkFanOut10k: one publish to 10,000 subscribers of one channel, on
// the hub alone (each subscriber counts the frame): the time the last
// subscriber waits for its frame and the allocations per subscriber. The
// loopback version, through real sockets, is BenchmarkChannelFanOutLoopback
// in server/.
func BenchmarkFanOut10k(b *testing.B) {
	for _, subs := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) {
			h, err := channel.NewHub(channel.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer h.Close(context.Background())
			all := make([]*counter, subs)
			for i := range all {
				all[i] = &counter{player: fmt.Sprint("p", i)}
				if err := h.Session(all[i]).Subscribe(0, "feed:bench", ""); err != nil {
					b.Fatal(err)
				}
			}
			data := []byte(`{"match":"m1","home":2,"away":1,"minute":77}`)
			ctx := context.Background()
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				if err := h.Publish(ctx, "feed:bench", data, "bench"); err != nil {
					b.Fatal(err)
				}
			}
			elapsed := time.Since(start)
			runtime.ReadMemStats(&ms1)
			n := float64(b.N)
			b.ReportMetric(float64(elapsed.Microseconds())/n, "µs-to-last")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/n/float64(subs), "allocs/subscriber")
			b.ReportMetric(float64(elapsed.Nanoseconds())/n/float64(subs), "ns/subscriber")
			if got := all[subs-1].n.Load(); got < int64(b.N) {
				b.Fatalf("last subscriber got %d of %d", got, b.N)
			}
		})
	}
}
