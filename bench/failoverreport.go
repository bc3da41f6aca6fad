package main

import (
	"fmt"
	"io"
	"time"

	"github.com/tickwire/tickwire/examples/arena"
)

// failoverReport is the failover scenario's block of the report
// ("failover"). Times are milliseconds from the kill (the signal sent)
// unless said otherwise.
type failoverReport struct {
	Mode   string `json:"mode"` // kill (SIGKILL) or drain (SIGTERM)
	Nodes  int    `json:"nodes"`
	Victim string `json:"victim"`
	// VictimLedMatchmaker: the victim held the matchmaker lease at the
	// kill, so the rooms' recovery waited for another node to take it.
	VictimLedMatchmaker bool    `json:"victim_led_matchmaker"`
	HeartbeatTTLMs      float64 `json:"heartbeat_ttl_ms"`
	SnapshotEveryMs     float64 `json:"snapshot_every_ms"`
	KillAtS             float64 `json:"kill_at_s"` // into the measured window
	// VictimExitMs is when the victim's process ended (a drain's length);
	// RegistryGoneMs when its registry entry was deleted or aged out as
	// seen from a NATS watch (null: not seen).
	VictimExitMs   *float64 `json:"victim_exit_ms"`
	RegistryGoneMs *float64 `json:"registry_gone_ms"`
	// TargetP99Ms is the target for BackInPlayMs.P99: 5 s after a
	// kill, 1 s after a drain; TargetMet says whether it was met (and
	// every affected player came back).
	TargetP99Ms float64 `json:"target_p99_ms"`
	TargetMet   bool    `json:"target_met"`

	Affected   foAffected   `json:"affected"`
	Unaffected foUnaffected `json:"unaffected"`

	// Load is the cluster's load over the window, with -kill-mode none.
	Load *foLoad `json:"load,omitempty"`
}

// foAffected is what the players of the victim's rooms lived through.
type foAffected struct {
	Players   int `json:"players"`
	Back      int `json:"back"`
	NeverBack int `json:"never_back"`
	// BackInPlayMs: from the kill to each player's first state frame
	// from the room's new node.
	BackInPlayMs Percentiles `json:"back_in_play_ms"`
	// NoticedMs: from the kill to the bot's noticing the loss (its
	// connection closed, or a Left); RejoinMs: from then to Rejoin's
	// return (seated on the new node); GapMs: from the last state frame
	// before to the first after.
	NoticedMs Percentiles    `json:"noticed_ms"`
	RejoinMs  Percentiles    `json:"rejoin_ms"`
	GapMs     Percentiles    `json:"gap_ms"`
	LostHow   map[string]int `json:"lost_how"`
	// Inputs: UnackedAtLoss were sent and not acknowledged when the
	// connection was lost; Replayed of them were sent again on the new
	// node, ReplayedAcked acknowledged there; Lost were never
	// acknowledged by either node. RolledBack were acknowledged by the
	// old node after its last snapshot: applied, then undone by the
	// restore.
	InputsUnackedAtLoss int `json:"inputs_unacked_at_loss"`
	InputsReplayed      int `json:"inputs_replayed"`
	InputsReplayedAcked int `json:"inputs_replayed_acked"`
	InputsLost          int `json:"inputs_lost"`
	InputsRolledBack    int `json:"inputs_rolled_back"`
	// InputsRefused were answered with an Error (mostly the room's cap of
	// inputs per tick, hit by a replay or a stalled bench catching up): a
	// later seq's acknowledgement covers them, so they count as
	// acknowledged above, but they did not reach the game.
	InputsRefused int `json:"inputs_refused"`
	// RollbackTicks: the tick of the last state a player saw before the
	// loss minus the tick of the snapshot its room was restored from;
	// RollbackMs the same in milliseconds of game time.
	RollbackTicks Percentiles `json:"rollback_ticks"`
	RollbackMs    Percentiles `json:"rollback_ms"`
	// RoomsWithoutSnapshot were on the victim without a snapshot of it
	// seen: their players cannot come back to them.
	Rooms                int `json:"rooms"`
	RoomsWithoutSnapshot int `json:"rooms_without_snapshot"`
}

