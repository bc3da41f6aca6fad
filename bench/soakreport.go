package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// soakReport is the report's soak block: the samples and their summary.
type soakReport struct {
	LeaveEveryS     float64      `json:"leave_every_s"`
	ReconnectEveryS float64      `json:"reconnect_every_s"`
	DropEveryS      float64      `json:"drop_every_s"`
	DropPauseMaxS   float64      `json:"drop_pause_max_s"`
	SampleEveryS    float64      `json:"sample_every_s"`
	Seed            uint64       `json:"seed"`
	Samples         []soakSample `json:"samples"`
	Summary         soakSummary  `json:"summary"`
}

// soakSummary is what the soak comes to.
type soakSummary struct {
	DurationS float64 `json:"duration_s"`
	// Inputs: every input sent is acked, lost, or in flight at churn;
	// refused ones were acked by a later seq but answered with an Error.
	Sent            int64 `json:"inputs_sent"`
	Acked           int64 `json:"inputs_acked"`
	Lost            int64 `json:"inputs_lost"`
	InFlightAtChurn int64 `json:"inputs_in_flight_at_churn"`
	Refused         int64 `json:"inputs_refused"`
	// ServerInputsDropped is the server's tickwire_inputs_dropped_total
	// over the soak: every refusal, where Refused sees at most one Error a
	// second per session. Null when /metrics was not read.
	ServerInputsDropped *float64 `json:"server_inputs_dropped"`
	// LossCauses says why inputs were lost (empty when none was).
	LossCauses map[string]int `json:"loss_causes,omitempty"`

	Joins      int64 `json:"joins"`
	Leaves     int64 `json:"leaves"`
	Reconnects int64 `json:"reconnects"`
	DropsFIN   int64 `json:"drops_fin"`
	DropsRST   int64 `json:"drops_rst"`
	// Resumed counts reconnects and drops whose bot got its seat in the
	// same room back; ResumeRefused the rejoins refused (by reason).
	Resumed       int64          `json:"resumed"`
	ResumeRefused map[string]int `json:"resume_refused,omitempty"`
	// JoinRetries are joins refused as already_in_room right after a Left
	// and tried again (the lobby frees a place just after the room's Left).
	JoinRetries map[string]int `json:"join_retries,omitempty"`
	// Unexpected are connections or seats the server ended on its own.
	Unexpected   map[string]int `json:"unexpected_closes,omitempty"`
	Recovered    int64          `json:"recovered"`
	StepFailures map[string]int `json:"step_failures,omitempty"`
	RoomsCreated int64          `json:"rooms_created"`

	// Drift compares the median of the soak's first quarter of samples
	// with its last quarter's.
	Drift map[string]soakDrift `json:"drift"`

	// The server before any bot connected, and once every bot had left.
	GoroutinesBase *float64 `json:"goroutines_base"`
	GoroutinesEnd  *float64 `json:"goroutines_end"`
	RoomsEnd       *float64 `json:"rooms_end"`
	SessionsEnd    *float64 `json:"sessions_end"`
	PlayersEnd     *float64 `json:"players_end"`
	RSSBaseMB      *float64 `json:"rss_base_mb"`
	RSSEndMB       *float64 `json:"rss_end_mb"`

	Pass    bool     `json:"pass"`
	Verdict string   `json:"verdict"`
	Failed  []string `json:"failed_checks,omitempty"`
}

// soakDrift is one series' first-quarter and last-quarter medians.
type soakDrift struct {
	First     float64  `json:"first_quarter_median"`
	Last      float64  `json:"last_quarter_median"`
	ChangePct *float64 `json:"change_pct"` // null when First is 0
}

// A room of the demo holds two goroutines (its tick loop and the lobby's
// watcher of its end); once every bot left, the server may hold its
// baseline, soakRoomGoroutines per room still open and soakGoroutineSlack
// more (the HTTP server's and the lobby's come and go).
const (
	soakRoomGoroutines = 2
	soakGoroutineSlack = 10
)

// drift computes the first/last-quarter medians of one series.
func drift(vals []float64) (soakDrift, bool) {
	if len(vals) == 0 {
		return soakDrift{}, false
	}
	q := max(len(vals)/4, 1)
	d := soakDrift{First: round3(median(vals[:q])), Last: round3(median(vals[len(vals)-q:]))}
	if d.First != 0 {
		c := round3((d.Last - d.First) / d.First * 100)
		d.ChangePct = &c
	}
	return d, true
}

