package lobby

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// TestMatchmakerStreams drives the whole lobby with seeded random streams
// of tickets, cancellations and players leaving rooms, on fake time, and
// checks after every step, once the matchmaker is idle:
//   - no player is in two searching tickets, or in a ticket and a room, or
//     in two rooms; the queue mirrors the searching tickets exactly;
//   - every match's room holds min..max players (max during FillWait), all
//     tickets of one game, region and mode, parties whole, each player's
//     seat naming him and the room;
//   - the skill spread of every match is within the window of its oldest
//     ticket at match time;
//   - overdue tickets are "expired", no ticket matched after its expiry;
//   - nothing left searching could be matched now.
func TestMatchmakerStreams(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { runStream(t, seed) })
		})
	}
}

func runStream(t *testing.T, seed uint64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 42))
	opts := Options{
		SeatTTL:   time.Hour, // seats outlive the stream: a player's place ends with Release only
		TicketTTL: 15 * time.Second,
		FillWait:  2 * time.Second,
		Skill:     SkillWindow{Base: 40, PerSecond: 30, Max: 300},
	}
	e := newEnv(t, opts)
	players := e.guests(80)
	regions := []string{"", "", "eu"}
	games := []string{"duel", "squad", "arena"}
	var ids []string // every ticket created, with one member each
	member := map[string]string{}
	for step := range 250 {
		switch r := rng.IntN(10); {
		case r < 6:
			g, _ := e.l.game(games[rng.IntN(len(games))])
			size := 1 + rng.IntN(min(3, g.MaxPlayers))
			party := make([]string, 0, size)
			for _, i := range rng.Perm(len(players))[:size] {
				party = append(party, players[i])
			}
			id, err := e.l.CreateTicket(ctx, party[0], &tickwirev1.CreateTicket{
				Game: g.Name, Party: party, Skill: 1000 + 300*rng.NormFloat64(), Region: regions[rng.IntN(len(regions))],
			})
			switch {
			case err == nil:
				ids = append(ids, id)
				member[id] = party[0]
			case !errors.Is(err, ErrAlreadyQueued) && !errors.Is(err, ErrAlreadyInRoom):
				t.Fatalf("step %d: %v", step, err)
			}
		case r < 7 && len(ids) > 0:
			id := ids[rng.IntN(len(ids))]
			if _, err := e.l.CancelTicket(ctx, member[id], id); err != nil && !errors.Is(err, ErrTicketDone) {
				t.Fatalf("step %d: cancel: %v", step, err)
			}
		case r < 9:
			// A seated player leaves his room for good.
			if seats := e.allSeats(); len(seats) > 0 {
				s := seats[rng.IntN(len(seats))]
				if err := e.l.Release(s.Player, s.Room); err != nil {
					t.Fatal(err)
				}
			}
		}
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
		synctest.Wait()
		checkStream(t, e, opts)
	}
	time.Sleep(opts.TicketTTL)
	synctest.Wait()
	checkStream(t, e, opts)
	counts := map[string]int{}
	for _, tk := range e.tickets() {
		counts[tk.Status]++
	}
	if counts[StatusSearching] != 0 || counts[StatusMatched] == 0 || counts[StatusExpired] == 0 {
		t.Fatalf("final statuses %v: want none searching, some matched and expired", counts)
	}
	t.Logf("seed %d: %v", seed, counts)
}

