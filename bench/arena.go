package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/examples/arena"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// arenaScenario seats client i in room i mod rooms: the first client of a
// room creates it (JoinRoom{game, create}), the others join it by id once
// it exists. Every input steers a little further round a circle, so every
// player moves and every tick's delta carries every player.
//
// Its clients are lean (leanConn): they read each state frame's tick and
// last_input_seq and nothing else. With -verify they are full clients
// instead, and every frame is applied to a replica of the room's state
// (arenaVerifier), as a player's client would.
type arenaScenario struct {
	slots    []*roomSlot
	payloads [][]byte       // encoded arenav1.Input, one per heading
	verify   *arenaVerifier // -verify; nil for lean clients
}

var (
	_ scenario          = (*arenaScenario)(nil)
	_ leanScenario      = (*arenaScenario)(nil)
	_ envelopeScenario  = (*arenaScenario)(nil)
	_ reportingScenario = (*arenaScenario)(nil)
)

// roomSlot is one room of the run; ready is closed once its creator's
// join answered (id set) or failed (err set).
type roomSlot struct {
	ready chan struct{}
	once  sync.Once
	id    string
	err   error
}

// wait waits for slot i to be resolved and gives its room's id.
func (s *roomSlot) wait(ctx context.Context, i int) (string, error) {
	select {
	case <-s.ready:
	case <-ctx.Done():
		return "", fmt.Errorf("wait for room %d: %w", i, ctx.Err())
	}
	if s.err != nil {
		return "", fmt.Errorf("room %d was not created: %w", i, s.err)
	}
	return s.id, nil
}

func (s *roomSlot) resolve(id string, err error) {
	s.once.Do(func() {
		s.id, s.err = id, err
		close(s.ready)
	})
}

// arenaHeadings is how many directions the inputs cycle through.
const arenaHeadings = 32

func newArenaScenario(c *config) scenario {
	a := &arenaScenario{slots: make([]*roomSlot, c.rooms)}
	if c.verify {
		a.verify = newArenaVerifier(c.clients)
	}
	for i := range a.slots {
		a.slots[i] = &roomSlot{ready: make(chan struct{})}
	}
	a.payloads = arenaPayloads()
	return a
}

// arenaPayloads are the encoded arenav1.Inputs of every heading.
func arenaPayloads() [][]byte {
	var out [][]byte
	for h := range arenaHeadings {
		angle := 2 * math.Pi * float64(h) / arenaHeadings
		b, err := proto.Marshal(&arenav1.Input{Dx: float32(math.Cos(angle)), Dy: float32(math.Sin(angle))})
		if err != nil {
			panic(err) // a two-float message always encodes
		}
		out = append(out, b)
	}
	return out
}

func (a *arenaScenario) lean() bool        { return a.verify == nil }
func (a *arenaScenario) rooms() int        { return len(a.slots) }
func (a *arenaScenario) sendsInputs() bool { return true }

func (a *arenaScenario) input(p *player, seq uint64) []byte {
	return a.payloads[(uint64(p.idx)+seq)%arenaHeadings]
}

func (a *arenaScenario) join(ctx context.Context, r *run, p *player) error {
	slot := a.slots[p.idx%len(a.slots)]
	creator := p.idx < len(a.slots)
	req := &tickwirev1.JoinRoom{RoomId: ""}
	if creator {
		req.Game, req.Create = arena.Name, true
	} else {
		id, err := slot.wait(ctx, p.idx%len(a.slots))
		if err != nil {
			return err
		}
		req.RoomId = id
	}
	reply, err := p.conn.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: req}})
	if err == nil && reply.GetJoined() == nil {
		err = fmt.Errorf("JoinRoom answered with %T", reply.Msg)
	}
	if err != nil {
		if creator {
			slot.resolve("", err)
		}
		return fmt.Errorf("join: %w", err)
	}
	j := reply.GetJoined()
	if creator {
		slot.resolve(j.RoomId, nil)
	}
	p.roomID = j.RoomId
	return r.noteTickHz(int(j.TickHz))
}

// errHzMismatch is the fatal error of a run whose rooms tick at another
// rate than -hz asked.
var errHzMismatch = errors.New("tick rate mismatch")

// onEnvelope applies a full client's state frames to its replica (-verify).
func (a *arenaScenario) onEnvelope(p *player, env *protocol.Envelope, _ int, _ int64) {
	if a.verify != nil {
		a.verify.onEnvelope(p.idx, env)
	}
}

// fillReport adds the -verify block.
func (a *arenaScenario) fillReport(_ *run, rep *Report) {
	rep.ClientMode = clientLean
	if a.verify != nil {
		rep.ClientMode = clientVerify
		rep.Verify = a.verify.report()
	}
}
