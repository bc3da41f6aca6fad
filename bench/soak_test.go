package main

import (
	"testing"
)

// TestSoakRun runs the soak for real against the demo in a child process:
// 30 bots in 3 rooms for 6 s with every bot churning every few seconds.
// Every kind of churn happens, no input is lost while connected, the
// inputs add up, the samples are in the report, and once the bots left
// the server holds no session and no seated player. -grace is 3 s so that
// a loaded machine's slow acknowledgements do not pass for losses.
func TestSoakRun(t *testing.T) {
	t.Parallel()
	rep, summary := runBench(t, "-scenario", "soak", "-clients", "30", "-rooms", "3", "-duration", "6s",
		"-leave-every", "2s", "-reconnect-every", "3s", "-drop-every", "3s", "-drop-pause", "300ms",
		"-sample-every", "1s", "-grace", "3s", "-input-hz", "10")
	for _, k := range contractKeys {
		if k == "tick_ms.p50" || k == "tick_ms.p99" || k == "jitter_ms.p99" {
			continue // null when the server has no /debug/ticks; the demo has
		}
		num(t, rep, k)
	}
	num(t, rep, "tick_ms.p99")
	sum := "soak.summary."
	for _, k := range []string{"joins", "leaves", "reconnects", "drops_fin", "drops_rst", "resumed"} {
		if v := num(t, rep, sum+k); v < 1 {
			t.Errorf("%s = %v: want every kind of churn to happen", k, v)
		}
	}
	if v := num(t, rep, sum+"joins"); v < 30 {
		t.Errorf("joins = %v: want the 30 first joins and more", v)
	}
	sent, acked := num(t, rep, sum+"inputs_sent"), num(t, rep, sum+"inputs_acked")
	lost, inFlight := num(t, rep, sum+"inputs_lost"), num(t, rep, sum+"inputs_in_flight_at_churn")
	if lost != 0 {
		t.Errorf("inputs_lost = %v (%v), want 0", lost, rep["soak"].(map[string]any)["summary"].(map[string]any)["loss_causes"])
	}
	if sent < 1000 || acked+lost+inFlight != sent {
		t.Errorf("inputs: sent %v, acked %v + lost %v + in flight %v: want about 1800 that add up", sent, acked, lost, inFlight)
	}
	if v := num(t, rep, "inputs_lost"); v != 0 {
		t.Errorf("report inputs_lost = %v", v)
	}
	for _, k := range []string{"sessions_end", "players_end"} {
		if v := num(t, rep, sum+k); v != 0 {
			t.Errorf("%s = %v: want 0 once every bot left", k, v)
		}
	}
	s, _ := rep["soak"].(map[string]any)
	samples, _ := s["samples"].([]any)
	phases := map[string]int{}
	for _, x := range samples {
		pt, _ := x.(map[string]any)
		phase, _ := pt["phase"].(string)
		phases[phase]++
		for _, k := range []string{"goroutines", "sessions", "rss_mb", "sent", "acked", "lost"} {
			num(t, pt, k)
		}
		if phase == "soak" {
			num(t, pt, "tick_p99_ms")
		}
	}
	if phases["base"] != 1 || phases["end"] != 1 || phases["soak"] < 5 {
		t.Errorf("samples by phase %v: want one base, one end and a soak sample a second", phases)
	}
	// The whole verdict is not asserted: on a shared 2-core machine a step
	// may fail and be retried (README, the soak); the figures it rests on
	// that the issue names are asserted above and below.
	t.Logf("verdict: %v", s["summary"].(map[string]any)["verdict"])
	for _, d := range []string{"goroutines", "sessions", "rss_mb", "tick_p99_ms"} {
		num(t, rep, sum+"drift."+d+".last_quarter_median")
	}
	if testing.Verbose() {
		t.Log(summary)
	}
}
