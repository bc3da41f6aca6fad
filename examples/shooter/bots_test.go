package shooter

import (
	"fmt"
	"testing"

	"github.com/tickwire/tickwire/tick"
)

func botCount(h *harness) (bots, humans int) {
	for _, pl := range h.State().Players {
		if pl.Bot {
			bots++
		} else {
			humans++
		}
	}
	return bots, humans
}

// TestBotsComeAndGo: a room with humans keeps MinCombatants fighters with
// bots; bots leave as humans fill the room and come back as they leave; an
// empty room has none.
func TestBotsComeAndGo(t *testing.T) {
	h, g := newRoom(t, Config{}, 0, 1)
	if bots, _ := botCount(h); bots != 0 {
		t.Fatalf("an empty room has %d bots", bots)
	}
	var humans []tick.PlayerID
	check := func(when string) {
		t.Helper()
		run(t, h, 1)
		bots, n := botCount(h)
		want := max(0, MinCombatants-n)
		if n == 0 {
			want = 0
		}
		if n != len(humans) || bots != want || g.bots != bots || g.humans != n {
			t.Fatalf("%s: %d humans and %d bots, want %d and %d", when, n, bots, len(humans), want)
		}
	}
	for i := range MinCombatants + 2 {
		p := tick.PlayerID(fmt.Sprintf("p%d", i))
		if err := h.Join(p); err != nil {
			t.Fatal(err)
		}
		humans = append(humans, p)
		check(fmt.Sprintf("after %s joined", p))
	}
	for len(humans) > 0 {
		if err := h.Leave(humans[0]); err != nil {
			t.Fatal(err)
		}
		humans = humans[1:]
		check(fmt.Sprintf("with %d humans left", len(humans)))
	}
}

// TestHumanNamedLikeABot: a player whose id a bot has takes its place.
func TestHumanNamedLikeABot(t *testing.T) {
	h, g := newRoom(t, Config{}, 0, 1, "a")
	if h.State().Players["bot-1"] == nil {
		t.Fatalf("no bot-1 among %v", h.State().Players)
	}
	if err := h.Join("bot-1"); err != nil {
		t.Fatal(err)
	}
	run(t, h, 1)
	if pl := h.State().Players["bot-1"]; pl == nil || pl.Bot || g.byID["bot-1"].bot != nil {
		t.Errorf("bot-1 is %v", pl)
	}
	if bots, humans := botCount(h); bots != MinCombatants-2 || humans != 2 {
		t.Errorf("%d bots, %d humans", bots, humans)
	}
}

// TestBotsHuntALonePlayer: bots find a player who stands still in a big
// world and shoot at it, never faster than a human's trigger finger, and
// they miss some.
func TestBotsHuntALonePlayer(t *testing.T) {
	h, g := newRoom(t, Config{}, 0, 7, "a")
	a := place(h, "a", 2000, 1100)
	lastShot := map[string]uint64{}
	shots, hpLost := 0, 0
	for range 60 * TickHz {
		before := a.Hp
		run(t, h, 1)
		if a.Hp < before {
			hpLost += int(before - a.Hp)
		}
		tk := h.Room().Tick()
		for _, p := range g.shots {
			if p.born != tk {
				continue
			}
			shots++
			if prev, ok := lastShot[p.msg.Owner]; ok && g.gameTime(tk)-g.gameTime(prev) < BotPullEvery {
				t.Fatalf("%s fired at ticks %d and %d", p.msg.Owner, prev, tk)
			}
			lastShot[p.msg.Owner] = tk
		}
		checkInvariants(t, h, g)
	}
	var kills uint32
	for _, pl := range h.State().Players {
		kills += pl.Kills
	}
	t.Logf("in 60 s: %d bot shots, a lost %d hp and died %d times, %d kills in all", shots, hpLost, a.Deaths, kills)
	if a.Deaths == 0 && hpLost == 0 {
		t.Errorf("the bots never hurt the lone player")
	}
	if len(lastShot) < 3 {
		t.Errorf("only %d bots fired", len(lastShot))
	}
	if st := g.Stats(); st != (Stats{}) {
		t.Errorf("bots sent bad input: %+v", st)
	}
}