// summarize fills the summary and its verdict.
func (s *soakRun) summarize(seated int) soakSummary {
	sum := soakSummary{
		DurationS: round3(time.Duration(int64(s.cfg.duration)).Seconds()),
		Sent:      s.sent.Load(), Acked: s.acked.Load(), Lost: s.lost.Load(), InFlightAtChurn: s.inFlight.Load(), Refused: s.refused.Load(),
		Joins: s.joins.Load(), Leaves: s.leaves.Load(), Reconnects: s.reconnects.Load(),
		DropsFIN: s.dropsFIN.Load(), DropsRST: s.dropsRST.Load(),
		Resumed: s.resumed.Load(), Recovered: s.recovered.Load(), RoomsCreated: s.roomsCreated.Load(),
		Drift: map[string]soakDrift{},
	}
	nonEmpty := func(m map[string]int) map[string]int {
		if len(m) == 0 {
			return nil
		}
		return m
	}
	sum.LossCauses = nonEmpty(s.lossCauses.Snapshot())
	sum.ResumeRefused = nonEmpty(s.resumeRefused.Snapshot())
	sum.Unexpected = nonEmpty(s.unexpected.Snapshot())
	sum.StepFailures = nonEmpty(s.failures.Snapshot())
	sum.JoinRetries = nonEmpty(s.joinRetries.Snapshot())

	var soak []soakSample
	for _, pt := range s.samples {
		switch pt.Phase {
		case "base":
			sum.GoroutinesBase, sum.RSSBaseMB = pt.Goroutines, pt.RSSMB
		case "end":
			sum.GoroutinesEnd, sum.RoomsEnd, sum.SessionsEnd, sum.PlayersEnd, sum.RSSEndMB = pt.Goroutines, pt.Rooms, pt.Sessions, pt.Players, pt.RSSMB
		default:
			soak = append(soak, pt)
		}
	}
	series := map[string]func(soakSample) *float64{
		"goroutines":     func(p soakSample) *float64 { return p.Goroutines },
		"sessions":       func(p soakSample) *float64 { return p.Sessions },
		"rss_mb":         func(p soakSample) *float64 { return p.RSSMB },
		"tick_p99_ms":    func(p soakSample) *float64 { return p.TickP99Ms },
		"latency_p99_ms": func(p soakSample) *float64 { v := p.LatencyP99Ms; return &v },
	}
	for name, get := range series {
		var vals []float64
		for _, p := range soak {
			if v := get(p); v != nil {
				vals = append(vals, *v)
			}
		}
		if d, ok := drift(vals); ok {
			sum.Drift[name] = d
		}
	}

	check := func(ok bool, format string, a ...any) {
		if !ok {
			sum.Failed = append(sum.Failed, fmt.Sprintf(format, a...))
		}
	}
	check(sum.Lost == 0, "%d inputs lost while connected", sum.Lost)
	check(sum.Sent == sum.Acked+sum.Lost+sum.InFlightAtChurn, "inputs do not add up: sent %d != acked %d + lost %d + in flight %d", sum.Sent, sum.Acked, sum.Lost, sum.InFlightAtChurn)
	check(sum.Refused == 0, "%d inputs refused by the server", sum.Refused)
	if n, ok := s.counterDelta["inputs_dropped_total"]; ok {
		// The server answers such refusals with an Error at most once a
		// second per session, so its own count is the one to trust.
		sum.ServerInputsDropped = &n
		check(n == 0, "%.0f inputs dropped by the server before a room (tickwire_inputs_dropped_total)", n)
	}
	nUnexp := 0
	for _, n := range sum.Unexpected {
		nUnexp += n
	}
	check(nUnexp == 0, "%d connections or seats ended by the server", nUnexp)
	check(seated == s.cfg.clients, "%d of %d bots seated when the churn stopped", seated, s.cfg.clients)
	if v := sum.SessionsEnd; v != nil {
		check(*v == 0, "%.0f sessions still open after every bot left", *v)
	}
	if v := sum.PlayersEnd; v != nil {
		check(*v == 0, "%.0f players still seated after every bot left", *v)
	}
	if b, e, r := sum.GoroutinesBase, sum.GoroutinesEnd, sum.RoomsEnd; b != nil && e != nil && r != nil {
		check(*e <= *b+soakRoomGoroutines**r+soakGoroutineSlack, "%.0f goroutines after every bot left: over the baseline %.0f + %d × %.0f rooms + %d", *e, *b, soakRoomGoroutines, *r, soakGoroutineSlack)
	}
	sum.Pass = len(sum.Failed) == 0

	var v strings.Builder
	if sum.Pass {
		v.WriteString("PASS: ")
	} else {
		v.WriteString("FAIL (" + strings.Join(sum.Failed, "; ") + "): ")
	}
	fmt.Fprintf(&v, "%d inputs lost while connected of %d sent (%d in flight at churn, %d refused)", sum.Lost, sum.Sent, sum.InFlightAtChurn, sum.Refused)
	if sum.SessionsEnd != nil && sum.GoroutinesEnd != nil && sum.GoroutinesBase != nil {
		rooms := 0.0
		if sum.RoomsEnd != nil {
			rooms = *sum.RoomsEnd
		}
		fmt.Fprintf(&v, "; after every bot left: %.0f sessions, goroutines %.0f (baseline %.0f, %.0f rooms still open)", *sum.SessionsEnd, *sum.GoroutinesEnd, *sum.GoroutinesBase, rooms)
	}
	if d, ok := sum.Drift["rss_mb"]; ok && d.ChangePct != nil {
		fmt.Fprintf(&v, "; RSS %+.1f%% first→last quarter (%.1f → %.1f MB)", *d.ChangePct, d.First, d.Last)
	}
	if d, ok := sum.Drift["goroutines"]; ok {
		fmt.Fprintf(&v, "; goroutines %.0f → %.0f", d.First, d.Last)
	}
	if d, ok := sum.Drift["tick_p99_ms"]; ok {
		fmt.Fprintf(&v, "; tick p99 %.2f → %.2f ms", d.First, d.Last)
	}
	sum.Verdict = v.String()
	return sum
}

