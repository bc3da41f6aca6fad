package tick_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// The test game moves players along x by their inputs' dx and records what
// the room asked of it. Hooks let a test make any method slow or panic.
// State: arenav1.State, one Player per seated player.
type testGame struct {
	probe *probe
}

// probe collects what every testGame of one registry saw. The games write
// it on their rooms' goroutines, tests read it: hence the mutex.
type probe struct {
	mu     sync.Mutex
	events []string // "tick 1", "input a 1", "join a", "leave b", ...
	nows   []time.Time
	state  *arenav1.State // a copy of the state after the last Tick

	// Hooks, set before the room starts; each may be nil.
	onInit func(r *tick.Room[*arenav1.State]) error
	onJoin func(r *tick.Room[*arenav1.State], p tick.PlayerID) error
	onTick func(r *tick.Room[*arenav1.State])
	onIn   func(r *tick.Room[*arenav1.State], p tick.PlayerID, in *arenav1.Input)
	onLeft func(r *tick.Room[*arenav1.State], p tick.PlayerID)
}

func (pr *probe) log(format string, args ...any) {
	pr.mu.Lock()
	pr.events = append(pr.events, fmt.Sprintf(format, args...))
	pr.mu.Unlock()
}

// take returns and forgets the events so far.
func (pr *probe) take() []string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	ev := pr.events
	pr.events = nil
	return ev
}

func (pr *probe) tickTimes() []time.Time {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return slices.Clone(pr.nows)
}

var _ tick.Game[*arenav1.State, *arenav1.Input] = (*testGame)(nil)

func (g *testGame) Init(r *tick.Room[*arenav1.State]) error {
	r.State().Width = 100
	if g.probe.onInit != nil {
		return g.probe.onInit(r)
	}
	return nil
}

func (g *testGame) Join(r *tick.Room[*arenav1.State], p tick.PlayerID) error {
	if g.probe.onJoin != nil {
		if err := g.probe.onJoin(r, p); err != nil {
			return err
		}
	}
	if r.State().Players == nil {
		r.State().Players = map[string]*arenav1.Player{}
	}
	r.State().Players[string(p)] = &arenav1.Player{Hp: 100}
	g.probe.log("join %s", p)
	return nil
}

func (g *testGame) Leave(r *tick.Room[*arenav1.State], p tick.PlayerID) {
	delete(r.State().Players, string(p))
	g.probe.log("leave %s", p)
	if g.probe.onLeft != nil {
		g.probe.onLeft(r, p)
	}
}

func (g *testGame) Input(r *tick.Room[*arenav1.State], p tick.PlayerID, in *arenav1.Input) {
	g.probe.log("input %s %g", p, in.Dx)
	if g.probe.onIn != nil {
		g.probe.onIn(r, p, in)
	}
	r.State().Players[string(p)].X += in.Dx
}

func (g *testGame) Tick(r *tick.Room[*arenav1.State], dt time.Duration) {
	g.probe.log("tick %d", r.Tick())
	g.probe.mu.Lock()
	g.probe.nows = append(g.probe.nows, r.Now())
	g.probe.mu.Unlock()
	if g.probe.onTick != nil {
		g.probe.onTick(r)
	}
	g.probe.mu.Lock()
	g.probe.state = proto.Clone(r.State()).(*arenav1.State)
	g.probe.mu.Unlock()
}

func (pr *probe) lastState() *arenav1.State {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return proto.Clone(pr.state).(*arenav1.State)
}