func checkStream(t *testing.T, e *env, opts Options) {
	t.Helper()
	ctx := context.Background()
	now := e.l.now()
	tickets := e.tickets()
	busy := map[string]string{} // player → what holds him

	// Searching tickets and the queue.
	queued := 0
	txn := e.l.db.Txn(false)
	for _, tk := range tickets {
		if tk.Status != StatusSearching {
			continue
		}
		if !now.Before(tk.Expires) {
			t.Fatalf("ticket %s searching past its expiry", tk.ID)
		}
		for _, p := range tk.Party {
			if what, ok := busy[p]; ok {
				t.Fatalf("player %s in ticket %s and %s", p, tk.ID, what)
			}
			busy[p] = "ticket " + tk.ID
			if q, err := queuedIn(txn, p); err != nil || q != tk.ID {
				t.Fatalf("queue says %s is in %q, not %s (%v)", p, q, tk.ID, err)
			}
			queued++
		}
	}
	it, err := txn.Get(tableQueue, "id")
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for o := it.Next(); o != nil; o = it.Next() {
		rows++
	}
	if rows != queued {
		t.Fatalf("%d queue rows for %d queued players", rows, queued)
	}

	// Places in rooms.
	for _, s := range e.allSeats() {
		if what, ok := busy[s.Player]; ok {
			t.Fatalf("player %s in room %s and %s", s.Player, s.Room, what)
		}
		busy[s.Player] = "room " + s.Room
	}

	// Matches.
	byRoom := map[string][]*ticketRecord{}
	for _, tk := range tickets {
		switch tk.Status {
		case StatusMatched:
			byRoom[tk.Room] = append(byRoom[tk.Room], tk)
			if !tk.MatchedAt.Before(tk.Expires) {
				t.Fatalf("ticket %s matched at its expiry", tk.ID)
			}
		case StatusExpired:
			if now.Before(tk.Expires) {
				t.Fatalf("ticket %s expired early", tk.ID)
			}
		}
	}
	for room, group := range byRoom {
		g, _ := e.l.game(group[0].Game)
		total, lo, hi := 0, 1e18, -1e18
		oldest := group[0]
		var players []string
		for _, tk := range group {
			if tk.Game != g.Name || tk.Region != group[0].Region || tk.Mode != group[0].Mode || !tk.MatchedAt.Equal(group[0].MatchedAt) {
				t.Fatalf("room %s mixes tickets %+v and %+v", room, tk, group[0])
			}
			total += len(tk.Party)
			lo, hi = min(lo, tk.Skill), max(hi, tk.Skill)
			if tk.Created.Before(oldest.Created) {
				oldest = tk
			}
			if !slices.Equal(sortedKeys(tk.Seats), slices.Sorted(slices.Values(tk.Party))) {
				t.Fatalf("ticket %s: seats for %v, party %v", tk.ID, sortedKeys(tk.Seats), tk.Party)
			}
			for p, seat := range tk.Seats {
				c, err := e.l.sign.verifySeat(seat, tk.MatchedAt)
				if err != nil || c.Player != p || c.Room != room {
					t.Fatalf("ticket %s: %s's seat says %+v (%v)", tk.ID, p, c, err)
				}
				players = append(players, p)
			}
		}
		waited := group[0].MatchedAt.Sub(oldest.Created)
		if total < g.MinPlayers || total > g.MaxPlayers {
			t.Fatalf("room %s has %d players, want %d..%d", room, total, g.MinPlayers, g.MaxPlayers)
		}
		if waited < opts.FillWait && total != g.MaxPlayers {
			t.Fatalf("room %s of %d formed after %v, before FillWait", room, total, waited)
		}
		if w := opts.Skill.At(waited); hi-lo > w {
			t.Fatalf("room %s: spread %v > window %v after %v", room, hi-lo, w, waited)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(players)))) != total {
			t.Fatalf("room %s seats a player twice: %v", room, players)
		}
		if rec, err := e.l.dir.Room(ctx, room); err == nil && (rec.MaxPlayers != total || !rec.Private) {
			t.Fatalf("room record %+v for %d players", rec, total)
		}
	}

	// Nothing left could be matched now.
	buckets := map[bucketKey][]candidate{}
	for _, tk := range tickets {
		if tk.Status == StatusSearching {
			k := bucketKey{tk.Game, tk.Region, tk.Mode}
			buckets[k] = append(buckets[k], candidate{id: tk.ID, skill: tk.Skill, size: len(tk.Party), created: tk.Created})
		}
	}
	for k, cs := range buckets {
		g, _ := e.l.game(k.game)
		if groups, _ := formGroups(cs, now, e.l.policy(g)); len(groups) > 0 {
			t.Fatalf("bucket %+v: %d groups left unmatched", k, len(groups))
		}
	}
}
