package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/cluster/natstest"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

// tickLog records, for every run of a room (one game instance: a room
// restored elsewhere is a new run), the node it ran on and when it ticked,
// so a test can check that no two runs of one room id overlap in time.
type tickLog struct {
	mu   sync.Mutex
	runs map[string][]*roomRun // by room id
}

type roomRun struct {
	room, node  string
	first, last time.Time
	ticks       int
	maxGap      time.Duration
}

func newTickLog() *tickLog { return &tickLog{runs: map[string][]*roomRun{}} }

func (l *tickLog) tick(run **roomRun, room, node string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := *run
	if r == nil {
		r = &roomRun{room: room, node: node, first: now}
		l.runs[room] = append(l.runs[room], r)
		*run = r
	} else if gap := now.Sub(r.last); gap > r.maxGap {
		r.maxGap = gap
	}
	r.last = now
	r.ticks++
}

// of returns copies of room's runs, oldest first.
func (l *tickLog) of(room string) []roomRun {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []roomRun
	for _, r := range l.runs[room] {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b roomRun) int { return a.first.Compare(b.first) })
	return out
}

// overlaps returns every pair of runs of one room that ticked at the same
// time: a room running twice.
func (l *tickLog) overlaps() []string {
	l.mu.Lock()
	rooms := make([]string, 0, len(l.runs))
	for id := range l.runs {
		rooms = append(rooms, id)
	}
	l.mu.Unlock()
	var out []string
	for _, id := range rooms {
		runs := l.of(id)
		for i := 1; i < len(runs); i++ {
			if !runs[i-1].last.Before(runs[i].first) {
				out = append(out, fmt.Sprintf("room %s ran on %s until %v and on %s from %v",
					id, runs[i-1].node, runs[i-1].last.Format("15:04:05.000"), runs[i].node, runs[i].first.Format("15:04:05.000")))
			}
		}
	}
	return out
}

// loggedGame is the counter with every tick written to a tickLog.
type loggedGame struct {
	counter
	log  *tickLog
	node string
	run  *roomRun // this instance's run; the room's goroutine only
}

// Tick counts, so every tick changes the state and sends a frame.
func (g *loggedGame) Tick(r *tick.Room[state], _ time.Duration) {
	r.State().Value++
	g.log.tick(&g.run, r.ID(), g.node, time.Now())
}

// relayGame is the recoverable test game: logged ticks, snapshots every
// 100 ms, a long reconnection grace.
const relayGame = "relay"

// loggedRegistry holds the test games, the relay game and a logged
// non-recoverable one ("stay"), all of node's rooms writing to log.
func loggedRegistry(log *tickLog, node string) *tick.Registry {
	reg := testRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: relayGame, TickHz: 20, MinPlayers: 1, MaxPlayers: 4,
		SnapshotEvery: 100 * time.Millisecond, ReconnectGrace: 20 * time.Second},
		func() tick.Game[state, state] { return &loggedGame{log: log, node: node} })
	tick.RegisterIn(reg, tick.GameInfo{Name: "stay", TickHz: 20, MinPlayers: 1, MaxPlayers: 4},
		func() tick.Game[state, state] { return &loggedGame{log: log, node: node} })
	return reg
}

// proxiedNode is a test node that reaches every NATS server through its
// own proxies, so a test can cut it off or slow it down alone.
type proxiedNode struct {
	*testNode
	proxies []*natstest.Proxy
}

func (pn proxiedNode) cut() {
	for _, p := range pn.proxies {
		p.Cut()
	}
}

func (pn proxiedNode) heal() {
	for _, p := range pn.proxies {
		p.Heal()
	}
}

func (pn proxiedNode) setLatency(d time.Duration) {
	for _, p := range pn.proxies {
		p.SetLatency(d)
	}
}

