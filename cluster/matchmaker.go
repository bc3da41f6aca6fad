package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// Matchmaker is the lobby.Matchmaker of a cluster. Tickets from every
// node's lobby are written to one JetStream key-value bucket:
//
//	ticket.<id>      the ticket (JSON lobby.Ticket); finished tickets
//	                 expire after the retention (a message TTL)
//	queue.<player>   the searching ticket a player waits in
//
// One node at a time, the holder of the "matchmaker" lease, matches them:
// it reads the searching tickets from a mirror of the bucket (every node
// keeps one, so a new leader starts at once with every pending ticket),
// forms groups with the lobby's own rules (lobby.Lobby.FormGroups), asks
// the least-loaded live node to host each match (a NATS request that node
// answers with lobby.Lobby.HostMatch), and marks the tickets matched with
// the room, its node and the seats, in one atomic batch that expects every
// ticket still searching. A ticket cancelled meanwhile undoes the match:
// the room is closed, its other tickets search on.
type Matchmaker struct {
	st     *store
	log    zerolog.Logger
	mirror *mirror
	// retention is how long a finished ticket stays readable.
	retention time.Duration
	bad       badLog

	mu   sync.Mutex
	pool map[string]ticketDoc // searching tickets, from the mirror
}

var _ lobby.Matchmaker = (*Matchmaker)(nil)

type ticketDoc struct {
	V int `json:"v"`
	lobby.Ticket
}

const (
	keyTicket = "ticket."
	keyQueue  = "queue."
)

func newMatchmaker(st *store, retention time.Duration, log zerolog.Logger) *Matchmaker {
	m := &Matchmaker{st: st, log: log, retention: retention, pool: map[string]ticketDoc{}, bad: badLog{log: log, seen: map[string]uint64{}}}
	m.mirror = newMirror(st.name, log, st.kv, keyTicket+">", m.applyEntry)
	return m
}

func (m *Matchmaker) applyEntry(key string, e entry) {
	id, ok := dec(strings.TrimPrefix(key, keyTicket))
	if !ok {
		m.bad.note(key, e.Rev, "undecodable ticket key")
		return
	}
	var t ticketDoc
	good := e.OK && m.decode(key, id, e, &t)
	m.mu.Lock()
	if good && t.Status == lobby.StatusSearching {
		m.pool[id] = t
	} else {
		delete(m.pool, id)
	}
	m.mu.Unlock()
}

func (m *Matchmaker) decode(key, id string, e entry, t *ticketDoc) bool {
	if err := json.Unmarshal(e.Value, t); err != nil || t.V != docVersion || t.ID != id || t.Game == "" || len(t.Party) == 0 {
		m.bad.note(key, e.Rev, "ticket")
		return false
	}
	return true
}

func (m *Matchmaker) read(ctx context.Context, id string) (ticketDoc, uint64, bool, error) {
	key := keyTicket + enc(id)
	e, err := m.st.get(ctx, key)
	if err != nil || !e.OK {
		return ticketDoc{}, e.Rev, false, err
	}
	var t ticketDoc
	ok := m.decode(key, id, e, &t)
	return t, e.Rev, ok, nil
}

// finish returns the writes that give t a final status and dequeue its
// party (each queue key only if it still names t).
func (m *Matchmaker) finish(ctx context.Context, t ticketDoc, rev uint64) ([]op, error) {
	var ops []op
	for _, p := range t.Party {
		e, err := m.st.get(ctx, keyQueue+enc(p))
		if err != nil {
			return nil, err
		}
		if e.OK && string(e.Value) == t.ID {
			ops = append(ops, del(keyQueue+enc(p), e.Rev))
		}
	}
	t.V = docVersion
	return append(ops, op{key: keyTicket + enc(t.ID), value: mustJSON(t), expect: rev, ttl: m.retention}), nil
}

// Submit implements lobby.Matchmaker.
func (m *Matchmaker) Submit(ctx context.Context, t lobby.Ticket) error {
	return m.st.update(ctx, func() ([]op, error) {
		var ops []op
		for _, p := range t.Party {
			e, err := m.st.get(ctx, keyQueue+enc(p))
			if err != nil {
				return nil, err
			}
			if e.OK {
				return nil, failf(lobby.ErrAlreadyQueued, "player %s is already queued in ticket %s", p, e.Value)
			}
			ops = append(ops, put(keyQueue+enc(p), []byte(t.ID), e.Rev))
		}
		e, err := m.st.get(ctx, keyTicket+enc(t.ID))
		if err != nil {
			return nil, err
		}
		return append(ops, put(keyTicket+enc(t.ID), mustJSON(ticketDoc{V: docVersion, Ticket: t}), e.Rev)), nil
	})
}

