// Package tick runs game rooms on a fixed tick: the scheduler, the room
// runtime the server drives, and the plugin API that games implement. It
// imports no network package; the server hands it decoded inputs and Peers
// to write state frames to.
//
// # Writing a game
//
// A game is a Go package that registers itself from init and implements
// Game for its own protobuf messages: S, the state every player sees, and
// I, one player's input. Generics keep game code free of casts.
//
//	func init() {
//		tick.Register(tick.GameInfo{Name: "arena", TickHz: 20, MaxPlayers: 50}, New)
//	}
//
//	func New() tick.Game[*arenav1.State, *arenav1.Input] { return &Arena{} }
//
//	type Arena struct{ /* what the game remembers beyond the state */ }
//
//	func (a *Arena) Init(r *tick.Room[*arenav1.State]) error                      { ... }
//	func (a *Arena) Join(r *tick.Room[*arenav1.State], p tick.PlayerID) error     { ... }
//	func (a *Arena) Leave(r *tick.Room[*arenav1.State], p tick.PlayerID)          { ... }
//	func (a *Arena) Input(r *tick.Room[*arenav1.State], p tick.PlayerID, in *arenav1.Input) { ... }
//	func (a *Arena) Tick(r *tick.Room[*arenav1.State], dt time.Duration)          { ... }
//
// Register panics on a name used twice or invalid settings, at start-up.
// The factory makes one Game per room. Every method runs on the room's own
// goroutine, one at a time: a game needs no locks, must not block, and must
// not keep r, the state or an input past the call. Each tick the room
// applies the inputs that arrived since the last tick, in arrival order
// (at most Options.InputsPerTick per player), calls Tick with the fixed
// period as dt, then diffs r.State() field by field and sends the changes.
// A game just mutates its state; it never encodes or sends anything.
//
// Room gives the game its context: State, Tick (the tick number), Now (the
// tick's scheduled time, exact multiples of the period), Players, Rand (a
// per-room source seeded by RoomOptions.Seed, so a seed and the same inputs
// replay a game exactly), Kick, End and Logger.
//
// Optional capabilities are small extra interfaces found by type assertion:
//
//   - Viewer: interest management. View gives each player a view key and
//     FillView computes a view's state; players with equal keys share one
//     diff and one encoded frame. A player whose key changes gets a
//     snapshot of its new view.
//   - Topics: interest by subscription, for big shared worlds. Topics lists
//     the topics a player receives (map chunks in its viewport, an
//     overview, its own rack); FillTopic computes a topic's state, once per
//     tick for all its subscribers and only when TopicVersion moved. Frames
//     carry StateFrame.topic and the client keeps a replica per topic; a
//     topic a player gains comes as a snapshot, one it loses as an
//     unsubscribed frame. Room.Refuse answers an input against the rules
//     with ERROR_CODE_INPUT_REFUSED, its seq and a reason.
//   - Closer: Close runs when the room ends, to release resources.
//
// Guard each one at compile time:
//
//	var _ tick.Viewer[*arenav1.State] = (*Arena)(nil)
//
// Custom join checks go in Join: its error refuses the seat (a
// *protocol.Error keeps its code, anything else is sent as GAME_REFUSED).
//
// A panic in any game method ends that room only: every player is sent
// Left with ERROR_CODE_ROOM_FAILED and a reason naming the method, the
// stack is logged once (component "tick"), Handle.Err wraps ErrRoomFailed,
// and every other room goes on.
//
// Test a game without a server or clock with Harness, which runs it tick by
// tick on the test's goroutine; examples/arena does.
//
// # Running rooms
//
// The server makes one Rooms (NewRooms with Options: logger, clock,
// Prometheus registerer, limits) and drives rooms through Handles:
//
//	h, err := rooms.Create(ctx, "arena", tick.RoomOptions{})
//	err = h.Join(ctx, playerID, session) // session implements tick.Peer
//	err = h.Input(playerID, seq, payload) // decodes here; payload is free afterwards
//	h.Leave(playerID)
//	err = rooms.Close(ctx) // every room ends, players get Left SHUTTING_DOWN
//
// Handle methods are safe from any goroutine and never block on the game,
// except Join and Close, which wait for the room's answer (or ctx). Input
// decodes the payload into the game's input message on the caller's
// goroutine and queues it in the room's bounded inbox; errors are
// *protocol.Error values the server sends as they are (RATE_LIMITED when
// the player's per-tick cap or the inbox is full, BAD_INPUT, NOT_IN_ROOM).
// Nothing grows without bound: inputs per player per tick, inbox per room,
// rooms per node, each with a metric.
//
// # How a state frame flows
//
// After each tick, on the room's goroutine, for each distinct view (the
// whole state when the game has no Viewer):
//
//  1. protocol.Tracker.Update diffs the view's state against the copy the
//     view's receivers hold: nil when nothing changed.
//  2. Each receiver needs one of: a snapshot (it just joined, changed view,
//     or its peer dropped a frame), the delta, an empty delta (its inputs
//     were applied but the view did not change: the frame only carries its
//     seq), or nothing.
//  3. Each kind of frame is encoded at most once per view and tick, as an
//     Envelope{state: StateFrame{room_id, tick, server_time, snapshot|delta}}
//     without last_input_seq, into buffers the room reuses.
//  4. Peer.SendState(frame, lastInputSeq, snapshot) gets the same bytes for
//     every receiver of the view, and that receiver's highest applied input
//     seq beside them. The session appends protocol.AppendLastInputSeq(frame,
//     seq) when it writes (protobuf merges the two encodings of the state
//     field) and copies what it queues. The loop allocates nothing per
//     receiver (TestBroadcastAllocationsDoNotGrowWithReceivers).
//  5. SendState returning false means the session dropped the frame: that
//     receiver gets a snapshot at the next tick, and the next, until one is
//     accepted.
//
// A tick that changed nothing and applied no input sends nothing. Joined and
// Left envelopes go through Peer.Send.
//
// # Scheduling
//
// Ticks run against absolute deadlines: tick n of a room started at t0 is
// due at t0 + n·(1s/TickHz), computed exactly (no accumulated rounding), so
// slow ticks never push later ones back. Each tick's lateness (start minus
// deadline, "jitter") and duration are observed in Prometheus histograms and
// in Rooms.TickStats.
//
// Overrun policy: a tick that takes longer than its period counts as an
// overrun. If a room then finds k more deadlines already due, it runs up to
// Options.MaxCatchUp (default 3) of them back to back, still handling joins,
// leaves and Close in between; older missed deadlines are skipped and
// counted (tickwire_ticks_skipped_total). Game time thus slows down under
// overload instead of spiralling, and tick numbers stay consecutive.
//
// # Why one goroutine per room
//
// Each room has its own goroutine waiting on its own timer. A sharded pool
// of GOMAXPROCS workers, each keeping a heap of rooms by deadline, was
// measured against it with the same tick code (BenchmarkScheduler; the pool
// is in sched_compare_test.go): up to 1,000 rooms both cost about the same
// CPU and see the same jitter, so the choice rests on what they do when a
// room misbehaves. In a pool a slow tick delays every room queued behind it
// in its shard, while the runtime preempts a slow room's goroutine and runs
// the others. One goroutine per room also keeps ownership plain (a room's
// state belongs to its goroutine), and joins, leaves and Close are ordinary
// channel operations. Nodes meant for 10,000 rooms should revisit this:
// there only the pool with precise timers kept up on a 2-core machine.
//
// Go's timers can fire up to 1 ms late while the process is idle (the
// runtime waits in epoll_wait, whose timeout is in whole milliseconds;
// golang/go#53824). Options.PreciseTimers replaces them with waker
// goroutines (one per P) that sleep the last 2 ms before each deadline in
// nanosleep, on a 200 µs grid so that rooms share wake-ups: lower jitter
// for more CPU, growing with the number of rooms, so it is off by default.
//
// The measurements, dated and with their machine, are in the repository's
// BENCHMARKS.md ("Scheduler: one goroutine per room against a sharded
// pool" and "Rooms on a tick").
//
// # Recording and replay
//
// A game that sets GameInfo.Record has each room write what makes it happen
// (seed, joins, leaves, every applied input with its tick, refusals, a hash
// of the state per tick) to a bounded log, on the room's goroutine; Replay
// re-runs such a log with the game's code and reports the first tick and
// field where the replay differs, and RegisterReplay plays one to
// spectators. RecordOptions.Ring keeps the last seconds of a room's whole
// state as state frames in memory instead (Handle.RecentFrames), for a
// "replay the last seconds" view. The format, the options and the commands
// are in the repository's docs/replay.md.
//
// # Metrics
//
// Registered on Options.Registerer, labelled by game (and node when
// Options.NodeID is set): tickwire_tick_duration_seconds and
// tickwire_tick_jitter_seconds (histograms), tickwire_tick_overruns_total,
// tickwire_ticks_skipped_total, tickwire_inputs_dropped_total{reason},
// tickwire_rooms_failed_total, tickwire_rooms and tickwire_players.
package tick