// startProxiedNodes starts n nodes on c, each behind its own proxies,
// with logged registries, and waits until each sees all.
func startProxiedNodes(t *testing.T, c *natstest.Cluster, n int, log *tickLog, ttl time.Duration) []proxiedNode {
	t.Helper()
	var out []proxiedNode
	for i := range n {
		name := fmt.Sprintf("node%d", i+1)
		ps, urls := c.ProxyAll(t)
		tn := startNode(t, c, name, nodeConfig{nats: urls, registry: loggedRegistry(log, name), ttl: ttl})
		out = append(out, proxiedNode{testNode: tn, proxies: ps})
	}
	servertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		for _, pn := range out {
			if got := len(pn.node.Nodes()); got != n {
				return fmt.Errorf("%s sees %d nodes", pn.name, got)
			}
		}
		return nil
	})
	return out
}

// seated is a player of a fence test: in a room over our Go client.
type seated struct {
	g    guest
	room string
	c    *client.Conn
}

// seatIn creates a room of game on tn for a new guest and joins it.
func seatIn(t *testing.T, tn *testNode, name, game string) *seated {
	t.Helper()
	g := tn.guest(name)
	var grant grantReply
	if code := api(t, tn.url(), "POST", "/lobby/rooms", g.Token, map[string]any{"game": game}, &grant); code != 200 {
		t.Fatalf("create a %s room on %s: %d", game, tn.name, code)
	}
	c, err := play(t, tn.url(), g, grant.RoomID, grant.Seat)
	if err != nil {
		t.Fatalf("%s joins on %s: %v", name, tn.name, err)
	}
	return &seated{g: g, room: grant.RoomID, c: c}
}

// nextLeft reads until the player is told Left of his room.
func (s *seated) nextLeft(within time.Duration) (*protocol.Envelope, error) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		env, err := s.c.Recv(ctx)
		if err != nil {
			return nil, err
		}
		if l := env.GetLeft(); l != nil && l.RoomId == s.room {
			return env, nil
		}
	}
}

// states reads state frames of the player's room for d and returns how
// many came and the longest wait between two.
func (s *seated) states(t *testing.T, d time.Duration) (n int, gap time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	last := time.Now()
	for {
		env, err := s.c.Recv(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return n, max(gap, time.Since(last))
			}
			t.Fatalf("%s: %v", s.g.PlayerID, err)
		}
		if f := env.GetState(); f != nil && f.RoomId == s.room {
			n++
			gap = max(gap, time.Since(last))
			last = time.Now()
		}
	}
}