// Ticket implements lobby.Matchmaker.
func (m *Matchmaker) Ticket(ctx context.Context, id string) (lobby.Ticket, error) {
	t, _, ok, err := m.read(ctx, id)
	if err != nil {
		return lobby.Ticket{}, err
	}
	if !ok {
		return lobby.Ticket{}, failf(lobby.ErrTicketNotFound, "no ticket %q", id)
	}
	return t.Ticket, nil
}

// Cancel implements lobby.Matchmaker.
func (m *Matchmaker) Cancel(ctx context.Context, id string) (lobby.Ticket, error) {
	var out lobby.Ticket
	err := m.st.update(ctx, func() ([]op, error) {
		t, rev, ok, err := m.read(ctx, id)
		switch {
		case err != nil:
			return nil, err
		case !ok:
			return nil, failf(lobby.ErrTicketNotFound, "no ticket %q", id)
		case t.Status == lobby.StatusCancelled:
			out = t.Ticket
			return nil, nil
		case t.Status != lobby.StatusSearching:
			return nil, failf(lobby.ErrTicketDone, "ticket %s is %s", id, t.Status)
		}
		t.Status = lobby.StatusCancelled
		out = t.Ticket
		return m.finish(ctx, t, rev)
	})
	return out, err
}

// QueuedIn implements lobby.Matchmaker.
func (m *Matchmaker) QueuedIn(ctx context.Context, player string) (string, error) {
	e, err := m.st.get(ctx, keyQueue+enc(player))
	if err != nil || !e.OK {
		return "", err
	}
	return string(e.Value), nil
}

// searching returns the pool of searching tickets.
func (m *Matchmaker) searching() []lobby.Ticket {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]lobby.Ticket, 0, len(m.pool))
	for _, t := range m.pool {
		out = append(out, t.Ticket)
	}
	return out
}

// placement is what the leader needs from the node it runs on.
type placement struct {
	lobby  *lobby.Lobby
	games  func() []tick.GameInfo
	nodes  func() []NodeInfo
	host   func(ctx context.Context, node, game string, players []string) (lobby.HostedMatch, error)
	unhost func(ctx context.Context, node, room string)
}

// placeTimeout bounds one host request to a node.
const placeTimeout = 5 * time.Second

// pass runs one round as leader: expire overdue tickets, form groups, host
// and commit them. It returns when the next round is due (zero: only a
// change can make one useful).
func (m *Matchmaker) pass(ctx context.Context, pl placement, now time.Time) time.Time {
	var next time.Time
	soonest := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	type bucketKey struct{ game, region, mode string }
	buckets := map[bucketKey][]lobby.Ticket{}
	for _, t := range m.searching() {
		if !now.Before(t.Expires) {
			m.expire(ctx, t.ID)
			continue
		}
		soonest(t.Expires)
		k := bucketKey{t.Game, t.Region, t.Mode}
		buckets[k] = append(buckets[k], t)
	}
	games := map[string]tick.GameInfo{}
	for _, g := range pl.games() {
		games[g.Name] = g
	}
	nodes := pl.nodes()
	keys := slices.SortedFunc(maps.Keys(buckets), func(a, b bucketKey) int {
		return cmp.Or(strings.Compare(a.game, b.game), strings.Compare(a.region, b.region), strings.Compare(a.mode, b.mode))
	})
	for _, k := range keys {
		g, ok := games[k.game]
		if !ok {
			continue // not a game of this binary: another leader may know it
		}
		ts := buckets[k]
		slices.SortFunc(ts, func(a, b lobby.Ticket) int { return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID)) })
		cs := make([]lobby.MatchCandidate, len(ts))
		for i, t := range ts {
			cs[i] = lobby.MatchCandidate{ID: t.ID, Skill: t.Skill, Size: len(t.Party), Created: t.Created}
		}
		groups, ev := pl.lobby.FormGroups(g, cs, now)
		soonest(ev)
		for _, idx := range groups {
			group := make([]lobby.Ticket, len(idx))
			for i, j := range idx {
				group[i] = ts[j]
			}
			if err := m.place(ctx, pl, nodes, g.Name, group, now); err != nil {
				m.log.Warn().Err(err).Str("game", g.Name).Msg("cannot place a match; retrying")
				soonest(now.Add(time.Second))
				break
			}
		}
	}
	return next
}

