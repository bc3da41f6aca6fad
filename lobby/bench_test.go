package lobby

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

const benchTickets = 10_000

// benchPool is benchTickets solo tickets with ratings spread over 0..3000.
func benchPool() []candidate {
	rng := rand.New(rand.NewPCG(1, 2))
	cs := make([]candidate, benchTickets)
	for i := range cs {
		cs[i] = candidate{id: fmt.Sprintf("t%05d", i), skill: rng.Float64() * 3000, size: 1, created: t0.Add(-time.Duration(rng.IntN(2000)) * time.Millisecond)}
	}
	return cs
}

// BenchmarkFormGroups is the matchmaker's algorithm alone: one pass over
// 10,000 waiting solo tickets of a 2..4-player game.
func BenchmarkFormGroups(b *testing.B) {
	cs := benchPool()
	p := policy{min: 2, max: 4, window: SkillWindow{Base: 50, PerSecond: 25, Max: 400}, fillWait: 3 * time.Second}
	matched := 0
	b.ReportAllocs()
	for b.Loop() {
		groups, _ := formGroups(cs, t0, p)
		matched = 0
		for _, g := range groups {
			matched += len(g)
		}
	}
	b.ReportMetric(float64(matched*b.N)/b.Elapsed().Seconds(), "tickets/s")
	b.ReportMetric(float64(matched), "matched/pass")
}

// BenchmarkMatchmaker is the whole matchmaker: 10,000 tickets (squad, 2..4
// players, ratings over 0..3000) become searching in one commit; the clock
// runs until at most one is left: rooms created in the tick runtime (2,500
// of them), seats signed and reserved, tickets marked matched. The window
// starts at 100 and widens within milliseconds, so the stragglers of the
// first pass are matched by the timer too.
func BenchmarkMatchmaker(b *testing.B) {
	e := newEnv(b, Options{TicketTTL: time.Hour, SeatTTL: time.Hour, FillWait: -1, Skill: SkillWindow{Base: 100, PerSecond: 1e6, Max: 3000}})
	iter := 0
	for b.Loop() {
		b.StopTimer()
		iter++
		rng := rand.New(rand.NewPCG(uint64(iter), 2))
		now := e.l.now()
		txn := e.l.db.Txn(true)
		for i := range benchTickets {
			p := fmt.Sprintf("b%d-%05d", iter, i)
			t := &ticketRecord{ID: "t-" + p, Game: "squad", Owner: p, Party: []string{p}, Skill: rng.Float64() * 3000,
				Created: now, Expires: now.Add(time.Hour), Status: StatusSearching, PurgeAt: never}
			if err := txn.Insert(tableTickets, t); err != nil {
				b.Fatal(err)
			}
			if err := txn.Insert(tableQueue, &queueRecord{Player: p, Ticket: t.ID}); err != nil {
				b.Fatal(err)
			}
		}
		e.l.m.searching.Add(benchTickets)
		b.StartTimer()
		txn.Commit()
		waitSearching(b, e, 1)
		b.StopTimer()
		for _, r := range e.rooms.List("") {
			if h, err := e.rooms.Get(r.ID); err == nil {
				_ = h.Close(context.Background())
			}
		}
		// Let the watchers forget the rooms before the clock runs again.
		checkFor(b, time.Minute, 10*time.Millisecond, func() error {
			if rs, _ := e.l.dir.Rooms(context.Background(), ""); len(rs) > 0 {
				return fmt.Errorf("%d rooms still known", len(rs))
			}
			return nil
		})
		b.StartTimer()
	}
	b.ReportMetric(float64(benchTickets*b.N)/b.Elapsed().Seconds(), "tickets/s")
}

// waitSearching blocks until at most left tickets search, woken by memdb.
// It stops counting past left, so waking costs the matchmaker little.
func waitSearching(b *testing.B, e *env, left int) {
	for {
		it, err := e.l.db.Txn(false).Get(tableTickets, "status", StatusSearching)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for o := it.Next(); o != nil && n <= left; o = it.Next() {
			n++
		}
		if n <= left {
			return
		}
		select {
		case <-it.WatchCh():
		case <-time.After(time.Minute):
			b.Fatal("tickets still searching after a minute")
		}
	}
}

// BenchmarkVerifySeat checks a seat's signature and expiry (no store).
func BenchmarkVerifySeat(b *testing.B) {
	s := newSigner(nil)
	now := time.Now()
	seat, _ := s.issueSeat("p-abcdefghijkl", "abcd2345", "local", now.Add(time.Minute))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.verifySeat(seat, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReserveAndRedeemSeat issues a seat, reserves its place and
// redeems it: the lobby's part of one /ws join.
func BenchmarkReserveAndRedeemSeat(b *testing.B) {
	e := newEnv(b, Options{SeatTTL: time.Hour})
	ctx := context.Background()
	player, _ := e.guest("ann")
	g, err := e.l.CreateRoom(ctx, player, &tickwirev1.CreateRoom{Game: "arena"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		grant, err := e.l.Join(ctx, player, &tickwirev1.LobbyJoin{RoomId: g.RoomId})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.l.RedeemSeat(grant.Seat, player, g.RoomId); err != nil {
			b.Fatal(err)
		}
	}
}
