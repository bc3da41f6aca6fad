package tick_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/protobuf/proto"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// topicGame is the test game with Topics: the arena's players live in
// halves "west" (x < 50) and "east"; every player receives the topic of its
// half, and players with hp 50 (set by an input of dx 0.5) also receive
// "all". An input of dx 0 refuses itself.
type topicGame struct {
	testGame
	mu       sync.Mutex
	fills    map[string]int // FillTopic calls by topic
	versions map[string]uint64
}

var _ tick.Topics[*arenav1.State] = (*topicGame)(nil)

func half(x float32) string {
	if x < 50 {
		return "west"
	}
	return "east"
}

func (g *topicGame) Input(r *tick.Room[*arenav1.State], p tick.PlayerID, in *arenav1.Input) {
	if in.Dx == 0 {
		r.Refuse(p, protocol.CodeInputRefused, "standing still is not a move")
		return
	}
	pl := r.State().Players[string(p)]
	g.versions[half(pl.X)]++
	if in.Dx == 0.5 {
		pl.Hp = 50
		return
	}
	pl.X += in.Dx
	g.versions[half(pl.X)]++
	g.versions["all"]++
}

func (g *topicGame) Join(r *tick.Room[*arenav1.State], p tick.PlayerID) error {
	g.versions["west"]++
	g.versions["all"]++
	return g.testGame.Join(r, p)
}

func (g *topicGame) Topics(r *tick.Room[*arenav1.State], p tick.PlayerID, dst []string) []string {
	pl := r.State().Players[string(p)]
	dst = append(dst, half(pl.X))
	if pl.Hp == 50 {
		dst = append(dst, "all", "all") // listed twice: received once
	}
	return dst
}

func (g *topicGame) TopicVersion(r *tick.Room[*arenav1.State], topic string) uint64 {
	return g.versions[topic]
}

func (g *topicGame) FillTopic(r *tick.Room[*arenav1.State], topic string, dst *arenav1.State) {
	g.mu.Lock()
	g.fills[topic]++
	g.mu.Unlock()
	for id, pl := range r.State().Players {
		if topic == "all" || half(pl.X) == topic {
			if dst.Players == nil {
				dst.Players = map[string]*arenav1.Player{}
			}
			dst.Players[id] = proto.CloneOf(pl)
		}
	}
}

func (g *topicGame) fillCount(topic string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.fills[topic]
}

// topicPeer is a client of a topic game: one replica per topic.
type topicPeer struct {
	t      *testing.T
	mu     sync.Mutex
	frames []string // "topic:kind" per frame
	raw    map[string][]byte
	states map[string]*arenav1.State
	errors []*tickwirev1.Error
	refuse int
}

func newTopicPeer(t *testing.T) *topicPeer {
	return &topicPeer{t: t, states: map[string]*arenav1.State{}, raw: map[string][]byte{}}
}

func (p *topicPeer) SendState(raw []byte, seq uint64, snapshot bool, topic string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refuse > 0 {
		p.refuse--
		return false
	}
	var env protocol.Envelope
	if err := protocol.Decode(protocol.AppendLastInputSeq(slices.Clone(raw), seq), 0, &env); err != nil {
		p.t.Errorf("undecodable frame: %v", err)
		return true
	}
	sf := env.GetState()
	if sf.GetTopic() != topic {
		p.t.Errorf("frame topic %q given as %q", sf.GetTopic(), topic)
	}
	kind := "empty"
	switch body := sf.GetBody().(type) {
	case *tickwirev1.StateFrame_Snapshot:
		kind = "snapshot"
		st := &arenav1.State{}
		if err := proto.Unmarshal(body.Snapshot, st); err != nil {
			p.t.Errorf("bad snapshot: %v", err)
		}
		p.states[topic] = st
	case *tickwirev1.StateFrame_Delta:
		if topic == "" {
			break // only the seq
		}
		kind = "delta"
		st := p.states[topic]
		if st == nil {
			p.t.Errorf("delta of topic %q before its snapshot", topic)
			return true
		}
		if err := protocol.ApplyDelta(st, body.Delta); err != nil {
			p.t.Errorf("bad delta: %v", err)
		}
	default:
		if !sf.GetUnsubscribed() || !snapshot {
			p.t.Errorf("frame of topic %q without a body", topic)
		}
		kind = "unsubscribed"
		delete(p.states, topic)
	}
	p.raw[topic+":"+kind] = slices.Clone(raw)
	p.frames = append(p.frames, topic+":"+kind)
	return true
}