// report turns the soak into the bench's Report: the contract keys over
// the soak phase, and the soak block.
func (s *soakRun) report(end soakSample, seated int, rssBase int64, soakFrom int64, interrupted bool) *Report {
	cfg := s.cfg
	secs := max(time.Duration(s.clk.Now()-soakFrom).Seconds(), 1e-9)
	if !interrupted {
		secs = cfg.duration.Seconds()
	}
	sum := s.summarize(seated)
	rep := &Report{
		Scenario:  cfg.scenario,
		Clients:   cfg.clients,
		Rooms:     cfg.rooms,
		TickHz:    int(s.tickHz.Load()),
		InputHz:   cfg.inputHz,
		DurationS: round3(secs),
		Server:    serverInfo{Kind: s.srv.kind, URL: s.srv.httpBase, PID: s.srv.pid},
		Started:   s.clk.Start.UTC().Format(time.RFC3339),
		Command:   cfg.commandLine(),

		LatencyFloorP99Ms: round3(float64(floorP99(cfg.period())) / 1e6),
		InputsSent:        uint64(sum.Sent),
		InputsAcked:       uint64(sum.Acked),
		InputsLost:        uint64(sum.Lost),
		InputsRefused:     sum.Refused,
		Connected:         seated,
		Failed:            cfg.clients - seated,
		ServerErrors:      s.errs.Snapshot(),
		ClientMode:        clientLean,
	}
	if rep.TickHz == 0 {
		rep.TickHz = cfg.hz
	}
	if f := s.failures.Snapshot(); len(f) > 0 {
		rep.Failures = f
	}
	rep.hist = s.latency.Window()
	rep.LatencyMs = percentilesOf(rep.hist)
	rep.LatencyFromSendMs = percentilesOf(s.fromSend.Window())
	rep.SendLagMs = percentilesOf(s.sendLag.Window())
	if lag := rep.SendLagMs.P99; lag > float64(cfg.inputPeriod())/2e6 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the bench itself sent late (send lag p99 %.1f ms): the load generator was short of CPU, and the latency includes its delay", lag))
	}
	if p99 := percentilesOf(s.fromSend.Window()).P99; p99 > float64(cfg.grace)/1e6 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("input-to-state p99 from the send (%.0f ms) exceeded -grace (%v): inputs that long in flight at a churn count as lost; the server or the machine was overloaded", p99, cfg.grace))
	}
	clients := float64(max(seated, 1))
	rep.BytesInPerClientS = round3(float64(s.bytesIn.Load()) / clients / secs)
	rep.BytesOutPerClientS = round3(float64(s.bytesOut.Load()) / clients / secs)
	rep.BytesPerClientS = round3(rep.BytesInPerClientS + rep.BytesOutPerClientS)
	rep.FramesPerClientS = round3(float64(s.frames.Load()) / clients / secs)
	// Ticks over the soak from the samples (each covers the ticks since the
	// previous one): p50 the median of their p50s would need them all, so
	// tick_ms.p50 and .p99 are the medians and the highest of the samples'.
	var tickP99s []float64
	var tickMax, jitP99 float64
	var ticks, overruns, skipped uint64
	for _, pt := range s.samples {
		if pt.Phase != "soak" || pt.TickP99Ms == nil {
			continue
		}
		tickP99s = append(tickP99s, *pt.TickP99Ms)
		tickMax = max(tickMax, *pt.TickMaxMs)
		jitP99 = max(jitP99, *pt.JitterP99Ms)
		ticks, overruns, skipped = ticks+*pt.Ticks, overruns+*pt.Overruns, skipped+*pt.Skipped
	}
	if len(tickP99s) > 0 {
		rep.TickMs = &msStats{P50: round3(median(tickP99s)), P99: round3(slices.Max(tickP99s)), Max: tickMax}
		rep.JitterMs = &msStats{P99: jitP99}
		rep.Ticks, rep.Overruns, rep.Skipped = &ticks, &overruns, &skipped
		rooms := 0
		if end.Rooms != nil {
			rooms = int(*end.Rooms)
		}
		rep.ServerRooms = &rooms
	}
	// CPU: the mean of the soak samples after the first (whose covers the
	// ramp).
	mean := func(get func(soakSample) *float64) *float64 {
		var t float64
		n := 0
		first := true
		for _, pt := range s.samples {
			if pt.Phase != "soak" {
				continue
			}
			if first {
				first = false
				continue
			}
			if v := get(pt); v != nil {
				t += *v
				n++
			}
		}
		if n == 0 {
			return nil
		}
		m := round3(t / float64(n))
		return &m
	}
	if pct := mean(func(p soakSample) *float64 { return p.CPUPct }); pct != nil {
		us := round3(*pct / 100 * 1e6 / clients)
		rep.ServerCPUPct, rep.ServerCPUUsPerClientS = pct, &us
	}
	if pct := mean(func(p soakSample) *float64 { return p.BenchCPUPct }); pct != nil {
		rep.BenchCPUPct = *pct
		rep.BenchCPUUsPerClientS = round3(*pct / 100 * 1e6 / clients)
	}
	if pct := mean(func(p soakSample) *float64 { return p.OtherCPUPct }); pct != nil {
		rep.OtherCPUPct = pct
		if *pct > 25 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("other processes used %.0f%% CPU during the soak: the machine was shared", *pct))
		}
	}
	if end.RSSMB != nil {
		rep.ServerRSSMB = end.RSSMB
		if rssBase > 0 {
			base := round3(float64(rssBase) / (1 << 20))
			per := round3((*end.RSSMB - base) * 1024 / clients)
			rep.ServerRSSBaseMB, rep.ServerRSSPerConnKB = &base, &per
		}
	}
	rep.Soak = &soakReport{
		LeaveEveryS:     cfg.leaveEvery.Seconds(),
		ReconnectEveryS: cfg.reconnectEvery.Seconds(),
		DropEveryS:      cfg.dropEvery.Seconds(),
		DropPauseMaxS:   cfg.dropPause.Seconds(),
		SampleEveryS:    cfg.sampleEvery.Seconds(),
		Seed:            cfg.seed,
		Samples:         s.samples,
		Summary:         sum,
	}
	if s.srv.child != nil {
		n := s.srv.child.logWarnings()
		rep.ServerLogWarnings = &n
	}
	return rep
}

