package loadtest

import (
	"context"
	"fmt"
	"time"

	"github.com/tickwire/tickwire/internal/loadstat"
)

// progress samples the run every second until ctx ends: it notices
// dropped connections, appends to the timeline and prints the progress
// line to cfg.Progress.
func (c *core) progress(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	prevSrv, srvErr := c.sampleServer(ctx)
	prevSent := c.sent.Load()
	prevAt := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.checkConnections()
		now := time.Now()
		sent := c.sent.Load()
		lat := loadstat.PercentilesOf(c.latency.TakeRecent())
		pt := loadstat.TimePoint{
			T:          loadstat.Round3(float64(c.clk.Now()) / 1e9),
			Phase:      c.phaseName(),
			InputsPerS: loadstat.Round3(float64(sent-prevSent) / now.Sub(prevAt).Seconds()),
			LatencyP50: lat.P50, LatencyP99: lat.P99, LatencyMax: lat.Max,
		}
		for _, p := range c.players {
			switch {
			case p.live.Load():
				pt.Live++
			case p.failed():
				pt.Failed++
			}
		}
		if s, err := c.sampleServer(ctx); err == nil {
			if srvErr == nil {
				pt.ServerCPUPct = cpuPct(prevSrv, s)
			}
			pt.ServerRSSMB = loadstat.Round3(s.rssBytes / (1 << 20))
			prevSrv, srvErr = s, nil
		} else {
			srvErr = err
		}
		prevSent, prevAt = sent, now
		c.timeline = append(c.timeline, pt)
		if c.cfg.Progress != nil {
			fmt.Fprintln(c.cfg.Progress, loadstat.ProgressLine("loadtest", pt, c.cfg.Clients, loadstat.LineParts{Inputs: true, Server: srvErr == nil}))
		}
	}
}
