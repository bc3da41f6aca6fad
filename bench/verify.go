package main

import (
	"sync"
	"sync/atomic"

	"github.com/tickwire/tickwire/client"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/protocol"
)

// Client modes in the report (client_mode).
const (
	clientLean   = "lean"   // the arena's clients read tick and last_input_seq only
	clientVerify = "verify" // -verify: full clients apply every frame to a replica
)

// arenaVerifier keeps, for -verify, one replica of the room's state per
// arena client, applies every state frame to it (client.Replica: the
// snapshot, then each delta) and counts what did not apply. A client's
// frames arrive on one poller at a time; the mutex only makes that
// explicit.
type arenaVerifier struct {
	mu       []sync.Mutex
	replicas []*client.Replica[*arenav1.State] // by player index; created at the first frame

	frames, snapshots, deltas atomic.Int64
	errors, tickRegressions   atomic.Int64
	otherRoom                 atomic.Int64
}

func newArenaVerifier(clients int) *arenaVerifier {
	return &arenaVerifier{mu: make([]sync.Mutex, clients), replicas: make([]*client.Replica[*arenav1.State], clients)}
}

// onEnvelope applies env to client idx's replica if it is a state frame.
func (v *arenaVerifier) onEnvelope(idx int, env *protocol.Envelope) {
	sf := env.GetState()
	if sf == nil {
		return
	}
	v.frames.Add(1)
	v.mu[idx].Lock()
	defer v.mu[idx].Unlock()
	rep := v.replicas[idx]
	if rep == nil { // the first frame names the room (the join's reply may still be on its way to the dialer)
		rep = client.NewReplica[*arenav1.State](sf.RoomId)
		v.replicas[idx] = rep
	}
	prevTick, had := rep.Tick, rep.Ready()
	ok, err := rep.Apply(sf)
	switch {
	case !ok:
		v.otherRoom.Add(1)
		return
	case err != nil:
		v.errors.Add(1)
		return
	}
	if had && rep.Tick < prevTick {
		v.tickRegressions.Add(1)
	}
	if sf.GetSnapshot() != nil {
		v.snapshots.Add(1)
	} else if sf.GetDelta() != nil {
		v.deltas.Add(1)
	}
}

// verifyReport is the report's verify block (-verify).
type verifyReport struct {
	// Frames, Snapshots and Deltas count the state frames received and
	// applied, over the whole run.
	Frames    int64 `json:"frames"`
	Snapshots int64 `json:"snapshots"`
	Deltas    int64 `json:"deltas"`
	// ReplicaErrors are frames a replica could not apply (0 unless the
	// protocol breaks); OtherRoom are frames of a room the client was not
	// in; TickRegressions are frames older than the one before.
	ReplicaErrors   int64 `json:"replica_errors"`
	OtherRoom       int64 `json:"other_room"`
	TickRegressions int64 `json:"tick_regressions"`
}

func (v *arenaVerifier) report() *verifyReport {
	return &verifyReport{
		Frames: v.frames.Load(), Snapshots: v.snapshots.Load(), Deltas: v.deltas.Load(),
		ReplicaErrors: v.errors.Load(), OtherRoom: v.otherRoom.Load(), TickRegressions: v.tickRegressions.Load(),
	}
}