// place hosts group on the least-loaded live node that will take it and
// marks its tickets matched.
func (m *Matchmaker) place(ctx context.Context, pl placement, nodes []NodeInfo, game string, group []lobby.Ticket, now time.Time) error {
	var players []string
	for _, t := range group {
		players = append(players, t.Party...)
	}
	order := slices.Clone(nodes)
	order = slices.DeleteFunc(order, func(n NodeInfo) bool { return n.Draining })
	slices.SortFunc(order, func(a, b NodeInfo) int {
		if a.lessLoaded(b) {
			return -1
		}
		return 1
	})
	if len(order) == 0 {
		return errors.New("no live node takes matches")
	}
	var hosted lobby.HostedMatch
	var err error
	for _, n := range order {
		hctx, cancel := context.WithTimeout(ctx, placeTimeout)
		hosted, err = pl.host(hctx, n.Name, game, players)
		cancel()
		if err == nil {
			// Count it now: heartbeats lag behind a burst of matches.
			for i := range nodes {
				if nodes[i].Name == n.Name {
					nodes[i].Rooms++
					nodes[i].Players += len(players)
				}
			}
			break
		}
		m.log.Warn().Err(err).Str("node", n.Name).Str("game", game).Msg("node did not host a match")
		if errors.Is(err, lobby.ErrAlreadyInRoom) {
			return err // a player is seated already: no node will do better
		}
	}
	if err != nil {
		return err
	}
	ids := make([]string, len(group))
	for i, t := range group {
		ids[i] = t.ID
	}
	err = m.st.update(ctx, func() ([]op, error) {
		var ops []op
		for _, id := range ids {
			t, rev, ok, err := m.read(ctx, id)
			if err != nil {
				return nil, err
			}
			if !ok || t.Status != lobby.StatusSearching {
				return nil, errRaced
			}
			t.Status, t.Room, t.Node = lobby.StatusMatched, hosted.RoomID, hosted.Node
			t.Seats = make(map[string]string, len(t.Party))
			for _, p := range t.Party {
				t.Seats[p] = hosted.Seats[p]
			}
			fin, err := m.finish(ctx, t, rev)
			if err != nil {
				return nil, err
			}
			ops = append(ops, fin...)
		}
		return ops, nil
	})
	if err != nil {
		// A ticket left the search (cancelled) or the write failed: undo
		// the room; the other tickets search on.
		pl.unhost(context.WithoutCancel(ctx), hosted.Node, hosted.RoomID)
		if errors.Is(err, errRaced) {
			return nil
		}
		return err
	}
	m.log.Info().Str("room", hosted.RoomID).Str("node", hosted.Node).Str("game", game).Strs("tickets", ids).Int("players", len(players)).Msg("match placed")
	return nil
}

// errRaced: a ticket of a group stopped searching while its room was being
// hosted.
var errRaced = errors.New("a ticket left the search during the match")

// expire gives an overdue searching ticket the status expired.
func (m *Matchmaker) expire(ctx context.Context, id string) {
	err := m.st.update(ctx, func() ([]op, error) {
		t, rev, ok, err := m.read(ctx, id)
		if err != nil || !ok || t.Status != lobby.StatusSearching {
			return nil, err
		}
		t.Status = lobby.StatusExpired
		return m.finish(ctx, t, rev)
	})
	if err != nil {
		m.log.Warn().Err(err).Str("ticket", id).Msg("expire ticket")
	}
}

// hostRequest and hostReply are the NATS request a leader sends a node to
// host a match, and its answer.
type hostRequest struct {
	Game    string   `json:"game"`
	Players []string `json:"players"`
}

type hostReply struct {
	Match *lobby.HostedMatch `json:"match,omitempty"`
	Error *wireError         `json:"error,omitempty"`
}

type wireError struct {
	Code int32  `json:"code"`
	Msg  string `json:"message"`
}

// requestHost asks node (through subject) to host a match.
func requestHost(ctx context.Context, nc *nats.Conn, subject, game string, players []string) (lobby.HostedMatch, error) {
	msg, err := nc.RequestWithContext(ctx, subject, mustJSON(hostRequest{Game: game, Players: players}))
	if err != nil {
		return lobby.HostedMatch{}, fmt.Errorf("host request to %s: %w", subject, err)
	}
	var rep hostReply
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return lobby.HostedMatch{}, fmt.Errorf("host reply from %s: %w", subject, err)
	}
	if rep.Error != nil {
		for _, k := range []*protocol.Error{lobby.ErrAlreadyInRoom, lobby.ErrGameNotFound, lobby.ErrClosed, lobby.ErrBadRequest} {
			if int32(k.Code) == rep.Error.Code {
				return lobby.HostedMatch{}, failf(k, "%s", rep.Error.Msg)
			}
		}
		return lobby.HostedMatch{}, fmt.Errorf("%s: %s", subject, rep.Error.Msg)
	}
	if rep.Match == nil {
		return lobby.HostedMatch{}, fmt.Errorf("host reply from %s: empty", subject)
	}
	return *rep.Match, nil
}
