package lobby

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/tickwire/tickwire/tick"
)

// errRaced: a ticket of a group left the search (cancelled) while its room
// was being made; the group is undone and the rest search on.
var errRaced = errors.New("a ticket left the search during the match")

// createBackoff is how long the matchmaker leaves a game alone after its
// rooms could not be created (too many rooms, shutting down).
const createBackoff = time.Second

// runMatchmaker is the matchmaker goroutine. Each pass reads the searching
// tickets from a snapshot, expires the overdue ones, forms groups and
// commits them; then it sleeps until the searching set changes (a memdb
// watch channel on the status index), the next ticket expires, or a
// ticket's skill window or FillWait makes a new group possible (a timer
// from the Clock). It never polls.
//
// One watch channel covers every searching ticket (it is the status
// index's "searching" subtree), so a plain select on it, the timer and the
// context does what memdb.WatchSet would, without the helper goroutine
// WatchSet.Watch starts to bridge a timer channel (our timers come from
// the injectable Clock).
func (l *Lobby) runMatchmaker() {
	timer := l.clock.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	backoff := map[string]time.Time{} // game → no room creation before
	for {
		it, err := l.db.Txn(false).Get(tableTickets, "status", StatusSearching)
		if err != nil { // only for a schema bug
			l.log.Error().Err(err).Msg("matchmaker stopped")
			return
		}
		changed := it.WatchCh()
		var pool []*ticketRecord
		for o := it.Next(); o != nil; o = it.Next() {
			pool = append(pool, o.(*ticketRecord))
		}
		next := l.matchPass(pool, backoff)
		var fire <-chan time.Time
		if !next.IsZero() {
			timer.Reset(max(next.Sub(l.now()), 0))
			fire = timer.C()
		}
		select {
		case <-changed:
		case <-fire:
		case <-l.ctx.Done():
			return
		}
		timer.Stop()
	}
}

// bucketKey groups tickets that may be matched together.
type bucketKey struct{ game, region, mode string }

// matchPass runs one pass over the searching tickets and returns when the
// next one is due (zero: only a change can make one useful).
func (l *Lobby) matchPass(pool []*ticketRecord, backoff map[string]time.Time) time.Time {
	now := l.now()
	start := time.Now()
	var next time.Time
	soonest := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	buckets := map[bucketKey][]*ticketRecord{}
	var overdue []*ticketRecord
	var pending []*match
	for _, t := range pool {
		if !now.Before(t.Expires) {
			overdue = append(overdue, t)
			continue
		}
		soonest(t.Expires)
		k := bucketKey{t.Game, t.Region, t.Mode}
		buckets[k] = append(buckets[k], t)
	}
	if len(overdue) > 0 {
		l.expire(overdue, now)
	}
	games := map[string]tick.GameInfo{}
	for _, g := range l.rooms.Games() {
		games[g.Name] = g
	}
	keys := slices.SortedFunc(maps.Keys(buckets), func(a, b bucketKey) int {
		return cmp.Or(strings.Compare(a.game, b.game), strings.Compare(a.region, b.region), strings.Compare(a.mode, b.mode))
	})
	for _, k := range keys {
		g, ok := games[k.game]
		if !ok {
			continue // tickets are only made for registered games
		}
		if until, ok := backoff[k.game]; ok {
			if now.Before(until) {
				soonest(until)
				continue
			}
			delete(backoff, k.game)
		}
		ts := buckets[k]
		cs := make([]candidate, len(ts))
		for i, t := range ts {
			cs[i] = candidate{id: t.ID, skill: t.Skill, size: len(t.Party), created: t.Created}
		}
		groups, ev := formGroups(cs, now, l.policy(g))
		soonest(ev)
		for _, idx := range groups {
			group := make([]*ticketRecord, len(idx))
			for i, j := range idx {
				group[i] = ts[j]
			}
			m, err := l.prepareMatch(g, group, now)
			if errors.Is(err, context.Canceled) {
				break
			}
			if err != nil {
				l.log.Warn().Err(err).Str("game", g.Name).Msg("cannot make a matched room; retrying later")
				backoff[g.Name] = now.Add(createBackoff)
				soonest(backoff[g.Name])
				break
			}
			pending = append(pending, m)
		}
	}
	l.commitMatches(pending, now)
	l.m.passSeconds.Observe(time.Since(start).Seconds())
	return next
}

func (l *Lobby) policy(g tick.GameInfo) policy {
	return policy{min: g.MinPlayers, max: g.MaxPlayers, window: l.opts.Skill, fillWait: l.opts.FillWait}
}

