package lobby

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// TestConcurrentQueueing: many goroutines enqueue, cancel, and quick-join
// at once (run it under -race). Afterwards no seat is lost or duplicated:
// every player of every matched ticket holds exactly the seat his ticket
// shows, every place in the directory belongs to exactly one matched ticket
// or one quick-join, no room holds more than its places, and queued
// players hold none.
func TestConcurrentQueueing(t *testing.T) {
	e := newEnv(t, Options{SeatTTL: time.Hour, FillWait: -1, Skill: SkillWindow{Base: 1e6, Max: 1e6}})
	ctx := context.Background()
	const workers, perWorker = 8, 12
	players := e.guests(workers * perWorker)
	quickers := e.guests(40)

	var mu sync.Mutex
	quickSeats := map[string]*tickwirev1.Grant{} // player → his quick-join grant
	var wg sync.WaitGroup
	for w := range workers {
		mine := players[w*perWorker : (w+1)*perWorker]
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			var mineTickets []string
			owner := map[string]string{}
			for range 150 {
				p := mine[rng.IntN(len(mine))]
				if rng.IntN(3) == 0 && len(mineTickets) > 0 {
					id := mineTickets[rng.IntN(len(mineTickets))]
					if _, err := e.l.CancelTicket(ctx, owner[id], id); err != nil && !errors.Is(err, ErrTicketDone) {
						t.Error(err)
					}
					continue
				}
				party := []string{p}
				if rng.IntN(4) == 0 {
					party = append(party, mine[rng.IntN(len(mine))])
				}
				game := []string{"duel", "squad"}[rng.IntN(2)]
				id, err := e.l.CreateTicket(ctx, p, &tickwirev1.CreateTicket{Game: game, Party: party, Skill: rng.Float64() * 100})
				switch {
				case err == nil:
					mineTickets = append(mineTickets, id)
					owner[id] = p
				case errors.Is(err, ErrAlreadyQueued), errors.Is(err, ErrAlreadyInRoom), errors.Is(err, ErrBadRequest):
				default:
					t.Error(err)
				}
			}
		})
	}
	for i, p := range quickers {
		wg.Go(func() {
			g, err := e.l.QuickJoin(ctx, p, []string{"arena", "squad"}[i%2])
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			quickSeats[p] = g
			mu.Unlock()
		})
	}
	wg.Wait()

	// Let the matchmaker finish: nothing left it could match.
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		buckets := map[bucketKey][]candidate{}
		for _, tk := range e.tickets() {
			if tk.Status == StatusSearching {
				k := bucketKey{tk.Game, tk.Region, tk.Mode}
				buckets[k] = append(buckets[k], candidate{id: tk.ID, skill: tk.Skill, size: len(tk.Party), created: tk.Created})
			}
		}
		for k, cs := range buckets {
			g, _ := e.l.game(k.game)
			if groups, _ := formGroups(cs, e.l.now(), e.l.policy(g)); len(groups) > 0 {
				return fmt.Errorf("%d groups of %s still to match", len(groups), k.game)
			}
		}
		return nil
	})

	// Expected places: from matched tickets and quick-joins.
	want := map[string]SeatRecord{} // player → place
	add := func(player, room, seat string) {
		if old, dup := want[player]; dup {
			t.Fatalf("player %s seated twice: rooms %s and %s", player, old.Room, room)
		}
		c, err := e.l.VerifySeat(seat)
		if err != nil || c.Player != player || c.Room != room {
			t.Fatalf("seat of %s: %+v, %v", player, c, err)
		}
		want[player] = SeatRecord{Room: room, Player: player, Nonce: c.Nonce}
	}
	matched := 0
	for _, tk := range e.tickets() {
		if tk.Status == StatusMatched {
			matched++
			for p, seat := range tk.Seats {
				add(p, tk.Room, seat)
			}
		}
	}
	for p, g := range quickSeats {
		add(p, g.RoomId, g.Seat)
	}
	got := e.allSeats()
	if len(got) != len(want) {
		t.Fatalf("%d places in the directory, %d issued", len(got), len(want))
	}
	perRoom := map[string]int{}
	for _, s := range got {
		w, ok := want[s.Player]
		if !ok || w.Room != s.Room || w.Nonce != s.Nonce {
			t.Fatalf("place %+v does not match the seat issued (%+v)", s, w)
		}
		perRoom[s.Room]++
	}
	for room, n := range perRoom {
		rec, err := e.l.dir.Room(ctx, room)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Seats != n || n > rec.MaxPlayers {
			t.Fatalf("room %+v: %d places", rec, n)
		}
	}
	if matched == 0 {
		t.Fatal("nothing matched")
	}
	// Every seat redeems once.
	for p, w := range want {
		var seat string
		for _, tk := range e.tickets() {
			if tk.Status == StatusMatched && tk.Seats[p] != "" {
				seat = tk.Seats[p]
			}
		}
		if g, ok := quickSeats[p]; ok {
			seat = g.Seat
		}
		if _, err := e.l.RedeemSeat(seat, p, w.Room); err != nil {
			t.Fatalf("redeem %s: %v", p, err)
		}
	}
	t.Logf("%d matched tickets, %d places, %d rooms", matched, len(got), len(perRoom))
}