// printSoak writes the soak's summary lines.
func printSoak(w io.Writer, r *soakReport) {
	s := r.Summary
	fmt.Fprintf(w, "soak\t%d samples every %gs; churn per bot: leave+join every %gs, reconnect every %gs, drop every %gs (back within %gs)\n",
		len(r.Samples), r.SampleEveryS, r.LeaveEveryS, r.ReconnectEveryS, r.DropEveryS, r.DropPauseMaxS)
	fmt.Fprintf(w, "  churn\t%d joins, %d leaves, %d reconnects, %d drops (%d FIN, %d RST); %d back in the same seat, %d recovered after a failure, %d rooms created\n",
		s.Joins, s.Leaves, s.Reconnects, s.DropsFIN+s.DropsRST, s.DropsFIN, s.DropsRST, s.Resumed, s.Recovered, s.RoomsCreated)
	fmt.Fprintf(w, "  inputs\t%d sent, %d acked, %d lost while connected, %d in flight at churn, %d refused\n",
		s.Sent, s.Acked, s.Lost, s.InFlightAtChurn, s.Refused)
	names := make([]string, 0, len(s.Drift))
	for k := range s.Drift {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		d := s.Drift[k]
		pct := "n/a"
		if d.ChangePct != nil {
			pct = fmt.Sprintf("%+.1f%%", *d.ChangePct)
		}
		fmt.Fprintf(w, "  drift %s\tfirst quarter median %.2f, last quarter %.2f (%s)\n", k, d.First, d.Last, pct)
	}
	for _, m := range []struct {
		name string
		m    map[string]int
	}{{"unexpected", s.Unexpected}, {"step failures", s.StepFailures}, {"rejoins refused", s.ResumeRefused}, {"joins retried", s.JoinRetries}, {"loss causes", s.LossCauses}} {
		if len(m.m) > 0 {
			fmt.Fprintf(w, "  %s\t%s\n", m.name, strings.Join(topFailures(m.m, 5), "; "))
		}
	}
	fmt.Fprintf(w, "verdict\t%s\n", s.Verdict)
}