// expire gives overdue searching tickets the status "expired".
func (l *Lobby) expire(ts []*ticketRecord, now time.Time) {
	txn := l.db.Txn(true)
	defer txn.Abort()
	var done []*ticketRecord
	for _, t := range ts {
		cur, err := getTicket(txn, t.ID)
		if err != nil || cur == nil || cur.Status != StatusSearching {
			continue
		}
		if err := finishTicket(txn, cur, StatusExpired, now, l.opts.TicketRetention); err != nil {
			l.log.Error().Err(err).Str("ticket", t.ID).Msg("expire ticket")
			return
		}
		done = append(done, cur)
	}
	txn.Commit()
	for _, t := range done {
		l.m.ticketFinished(t.Game, StatusExpired)
	}
}

// match is a group whose room and seats exist, waiting for its tickets to
// be marked matched.
type match struct {
	game   string
	h      *tick.Handle
	group  []*ticketRecord
	tokens []map[string]string // per ticket: player → seat
	seats  int
}

// prepareMatch makes a room for group and reserves a seat per player in
// the directory. The players stay queued until commitMatches, so a player
// is never in neither a ticket nor a room (where a concurrent join could
// slip in).
func (l *Lobby) prepareMatch(g tick.GameInfo, group []*ticketRecord, now time.Time) (*match, error) {
	total := 0
	for _, t := range group {
		total += len(t.Party)
	}
	h, err := l.rooms.Create(l.ctx, g.Name, tick.RoomOptions{MaxPlayers: total})
	if err != nil {
		return nil, err
	}
	rec := RoomRecord{ID: h.ID(), Game: g.Name, Node: l.opts.Node, Private: true, MaxPlayers: total, Created: now, Managed: true}
	m := &match{game: g.Name, h: h, group: group, tokens: make([]map[string]string, len(group)), seats: total}
	seats := make([]SeatRecord, 0, total)
	for i, t := range group {
		m.tokens[i] = make(map[string]string, len(t.Party))
		for _, p := range t.Party {
			token, seat := l.newSeat(p, h.ID(), l.opts.Node, now)
			m.tokens[i][p] = token
			seats = append(seats, seat)
		}
	}
	if err := l.dir.AddRoom(l.ctx, rec, seats); err != nil {
		l.closeRoom(h)
		return nil, err
	}
	return m, nil
}

// commitMatches marks the tickets of every prepared match "matched", in
// one transaction. A match one of whose tickets left the search meanwhile
// (cancelled) is undone: its room and seats go, its other tickets search
// on.
func (l *Lobby) commitMatches(ms []*match, now time.Time) {
	if len(ms) == 0 {
		return
	}
	txn := l.db.Txn(true)
	defer txn.Abort()
	var undo, done []*match
	for _, m := range ms {
		err := l.finishMatch(txn, m, now)
		if err == nil {
			done = append(done, m)
			continue
		}
		if !errors.Is(err, errRaced) { // a store failure: undo the whole pass
			l.log.Error().Err(err).Str("room", m.h.ID()).Msg("commit matches")
			txn.Abort()
			undo, done = ms, nil
			break
		}
		undo = append(undo, m)
	}
	txn.Commit() // a no-op after Abort

	for _, m := range undo {
		if err := l.dir.RemoveRoom(context.WithoutCancel(l.ctx), m.h.ID()); err != nil {
			l.log.Error().Err(err).Str("room", m.h.ID()).Msg("undo match")
		}
		l.closeRoom(m.h)
	}
	for _, m := range done {
		l.watchRoom(m.h)
		l.m.matches.WithLabelValues(m.game).Inc()
		for _, t := range m.group {
			l.m.ticketFinished(t.Game, StatusMatched)
			l.m.matchWait.Observe(now.Sub(t.Created).Seconds())
		}
		l.m.seatsIssued.Add(float64(m.seats))
		if l.log.Debug().Enabled() {
			ids := make([]string, len(m.group))
			for i, t := range m.group {
				ids[i] = t.ID
			}
			l.log.Debug().Str("room", m.h.ID()).Str("game", m.game).Strs("tickets", ids).Int("players", m.seats).Msg("match")
		}
	}
}

// finishMatch marks m's tickets matched within txn, all or none: it checks
// every ticket before it writes any.
func (l *Lobby) finishMatch(txn *memdb.Txn, m *match, now time.Time) error {
	cur := make([]*ticketRecord, len(m.group))
	for i, t := range m.group {
		c, err := getTicket(txn, t.ID)
		if err != nil {
			return err
		}
		if c == nil || c.Status != StatusSearching {
			return errRaced
		}
		cur[i] = c
	}
	for i, c := range cur {
		u := *c
		u.Room, u.Seats, u.MatchedAt = m.h.ID(), m.tokens[i], now
		if err := finishTicket(txn, &u, StatusMatched, now, l.opts.TicketRetention); err != nil {
			return err
		}
	}
	return nil
}