func (p *topicPeer) Send(env *protocol.Envelope) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := env.GetError(); e != nil {
		p.errors = append(p.errors, e)
	}
}

func (p *topicPeer) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.frames
	p.frames = nil
	slices.Sort(f)
	return f
}

// replica describes what the client holds: "topic=players,..." sorted.
func (p *topicPeer) replica() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for t, st := range p.states {
		out = append(out, fmt.Sprintf("%s=%v", t, keys(st)))
	}
	slices.Sort(out)
	return out
}

func TestTopicsSubscribeDiffOnceAndUnsubscribe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var game *topicGame
		e := newEnvWith(t, tick.GameInfo{TickHz: 20}, tick.Options{}, func(pr *probe) tick.Game[*arenav1.State, *arenav1.Input] {
			game = &topicGame{testGame: testGame{probe: pr}, fills: map[string]int{}, versions: map[string]uint64{}}
			return game
		})
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		peers := map[string]*topicPeer{}
		for _, id := range []string{"a", "b", "c"} {
			peers[id] = newTopicPeer(t)
			if err := h.Join(context.Background(), tick.PlayerID(id), peers[id]); err != nil {
				t.Fatal(err)
			}
		}
		a, b, c := peers["a"], peers["b"], peers["c"]
		at(t0, 1.5)
		for id, p := range peers {
			if got := p.take(); !slices.Equal(got, []string{"west:snapshot"}) {
				t.Errorf("%s's first frames = %q", id, got)
			}
			if got := p.replica(); !slices.Equal(got, []string{"west=[a b c]"}) {
				t.Errorf("%s holds %q", id, got)
			}
		}
		if n := game.fillCount("west"); n != 1 {
			t.Errorf("west filled %d times for 3 subscribers, want 1", n)
		}

		// Nothing changed: no frames, no refill.
		at(t0, 2.5)
		for id, p := range peers {
			if got := p.take(); len(got) != 0 {
				t.Errorf("%s got %q on a quiet tick", id, got)
			}
		}
		if n := game.fillCount("west"); n != 1 {
			t.Errorf("west refilled on a quiet tick (%d fills)", n)
		}

		// c walks east: c loses west and gains east; a and b get one shared delta.
		if err := e.input(h, "c", 1, 60); err != nil {
			t.Fatal(err)
		}
		at(t0, 3.5)
		if got := c.take(); !slices.Equal(got, []string{"east:snapshot", "west:unsubscribed"}) {
			t.Errorf("c's frames after walking east = %q", got)
		}
		if got := c.replica(); !slices.Equal(got, []string{"east=[c]"}) {
			t.Errorf("c holds %q", got)
		}
		if got := a.take(); !slices.Equal(got, []string{"west:delta"}) {
			t.Errorf("a's frames = %q", got)
		}
		if got := b.take(); !slices.Equal(got, []string{"west:delta"}) {
			t.Errorf("b's frames = %q", got)
		}
		if &a.raw["west:delta"][0] == &b.raw["west:delta"][0] || !slices.Equal(a.raw["west:delta"], b.raw["west:delta"]) {
			t.Errorf("a and b got different bytes for the same topic delta")
		}
		if got := a.replica(); !slices.Equal(got, []string{"west=[a b]"}) {
			t.Errorf("a holds %q", got)
		}

		// a subscribes to "all" too (listed twice by the game, received once).
		if err := e.input(h, "a", 2, 0.5); err != nil {
			t.Fatal(err)
		}
		at(t0, 4.5)
		if got := a.take(); !slices.Equal(got, []string{"all:snapshot", "west:delta"}) {
			t.Errorf("a's frames after subscribing to all = %q", got)
		}
		if got := a.replica(); !slices.Equal(got, []string{"all=[a b c]", "west=[a b]"}) {
			t.Errorf("a holds %q", got)
		}
		if got := b.take(); !slices.Equal(got, []string{"west:delta"}) {
			t.Errorf("b's frames after a's hp changed = %q", got)
		}

		// A refused input changes nothing and reaches only its sender, with its seq;
		// its seq still travels in an empty frame.
		if err := e.input(h, "b", 7, 0); err != nil {
			t.Fatal(err)
		}
		at(t0, 5.5)
		if got := b.take(); !slices.Equal(got, []string{":empty"}) {
			t.Errorf("b's frames after a refused input = %q", got)
		}
		b.mu.Lock()
		errs := slices.Clone(b.errors)
		b.mu.Unlock()
		if len(errs) != 1 || errs[0].GetCode() != protocol.CodeInputRefused || errs[0].GetInputSeq() != 7 || errs[0].GetRoomId() != h.ID() || errs[0].GetMessage() == "" {
			t.Errorf("b's errors = %v", errs)
		}
		if got := a.take(); len(got) != 0 {
			t.Errorf("a got %q after b's refused input", got)
		}
		if n := e.metric("tickwire_inputs_refused_total"); n != 1 {
			t.Errorf("tickwire_inputs_refused_total = %v", n)
		}
	})
}