// foUnaffected is how the players of the other nodes fared.
type foUnaffected struct {
	Players int `json:"players"`
	// FramesPerSBefore is state frames per player per second over the
	// 5 s before the kill; FramesPerSDuring over the event (from the
	// kill until the last affected player was back, at least 1 s);
	// WorstBucketFramesPerS the lowest rate of one 100 ms bucket in it.
	FramesPerSBefore      float64 `json:"frames_per_s_before"`
	FramesPerSDuring      float64 `json:"frames_per_s_during"`
	WorstBucketFramesPerS float64 `json:"worst_100ms_frames_per_s"`
	EventMs               float64 `json:"event_ms"`
	// MaxGapMs: per player, the longest gap between state frames within
	// 10 s of the kill.
	MaxGapMs Percentiles `json:"max_gap_ms"`
	// Disconnected lost their connection or seat after the kill.
	Disconnected int `json:"disconnected"`
}

func msOf(ns int64) float64 { return round3(float64(ns) / 1e6) }

// report builds the run's report: the usual keys the scenario can fill,
// and the failover block.
func (f *foRun) report(interrupted bool) *Report {
	cfg := f.cfg
	from, to := f.windowFrom.Load(), f.windowTo.Load()
	rep := &Report{
		Scenario:          cfg.scenario,
		Clients:           cfg.clients,
		Rooms:             cfg.rooms,
		TickHz:            int(f.tickHz.Load()),
		InputHz:           cfg.inputHz,
		DurationS:         round3(time.Duration(to - from).Seconds()),
		WarmupS:           cfg.warmup.Seconds(),
		LatencyFloorP99Ms: round3(float64(floorP99(cfg.period())) / 1e6),
		LatencyMs:         percentilesOf(f.latency.Window()),
		SendLagMs:         percentilesOf(f.sendLag.Window()),
		Server:            serverInfo{Kind: "demo-cluster", URL: f.failoverNodes()},
		Started:           f.clk.Start.UTC().Format(time.RFC3339),
		Command:           cfg.commandLine(),
		ServerErrors:      f.errs.Snapshot(),
		Interrupted:       interrupted,
		ClientMode:        "client.Conn",
	}
	rep.LatencyFromSendMs = rep.LatencyMs // inputs go out at their due times; SendLagMs says how late
	if rep.TickHz == 0 {
		rep.TickHz = cfg.hz
	}
	if fl := f.failures.Snapshot(); len(fl) > 0 {
		rep.Failures = fl
	}
	fo := &failoverReport{
		Mode: cfg.killMode, Nodes: cfg.nodes, Victim: f.nodes[f.victim].name,
		HeartbeatTTLMs:  msOf(int64(cfg.heartbeatTTL)),
		SnapshotEveryMs: msOf(int64(arena.SnapshotEvery)),
		KillAtS:         cfg.killAt.Seconds(),
		TargetP99Ms:     5000,
	}
	switch cfg.killMode {
	case killModeDrain:
		fo.TargetP99Ms = 1000
	case killModeNone:
		fo.TargetP99Ms, fo.Victim = 0, ""
		fo.Load = f.load
	}
	kill := f.killAtNS.Load()
	if e := f.victimExitNS.Load(); e != 0 && kill != 0 {
		v := msOf(e - kill)
		fo.VictimExitMs = &v
	}
	if g := f.registryGoneNS.Load(); g != 0 && kill != 0 {
		v := msOf(g - kill)
		fo.RegistryGoneMs = &v
	}
	f.snapMu.Lock()
	fo.VictimLedMatchmaker = f.leaderAtKill == fo.Victim
	snapTick := f.snapTick
	f.snapMu.Unlock()

	back, noticed, rejoin, gap := newHist(), newHist(), newHist(), newHist()
	rbTicks, rbMs, maxGap := newHist(), newHist(), newHist()
	var lostHow counter
	affectedRooms := map[string]bool{}
	period := int64(cfg.period())
	var before, during int64
	for _, b := range f.bots {
		b.mu.Lock()
		rep.InputsSent += uint64(b.sent)
		rep.InputsAcked += uint64(b.acked)
		rep.InputsLost += uint64(len(b.pending) + len(b.orphans))
		rep.InputsRefused += int64(b.refused)
		if b.conn != nil {
			rep.Connected++
		} else {
			rep.Failed++
		}
		ev := b.ev
		room := b.roomID
		if room == "" && b.slot < len(f.slots) {
			room = f.slots[b.slot].id
		}
		a := &fo.Affected
		if b.token == "" { // never joined: a failure, counted above
			b.mu.Unlock()
			continue
		}
		if b.node != f.victim {
			fo.Unaffected.Players++
			if ev.lostAt != 0 {
				fo.Unaffected.Disconnected++
			}
			if ev.maxGap > 0 {
				recordNS(maxGap, ev.maxGap)
			}
			b.mu.Unlock()
			continue
		}
		a.Players++
		a.InputsRefused += b.refused
		affectedRooms[room] = true
		a.InputsReplayed += b.replayed
		a.InputsReplayedAcked += b.replayedAcked
		if ev.lostAt == 0 {
			b.mu.Unlock()
			continue
		}
		lostHow.Add(ev.how)
		a.InputsUnackedAtLoss += ev.unacked
		recordNS(noticed, ev.lostAt-kill)
		if ev.firstStateAt != 0 {
			a.Back++
			recordNS(back, ev.firstStateAt-kill)
			recordNS(rejoin, ev.rejoinedAt-ev.lostAt)
			if ev.lastStateAt != 0 {
				recordNS(gap, ev.firstStateAt-ev.lastStateAt)
			}
		}
		if st, ok := snapTick[room]; ok && ev.lastTick >= st {
			ticks := int64(ev.lastTick - st)
			rbTicks.RecordValue(ticks) // ticks, not µs: read with the ms helper below
			recordNS(rbMs, ticks*period)
			_, lastSeq := ev.acksBefore.last()
			if atSnap, found := ev.acksBefore.seqAt(st); found && lastSeq >= atSnap {
				a.InputsRolledBack += int(lastSeq - atSnap)
			}
		}
		b.mu.Unlock()
	}
	a := &fo.Affected
	a.NeverBack = a.Players - a.Back
	a.InputsLost = a.InputsUnackedAtLoss - a.InputsReplayedAcked
	a.BackInPlayMs, a.NoticedMs, a.RejoinMs, a.GapMs = percentilesOf(back), percentilesOf(noticed), percentilesOf(rejoin), percentilesOf(gap)
	a.RollbackMs = percentilesOf(rbMs)
	a.RollbackTicks = ticksOf(rbTicks)
	a.LostHow = lostHow.Snapshot()
	a.Rooms = len(affectedRooms)
	for r := range affectedRooms {
		if _, ok := snapTick[r]; !ok {
			a.RoomsWithoutSnapshot++
		}
	}
	fo.Unaffected.MaxGapMs = percentilesOf(maxGap)
	if kill != 0 && fo.Unaffected.Players > 0 {
		u := &fo.Unaffected
		k := int(kill / int64(foBucket))
		span := max(time.Second, time.Duration(a.BackInPlayMs.Max*1e6))
		n := int((span + foBucket - 1) / foBucket)
		worst := int64(-1)
		// The 5 s before the kill, or from the end of the ramp if later.
		first := max(k-int(5*time.Second/foBucket), int((from-int64(cfg.warmup))/int64(foBucket))+1, 0)
		for i := first; i < k+n && i < len(f.unaffectedFrames); i++ {
			v := f.unaffectedFrames[i].Load()
			if i < k {
				before += v
			} else {
				during += v
				if worst < 0 || v < worst {
					worst = v
				}
			}
		}
		p := float64(u.Players)
		u.FramesPerSBefore = round3(float64(before) / p / (float64(k-first) * foBucket.Seconds()))
		u.FramesPerSDuring = round3(float64(during) / p / (float64(n) * foBucket.Seconds()))
		u.WorstBucketFramesPerS = round3(float64(max(worst, 0)) / p / foBucket.Seconds())
		u.EventMs = msOf(int64(n) * int64(foBucket))
	}
	fo.TargetMet = a.Players > 0 && a.NeverBack == 0 && a.BackInPlayMs.P99 < fo.TargetP99Ms
	if cfg.killMode == killModeNone {
		fo.Affected, fo.Unaffected, fo.TargetMet = foAffected{}, foUnaffected{}, true
	}
	rep.Failover = fo
	if d := f.drops.Snapshot(); len(d) > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("connections lost outside the event (before the kill, or a second time): %v", d))
	}
	rep.Notes = append(rep.Notes, "the failover scenario measures no RTT, traffic, server CPU or RSS, and no tick statistics (its clients are client.Conn: every state frame decoded); its figures are in the failover block")
	if interrupted {
		rep.Notes = append(rep.Notes, "interrupted: partial report")
	}
	return rep
}

