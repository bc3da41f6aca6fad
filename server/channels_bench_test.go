package server_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/channel"
	"github.com/tickwire/tickwire/client"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

// BenchmarkChannelFanOutLoopback: one publish to N WebSocket subscribers
// (at most 9,000: both ends of every connection are in this process, and
// the development machine allows 20,000 open files)
// over loopback (server and our Go client in this process, one client
// engine): the time until the last subscriber has decoded the message,
// and the process's allocations per subscriber (server and client sides
// together). The hub alone is channel.BenchmarkFanOut10k.
func BenchmarkChannelFanOutLoopback(b *testing.B) {
	for _, n := range []int{1000, 9000} {
		b.Run("subscribers="+strconv.Itoa(n), func(b *testing.B) {
			s, hub := servertest.StartWithHub(b, server.Options{Logger: zerolog.Nop(), MessagesPerSecond: 1e6, MessageBurst: 1e6}, channel.Options{})
			eng, err := client.NewEngine(0)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(eng.Close)
			var got atomic.Int64
			var want atomic.Int64
			done := make(chan struct{}, 1)
			onEnv := func(env *protocol.Envelope) {
				if env.GetChannelMessage() != nil && got.Add(1) == want.Load() {
					done <- struct{}{}
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			for range n {
				c, err := client.Dial(ctx, servertest.URL(s, true, "/ws"), client.Options{Engine: eng, OnEnvelope: onEnv})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Subscribe{Subscribe: &tickwirev1.Subscribe{Channel: "feed:bench"}}}); err != nil {
					b.Fatal(err)
				}
			}
			data := []byte(`{"match":"m1","home":2,"away":1,"minute":77}`)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				want.Add(int64(n))
				if err := hub.Publish(ctx, "feed:bench", data, "bench"); err != nil {
					b.Fatal(err)
				}
				select {
				case <-done:
				case <-ctx.Done():
					b.Fatalf("%d of %d deliveries", got.Load(), want.Load())
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs-to-last")
			// Closing 10,000 sessions one by one is slow; the engine and
			// the server's shutdown cut them all at once.
		})
	}
}