func TestTopicsDroppedFrameResnapshotsThatTopic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var game *topicGame
		e := newEnvWith(t, tick.GameInfo{TickHz: 20}, tick.Options{}, func(pr *probe) tick.Game[*arenav1.State, *arenav1.Input] {
			game = &topicGame{testGame: testGame{probe: pr}, fills: map[string]int{}, versions: map[string]uint64{}}
			return game
		})
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		a, b := newTopicPeer(t), newTopicPeer(t)
		for id, p := range map[tick.PlayerID]*topicPeer{"a": a, "b": b} {
			if err := h.Join(context.Background(), id, p); err != nil {
				t.Fatal(err)
			}
		}
		at(t0, 1.5)
		a.take()
		b.take()
		a.mu.Lock()
		a.refuse = 1
		a.mu.Unlock()
		if err := e.input(h, "b", 1, 1); err != nil {
			t.Fatal(err)
		}
		at(t0, 2.5) // a's delta is dropped
		if got := a.take(); len(got) != 0 {
			t.Errorf("a's frames while refusing = %q", got)
		}
		at(t0, 3.5) // nothing changed, but a needs a snapshot
		if got := a.take(); !slices.Equal(got, []string{"west:snapshot"}) {
			t.Errorf("a's frames after a dropped delta = %q", got)
		}
		if got := b.take(); !slices.Equal(got, []string{"west:delta"}) {
			t.Errorf("b's frames = %q", got)
		}
	})
}

func TestHarnessRecordsRefusals(t *testing.T) {
	g := &topicGame{testGame: testGame{probe: &probe{}}, fills: map[string]int{}, versions: map[string]uint64{}}
	h, err := tick.NewHarness(tick.GameInfo{TickHz: 20}, tick.Game[*arenav1.State, *arenav1.Input](g), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Join("a"); err != nil {
		t.Fatal(err)
	}
	for _, dx := range []float32{1, 0} {
		if err := h.Input("a", &arenav1.Input{Dx: dx}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Tick(); err != nil {
		t.Fatal(err)
	}
	got := h.Refusals()
	if len(got) != 1 || got[0].Player != "a" || got[0].Seq != 2 || got[0].Code != protocol.CodeInputRefused {
		t.Errorf("refusals = %+v", got)
	}
	if g.fillCount("west") != 1 {
		t.Errorf("the harness did not fill a's topic (%d fills)", g.fillCount("west"))
	}
	if len(h.Refusals()) != 0 {
		t.Errorf("Refusals did not forget")
	}
	// a's client has its topic's replica, as a real client would.
	c := h.Client("a")
	west, ok := c.Topic(half(h.State().Players["a"].X))
	if !ok || c.Err() != nil || !proto.Equal(west.Players["a"], h.State().Players["a"]) {
		t.Errorf("a's replica of its topic: %v (received %v, err %v), want a as in the state", west, ok, c.Err())
	}
	if _, ok := c.Topic("all"); ok || c.LastInputSeq() != 2 {
		t.Errorf("a received \"all\" (%v) or acknowledges input %d, want 2", ok, c.LastInputSeq())
	}
	if h.Client("nobody") != nil {
		t.Errorf("a client for a player who never joined")
	}
}