// TestPartitionFencesNode is issue #17's partition: one node of three
// loses NATS (every byte to and from its NATS servers stops; its players'
// WebSockets are untouched). It fences itself before its heartbeat key
// ages out, so while the others restore its recoverable rooms from their
// snapshots, none of them runs twice; its players are told to go
// elsewhere and, through our Go client, play on in the restored rooms on
// other nodes. Its room without snapshots plays on where it is. When NATS
// comes back the node re-registers, resurrects nothing, and issues seats
// again.
func TestPartitionFencesNode(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	log := newTickLog()
	const ttl = 2 * time.Second
	nodes := startProxiedNodes(t, c, 3, log, ttl)
	var tns []*testNode
	for _, pn := range nodes {
		tns = append(tns, pn.testNode)
	}
	lead := leader(t, tns)
	var victim proxiedNode
	var healthy []*testNode
	for _, pn := range nodes {
		if pn.testNode != lead && victim.testNode == nil {
			victim = pn
		} else {
			healthy = append(healthy, pn.testNode)
		}
	}
	// Three players in recoverable rooms on the victim, one in a room
	// without snapshots there, and one on a healthy node.
	var movers []*seated
	for i := range 3 {
		movers = append(movers, seatIn(t, victim.testNode, fmt.Sprint("mover", i), relayGame))
	}
	stayer := seatIn(t, victim.testNode, "stayer", "stay")
	bystander := seatIn(t, healthy[0], "bystander", relayGame)
	ctx := context.Background()
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		for _, m := range movers {
			if _, ok, err := lead.node.readSnapshot(ctx, m.room); err != nil || !ok {
				return fmt.Errorf("no snapshot of %s yet (%v)", m.room, err)
			}
		}
		return nil
	})

	cut := time.Now()
	victim.cut()
	// The victim's players are told to go elsewhere...
	for _, m := range movers {
		env, err := m.nextLeft(5 * time.Second)
		if err != nil {
			t.Fatalf("%s got no Left within 5 s of the cut: %v", m.g.PlayerID, err)
		}
		if l := env.GetLeft(); l.Code != protocol.CodeRoomElsewhere {
			t.Fatalf("%s got Left %v, want ROOM_ELSEWHERE", m.g.PlayerID, l)
		}
	}
	fenced := time.Since(cut)
	t.Logf("%v: players told Left", fenced)
	if !victim.node.Fenced() {
		t.Fatal("the victim told its players to leave but is not fenced")
	}
	// ...and it grants no places meanwhile.
	late := victim.guest("late")
	if code := api(t, victim.url(), "POST", "/lobby/rooms", late.Token, map[string]any{"game": relayGame}, nil); code == 200 {
		t.Fatal("a fenced node created a room")
	}
	// They rejoin through the healthy nodes and play there.
	eng := testEngine(t)
	var urls []string
	for _, tn := range healthy {
		urls = append(urls, tn.url())
	}
	type rejoinResult struct {
		conn *client.Conn
		took time.Duration
		err  error
	}
	results := make([]rejoinResult, len(movers))
	var wg sync.WaitGroup
	for i, m := range movers { // all at once, as players would
		wg.Go(func() {
			rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			conn, _, err := client.Rejoin(rctx, urls, m.g.Token, m.room, 50*time.Millisecond, client.Options{Engine: eng})
			results[i] = rejoinResult{conn: conn, took: time.Since(cut), err: err}
		})
	}
	wg.Wait()
	var back time.Duration
	for i, m := range movers {
		r := results[i]
		if r.err != nil {
			t.Fatalf("%s did not get back into %s: %v", m.g.PlayerID, m.room, r.err)
		}
		t.Cleanup(func() { _ = r.conn.Close(context.Background()) })
		m.c = r.conn
		back = max(back, r.took)
		if n, _ := m.states(t, 300*time.Millisecond); n == 0 {
			t.Fatalf("%s: no state from the restored room", m.g.PlayerID)
		}
		rec, err := lead.node.Directory().Room(ctx, m.room)
		if err != nil || rec.Node == victim.name {
			t.Fatalf("room %s after the partition: %+v (%v)", m.room, rec, err)
		}
	}
	// The room without snapshots played on, on the cut-off node, and so
	// did the healthy node's room.
	for _, s := range []*seated{stayer, bystander} {
		runs := log.of(s.room)
		if len(runs) != 1 || !runs[0].last.After(cut.Add(ttl)) || runs[0].maxGap > time.Second {
			t.Fatalf("room %s through the partition: %+v; want one run, ticking on", s.room, runs)
		}
	}

	healed := time.Now()
	t.Logf("%v: all players back; healing", time.Since(cut))
	victim.heal()
	servertest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		if victim.node.Fenced() {
			return errors.New("the victim is still fenced")
		}
		for _, tn := range tns {
			if got := len(tn.node.Nodes()); got != 3 {
				return fmt.Errorf("%s sees %d nodes", tn.name, got)
			}
		}
		return nil
	})
	rejoined := time.Since(healed)
	t.Logf("%v: re-registered", time.Since(cut))
	// Seats again, through the healed node's lobby.
	servertest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		if code := api(t, victim.url(), "POST", "/lobby/rooms", late.Token, map[string]any{"game": relayGame}, nil); code != 200 {
			return fmt.Errorf("create a room on the healed node: %d", code)
		}
		return nil
	})
	t.Logf("%v: seats again", time.Since(cut))
	// Nothing resurrected: the moved rooms run elsewhere only, recorded there.
	for _, m := range movers {
		if _, err := victim.rooms.Get(m.room); err == nil {
			t.Fatalf("room %s runs on the healed node again", m.room)
		}
		rec, err := victim.node.Directory().Room(ctx, m.room)
		if err != nil || rec.Node == victim.name {
			t.Fatalf("room %s after the heal: %+v (%v)", m.room, rec, err)
		}
		if n, _ := m.states(t, 200*time.Millisecond); n == 0 {
			t.Fatalf("%s: the restored room stopped after the heal", m.g.PlayerID)
		}
	}
	if over := log.overlaps(); len(over) > 0 {
		t.Fatalf("rooms ran twice:\n%s", over)
	}
	for _, m := range movers {
		runs := log.of(m.room)
		if len(runs) != 2 || runs[0].node != victim.name || runs[1].node == victim.name {
			t.Fatalf("room %s ran %+v; want once on %s, then once elsewhere", m.room, runs, victim.name)
		}
		t.Logf("room %s: last tick on %s %v after the cut, first on %s %v after it (no play for %v)", m.room,
			runs[0].node, runs[0].last.Sub(cut).Round(time.Millisecond), runs[1].node, runs[1].first.Sub(cut).Round(time.Millisecond),
			runs[1].first.Sub(runs[0].last).Round(time.Millisecond))
	}
	t.Logf("TTL %v: fenced (players told Left) %v after the cut; all players back in play %v after it; re-registered %v after the heal",
		ttl, fenced.Round(time.Millisecond), back.Round(time.Millisecond), rejoined.Round(time.Millisecond))
}

