package tick

import (
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// frameRing keeps the last RecordOptions.Ring of a room's whole state as
// state frames, for Handle.RecentFrames: a snapshot every second of ticks
// and the deltas between, in segments that each start with a snapshot, so
// the oldest kept frame is always one a client can start from. The room's
// goroutine adds frames; any goroutine reads them under mu. Segments are
// recycled, so a ring that has filled up allocates nothing per tick.
type frameRing struct {
	keep, snapEvery uint64 // in ticks
	tracker         *protocol.Tracker

	env      tickwirev1.Envelope
	envState tickwirev1.Envelope_State
	frame    tickwirev1.StateFrame
	snap     tickwirev1.StateFrame_Snapshot
	delta    tickwirev1.StateFrame_Delta
	stateBuf []byte
	encBuf   []byte

	mu       sync.Mutex
	segs     []*ringSeg // oldest first
	free     []*ringSeg
	lastTick uint64 // of the newest frame
	stopped  bool
}

// ringSeg is a snapshot and the deltas after it, each framed by a 4-byte
// big-endian length.
type ringSeg struct {
	first  uint64 // the snapshot's tick
	frames []byte
}

func newFrameRing(roomID string, zero proto.Message, keep time.Duration, hz int) *frameRing {
	fr := &frameRing{
		keep:      uint64((keep*time.Duration(hz) + time.Second - 1) / time.Second),
		snapEvery: uint64(hz),
		tracker:   protocol.NewTracker(zero),
	}
	fr.envState.State = &fr.frame
	fr.env.Msg = &fr.envState
	fr.frame.RoomId = roomID
	return fr
}

// stop empties the ring for good, after an error. The room's goroutine.
func (fr *frameRing) stop() {
	fr.mu.Lock()
	fr.segs, fr.free, fr.stopped = nil, nil, true
	fr.mu.Unlock()
}

// add files the state after tick t, due at now. The room's goroutine.
func (fr *frameRing) add(t uint64, now time.Time, state proto.Message) error {
	d, err := fr.tracker.Update(state)
	if err != nil {
		_ = fr.tracker.Reset(state)
		return fmt.Errorf("replay ring: diff state: %w", err)
	}
	fr.frame.Tick = t
	fr.frame.ServerTimeUnixNano = now.UnixNano()
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if fr.stopped {
		return nil
	}
	n := len(fr.segs)
	snapshot := n == 0 || t-fr.segs[n-1].first >= fr.snapEvery
	switch {
	case snapshot:
		if fr.stateBuf, err = deterministic.MarshalAppend(fr.stateBuf[:0], state); err != nil {
			return fmt.Errorf("replay ring: encode snapshot: %w", err)
		}
		fr.snap.Snapshot = fr.stateBuf
		fr.frame.Body = &fr.snap
	case d == nil:
		return nil // nothing changed: no frame
	default:
		fr.delta.Delta = d
		fr.frame.Body = &fr.delta
	}
	if fr.encBuf, err = protocol.Append(fr.encBuf[:0], &fr.env); err != nil {
		return fmt.Errorf("replay ring: encode frame: %w", err)
	}
	fr.frame.Body, fr.snap.Snapshot, fr.delta.Delta = nil, nil, nil
	if snapshot {
		var s *ringSeg
		if k := len(fr.free); k > 0 {
			s, fr.free = fr.free[k-1], fr.free[:k-1]
		} else {
			s = &ringSeg{}
		}
		s.first, s.frames = t, s.frames[:0]
		fr.segs = append(fr.segs, s)
		// Drop the oldest segment once the next one alone covers keep.
		for len(fr.segs) >= 2 && t >= fr.keep && fr.segs[1].first <= t-fr.keep {
			fr.free = append(fr.free, fr.segs[0])
			fr.segs = append(fr.segs[:0], fr.segs[1:]...)
		}
	}
	fr.lastTick = t
	s := fr.segs[len(fr.segs)-1]
	s.frames = binary.BigEndian.AppendUint32(s.frames, uint32(len(fr.encBuf)))
	s.frames = append(s.frames, fr.encBuf...)
	return nil
}

// recent returns a copy of the frames from the newest snapshot at least
// last before the newest frame (or from the oldest kept, when the ring
// holds less).
func (fr *frameRing) recent(last time.Duration, hz int) []byte {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if len(fr.segs) == 0 {
		return []byte{} // not nil: the ring is there, nothing has ticked yet
	}
	target := int64(fr.lastTick) - int64((last*time.Duration(hz)+time.Second-1)/time.Second)
	from := 0
	for i, s := range fr.segs {
		if int64(s.first) <= target {
			from = i
		}
	}
	size := 0
	for _, s := range fr.segs[from:] {
		size += len(s.frames)
	}
	out := make([]byte, 0, size)
	for _, s := range fr.segs[from:] {
		out = append(out, s.frames...)
	}
	return out
}