// ticksOf reads a histogram of plain counts (ticks) as Percentiles.
func ticksOf(h interface {
	ValueAtQuantile(float64) int64
	Max() int64
	Mean() float64
	TotalCount() int64
}) Percentiles {
	if h.TotalCount() == 0 {
		return Percentiles{}
	}
	return Percentiles{
		P50: float64(h.ValueAtQuantile(50)), P90: float64(h.ValueAtQuantile(90)),
		P99: float64(h.ValueAtQuantile(99)), P999: float64(h.ValueAtQuantile(99.9)),
		Max: float64(h.Max()), Mean: round3(h.Mean()), Count: h.TotalCount(),
	}
}

// printFailover writes the failover block of the summary.
func printFailover(w io.Writer, fo *failoverReport) {
	if fo.Mode == killModeNone {
		printLoad(w, fo)
		return
	}
	a, u := fo.Affected, fo.Unaffected
	opt := func(v *float64) string {
		if v == nil {
			return "n/a"
		}
		return fmt.Sprintf("%.0f ms", *v)
	}
	fmt.Fprintf(w, "failover\t%s of %s (of %d nodes; led the matchmaker: %v), heartbeat TTL %.0f ms, snapshots every %.0f ms; victim exited after %s, its registry entry went after %s\n",
		fo.Mode, fo.Victim, fo.Nodes, fo.VictimLedMatchmaker, fo.HeartbeatTTLMs, fo.SnapshotEveryMs, opt(fo.VictimExitMs), opt(fo.RegistryGoneMs))
	fmt.Fprintf(w, "  affected\t%d players in %d rooms (%d without a snapshot): %d back, %d never back\n", a.Players, a.Rooms, a.RoomsWithoutSnapshot, a.Back, a.NeverBack)
	fmt.Fprintf(w, "  back in play\tp50 %.0f  p99 %.0f  max %.0f ms after the %s (target p99 < %.0f ms: %s)\n",
		a.BackInPlayMs.P50, a.BackInPlayMs.P99, a.BackInPlayMs.Max, fo.Mode, fo.TargetP99Ms, map[bool]string{true: "met", false: "MISSED"}[fo.TargetMet])
	fmt.Fprintf(w, "  where it went\tnoticed p50 %.0f max %.0f ms; rejoin p50 %.0f p99 %.0f max %.0f ms; frame gap p50 %.0f max %.0f ms; %v\n",
		a.NoticedMs.P50, a.NoticedMs.Max, a.RejoinMs.P50, a.RejoinMs.P99, a.RejoinMs.Max, a.GapMs.P50, a.GapMs.Max, a.LostHow)
	fmt.Fprintf(w, "  inputs\t%d unacknowledged at the loss, %d replayed, %d of them acknowledged; %d lost; %d acknowledged then rolled back; %d refused\n",
		a.InputsUnackedAtLoss, a.InputsReplayed, a.InputsReplayedAcked, a.InputsLost, a.InputsRolledBack, a.InputsRefused)
	fmt.Fprintf(w, "  rollback\tp50 %.0f  max %.0f ticks (p50 %.0f  max %.0f ms of game time)\n", a.RollbackTicks.P50, a.RollbackTicks.Max, a.RollbackMs.P50, a.RollbackMs.Max)
	fmt.Fprintf(w, "  unaffected\t%d players: %.1f frames/s before, %.1f during the %.0f ms event (worst 100 ms: %.1f/s); longest frame gap p99 %.0f max %.0f ms; %d disconnected\n",
		u.Players, u.FramesPerSBefore, u.FramesPerSDuring, u.EventMs, u.WorstBucketFramesPerS, u.MaxGapMs.P99, u.MaxGapMs.Max, u.Disconnected)
}