// TestShortPartitionHandsRoomsOn: a node loses NATS long enough to fence
// itself but not for its key to age out, so no other node takes its
// rooms. Back, it hands each room it closed on from its snapshot; the
// player rejoins it, and the room never ran twice.
func TestShortPartitionHandsRoomsOn(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	log := newTickLog()
	const ttl = 5 * time.Second // fenced at 3.75 s, taken for dead at 5 s
	nodes := startProxiedNodes(t, c, 2, log, ttl)
	victim, other := nodes[0], nodes[1]
	m := seatIn(t, victim.testNode, "mover", relayGame)
	ctx := context.Background()
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if _, ok, err := other.node.readSnapshot(ctx, m.room); err != nil || !ok {
			return fmt.Errorf("no snapshot yet (%v)", err)
		}
		return nil
	})
	watch := watchCluster([]*testNode{other.testNode})
	cut := time.Now()
	victim.cut()
	env, err := m.nextLeft(ttl)
	if err != nil || env.GetLeft().Code != protocol.CodeRoomElsewhere {
		t.Fatalf("no Left ROOM_ELSEWHERE within the TTL: %v %v", env, err)
	}
	fenced := time.Since(cut)
	victim.heal()
	servertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if victim.node.Fenced() {
			return errors.New("still fenced")
		}
		return nil
	})
	back := time.Since(cut)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, _, err := client.Rejoin(rctx, []string{victim.url(), other.url()}, m.g.Token, m.room, 50*time.Millisecond, client.Options{Engine: testEngine(t)})
	if err != nil {
		t.Fatalf("rejoin after the short partition: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	m.c = conn
	if n, _ := m.states(t, 300*time.Millisecond); n == 0 {
		t.Fatal("no state from the handed-on room")
	}
	rejoined := time.Since(cut)
	_, _, minNodes := watch.stop()
	if minNodes != 2 {
		t.Fatalf("the other node took the victim for dead (saw %d nodes): the cut was not short", minNodes)
	}
	if over := log.overlaps(); len(over) > 0 {
		t.Fatalf("rooms ran twice:\n%s", over)
	}
	runs := log.of(m.room)
	if len(runs) != 2 || runs[0].node != victim.name {
		t.Fatalf("room %s ran %+v; want once on %s, then once more", m.room, runs, victim.name)
	}
	t.Logf("TTL %v: fenced %v after the cut, healed then, back in the cluster %v after it; the room went on on %s, "+
		"%v without a tick; the player was back %v after the cut",
		ttl, fenced.Round(time.Millisecond), back.Round(time.Millisecond), runs[1].node,
		runs[1].first.Sub(runs[0].last).Round(time.Millisecond), rejoined.Round(time.Millisecond))
}

// TestPartitionOfLeader: the node cut off from NATS leads the matchmaker.
// It stops leading before its lease can age out, another node takes the
// lease and restores the cut node's room (never two leaders at once,
// never the room twice), and the player plays on there.
func TestPartitionOfLeader(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	log := newTickLog()
	const ttl = 2 * time.Second
	nodes := startProxiedNodes(t, c, 3, log, ttl)
	var tns []*testNode
	for _, pn := range nodes {
		tns = append(tns, pn.testNode)
	}
	lead := leader(t, tns)
	var victim proxiedNode
	var others []*testNode
	for _, pn := range nodes {
		if pn.testNode == lead {
			victim = pn
		} else {
			others = append(others, pn.testNode)
		}
	}
	m := seatIn(t, victim.testNode, "mover", relayGame)
	ctx := context.Background()
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if _, ok, err := others[0].node.readSnapshot(ctx, m.room); err != nil || !ok {
			return fmt.Errorf("no snapshot yet (%v)", err)
		}
		return nil
	})
	// Leadership is sampled throughout: never two nodes acting as leader.
	var both []string
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			var leaders []string
			for _, tn := range tns {
				if tn.node.Leader() {
					leaders = append(leaders, tn.name)
				}
			}
			if len(leaders) > 1 && len(both) < 5 {
				both = append(both, fmt.Sprint(leaders))
			}
		}
	})
	cut := time.Now()
	victim.cut()
	if _, err := m.nextLeft(5 * time.Second); err != nil {
		t.Fatalf("no Left within 5 s of the cut: %v", err)
	}
	fenced := time.Since(cut)
	next := leader(t, others)
	took := time.Since(cut)
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, _, err := client.Rejoin(rctx, []string{others[0].url(), others[1].url()}, m.g.Token, m.room, 50*time.Millisecond, client.Options{Engine: testEngine(t)})
	if err != nil {
		t.Fatalf("rejoin: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	m.c = conn
	if n, _ := m.states(t, 300*time.Millisecond); n == 0 {
		t.Fatal("no state from the restored room")
	}
	back := time.Since(cut)
	victim.heal()
	servertest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		for _, tn := range tns {
			if got := len(tn.node.Nodes()); got != 3 || tn.node.Fenced() {
				return fmt.Errorf("%s sees %d nodes, fenced %v", tn.name, got, tn.node.Fenced())
			}
		}
		return nil
	})
	close(stop)
	sampler.Wait()
	if len(both) > 0 {
		t.Fatalf("two leaders at once: %v", both)
	}
	if _, err := victim.rooms.Get(m.room); err == nil {
		t.Fatal("the room runs on the healed node again")
	}
	if over := log.overlaps(); len(over) > 0 {
		t.Fatalf("rooms ran twice:\n%s", over)
	}
	runs := log.of(m.room)
	if len(runs) != 2 || runs[1].node == victim.name {
		t.Fatalf("room %s ran %+v", m.room, runs)
	}
	t.Logf("TTL %v: the leader fenced %v after the cut; %s led %v after it; the room went on on %s, %v without a tick; the player was back %v after the cut",
		ttl, fenced.Round(time.Millisecond), next.name, took.Round(time.Millisecond), runs[1].node,
		runs[1].first.Sub(runs[0].last).Round(time.Millisecond), back.Round(time.Millisecond))
}