// env is one test's Rooms with the test game registered as "test".
type env struct {
	t     *testing.T
	rooms *tick.Rooms
	reg   *prometheus.Registry
	probe *probe
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv makes Rooms for one test (inside a synctest bubble when the test
// wants fake time) and closes them when the test ends.
func newEnv(t *testing.T, info tick.GameInfo, opts tick.Options) *env {
	return newEnvWith(t, info, opts, func(pr *probe) tick.Game[*arenav1.State, *arenav1.Input] {
		return &testGame{probe: pr}
	})
}

// newEnvWith is newEnv with another game, made by newGame.
func newEnvWith(t *testing.T, info tick.GameInfo, opts tick.Options, newGame func(*probe) tick.Game[*arenav1.State, *arenav1.Input]) *env {
	t.Helper()
	e := &env{t: t, reg: prometheus.NewRegistry(), probe: &probe{}, logs: &syncBuffer{}}
	registry := tick.NewRegistry()
	if info.Name == "" {
		info.Name = "test"
	}
	tick.RegisterIn(registry, info, func() tick.Game[*arenav1.State, *arenav1.Input] {
		return newGame(e.probe)
	})
	opts.Registry = registry
	opts.Registerer = e.reg
	opts.AlignTicks = true
	opts.Clock = tick.SystemClock{}
	opts.Logger = zerolog.New(e.logs)
	rooms, err := tick.NewRooms(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.rooms = rooms
	t.Cleanup(func() {
		if err := rooms.Close(context.Background()); err != nil {
			t.Errorf("close rooms: %v", err)
		}
	})
	return e
}

func (e *env) create(opts tick.RoomOptions) *tick.Handle {
	e.t.Helper()
	h, err := e.rooms.Create(context.Background(), "test", opts)
	if err != nil {
		e.t.Fatalf("create: %v", err)
	}
	return h
}

func (e *env) join(h *tick.Handle, p tick.PlayerID) *fakePeer {
	e.t.Helper()
	peer := newFakePeer(e.t)
	if err := h.Join(context.Background(), p, peer); err != nil {
		e.t.Fatalf("join %s: %v", p, err)
	}
	return peer
}

func (e *env) input(h *tick.Handle, p tick.PlayerID, seq uint64, dx float32) error {
	payload, err := proto.Marshal(&arenav1.Input{Dx: dx})
	if err != nil {
		e.t.Fatal(err)
	}
	return h.Input(p, seq, payload)
}

// metric returns the sum of the samples of a counter or gauge family.
func (e *env) metric(name string) float64 {
	e.t.Helper()
	families, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Histogram != nil:
				sum += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return sum
}

// frame is one state frame as a client saw it.
type frame struct {
	tick     uint64
	seq      uint64
	snapshot bool
	empty    bool   // a delta with nothing in it: only the seq is news
	raw      []byte // the shared bytes, as given (before the seq suffix)
	rawPtr   *byte  // the shared buffer's address, to check encode-once
}

// fakePeer is a client: it decodes every frame the way a real one would and
// keeps the state it reproduces from snapshots and deltas.
type fakePeer struct {
	t      *testing.T
	mu     sync.Mutex
	frames []frame
	ctrl   []*protocol.Envelope
	state  *arenav1.State
	refuse int // refuse this many SendState calls
}

func newFakePeer(t *testing.T) *fakePeer { return &fakePeer{t: t} }

func (p *fakePeer) SendState(raw []byte, seq uint64, snapshot bool, _ string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refuse > 0 {
		p.refuse--
		return false
	}
	buf := protocol.AppendLastInputSeq(slices.Clone(raw), seq)
	var env protocol.Envelope
	if err := protocol.Decode(buf, 0, &env); err != nil {
		p.t.Errorf("undecodable frame: %v", err)
		return true
	}
	sf := env.GetState()
	f := frame{tick: sf.GetTick(), seq: sf.GetLastInputSeq(), snapshot: snapshot, raw: slices.Clone(raw), rawPtr: &raw[0]}
	switch body := sf.GetBody().(type) {
	case *tickwirev1.StateFrame_Snapshot:
		if !snapshot {
			p.t.Errorf("snapshot frame sent with snapshot=false")
		}
		p.state = &arenav1.State{}
		if err := proto.Unmarshal(body.Snapshot, p.state); err != nil {
			p.t.Errorf("bad snapshot: %v", err)
		}
	case *tickwirev1.StateFrame_Delta:
		if p.state == nil {
			p.t.Errorf("delta before any snapshot")
			return true
		}
		f.empty = len(body.Delta.GetPatch()) == 0 && len(body.Delta.GetClears()) == 0
		if err := protocol.ApplyDelta(p.state, body.Delta); err != nil {
			p.t.Errorf("bad delta: %v", err)
		}
	default:
		p.t.Errorf("state frame without a body")
	}
	p.frames = append(p.frames, f)
	return true
}

func (p *fakePeer) Send(env *protocol.Envelope) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ctrl = append(p.ctrl, env)
}

// takeFrames returns and forgets the frames so far.
func (p *fakePeer) takeFrames() []frame {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.frames
	p.frames = nil
	return f
}

func (p *fakePeer) control() []*protocol.Envelope {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.ctrl)
}

// lastLeft returns the last Left the peer got, or nil.
func (p *fakePeer) lastLeft() *tickwirev1.Left {
	ctrl := p.control()
	for i := len(ctrl) - 1; i >= 0; i-- {
		if l := ctrl[i].GetLeft(); l != nil {
			return l
		}
	}
	return nil
}

func (p *fakePeer) clientState() *arenav1.State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return proto.Clone(p.state).(*arenav1.State)
}

func (p *fakePeer) setRefuse(n int) {
	p.mu.Lock()
	p.refuse = n
	p.mu.Unlock()
}

// period is the test game's tick period at 20 Hz.
const period = 50 * time.Millisecond

// at sleeps until t0 + k periods (use k = n + 0.5 to land between ticks)
// and waits until every goroutine of the bubble is idle.
func at(t0 time.Time, k float64) {
	time.Sleep(time.Until(t0.Add(time.Duration(k * float64(period)))))
	synctest.Wait()
}

func kinds(frames []frame) []string {
	var out []string
	for _, f := range frames {
		k := "delta"
		switch {
		case f.snapshot:
			k = "snapshot"
		case f.empty:
			k = "empty"
		}
		out = append(out, fmt.Sprintf("%d:%s:%d", f.tick, k, f.seq))
	}
	return out
}
