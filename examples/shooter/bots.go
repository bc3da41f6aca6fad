package shooter

import (
	"fmt"
	"math"
	"time"

	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	"github.com/tickwire/tickwire/tick"
)

// How bots behave. They are fighters in the state like the players (Bot
// set), driven by the room itself: each tick a bot decides an input and it
// goes through the same path as a human's (takeInput), so a bot can do
// nothing a player cannot.
const (
	// SightRange is how far a bot sees; obstacles block its sight.
	SightRange = 900
	// BotReaction is how long a bot waits before its first shot at a new
	// target, at least; up to twice that.
	BotReaction = 250 * time.Millisecond
	// BotPullEvery is the shortest time between a bot's trigger pulls; up
	// to twice that. It is above every weapon's cooldown that bots use, so
	// bots never pull too fast.
	BotPullEvery = 220 * time.Millisecond
	// BotAimNoise is the standard deviation of a bot's aim error, radians,
	// drawn anew at each pull.
	BotAimNoise = 0.07
	// BotTurnRate is how fast a bot turns its aim, radians per second.
	BotTurnRate = 7.0

	botThinkEvery = 100 * time.Millisecond // how often a bot looks for a target
	botLead       = 0.6                    // how much of the target's motion a bot aims ahead for
	botFar        = 550                    // a bot closes in on a target farther than this
	botNear       = 250                    // and backs off from one nearer than this
	botStuckEvery = 500 * time.Millisecond // how often a bot checks it is getting somewhere
)

// brain is a bot's memory.
type brain struct {
	target      *combatant
	thinkAt     time.Duration
	fireAt      time.Duration
	noise       float64 // aim error until the next pull
	strafe      float64 // +1 or -1: which way it circles its target
	strafeUntil time.Duration

	goalX, goalY float64 // where it wanders to without a target
	goalUntil    time.Duration

	checkAt      time.Duration
	lastX, lastY float64
}

// balanceBots adds or removes bots so that a room with humans has
// cfg.MinCombatants fighters, and a room without any has no bots. The
// newest bot leaves first.
func (g *Shooter) balanceBots(r *tick.Room[*shooterv1.State]) {
	want := 0
	if g.humans > 0 {
		want = max(0, g.cfg.MinCombatants-g.humans)
	}
	for g.bots < want {
		var id string
		for {
			g.nextBot++
			id = fmt.Sprintf("bot-%d", g.nextBot)
			if g.byID[id] == nil {
				break
			}
		}
		g.bots++
		g.add(r, id, &brain{strafe: 1})
	}
	for i := len(g.fighters) - 1; i >= 0 && g.bots > want; i-- {
		if c := g.fighters[i]; c.bot != nil {
			g.remove(r, c)
		}
	}
}

// think decides bot c's input for this tick: fight the nearest fighter in
// sight, circling it at a distance, with a human's reaction time, turn
// rate, aim error and trigger finger; or wander, often towards a human.
func (g *Shooter) think(r *tick.Room[*shooterv1.State], c *combatant, now time.Duration) {
	b := c.bot
	if !c.alive() {
		b.target = nil
		g.takeInput(c, 0, 0, c.pl.Aim, false, 0)
		return
	}
	rng := r.Rand()
	x, y := float64(c.pl.X), float64(c.pl.Y)
	if b.target != nil && (b.target.gone || !b.target.alive()) {
		b.target = nil
	}
	if now >= b.thinkAt {
		b.thinkAt = now + botThinkEvery
		if t := g.nearestInSight(c); t != b.target {
			b.target = t
			b.fireAt = max(b.fireAt, now+BotReaction+time.Duration(rng.Float64()*float64(BotReaction)))
		}
	}

	var mx, my float64
	aimGoal := float64(c.pl.Aim)
	fire := false
	if t := b.target; t != nil {
		tx, ty := float64(t.pl.X), float64(t.pl.Y)
		dist := math.Hypot(tx-x, ty-y)
		lead := botLead * dist / weapons[shooterv1.Weapon_WEAPON_BLASTER].Speed
		aimX, aimY := tx+float64(t.pl.Vx)*lead, ty+float64(t.pl.Vy)*lead
		aimGoal = math.Atan2(aimY-y, aimX-x) + b.noise
		if now >= b.strafeUntil {
			b.strafe = float64(1 - 2*rng.IntN(2))
			b.strafeUntil = now + 800*time.Millisecond + time.Duration(rng.Float64()*float64(1200*time.Millisecond))
		}
		if dist > 0 {
			ux, uy := (tx-x)/dist, (ty-y)/dist
			px, py := -uy*b.strafe, ux*b.strafe
			switch {
			case dist > botFar:
				mx, my = ux+0.3*px, uy+0.3*py
			case dist < botNear:
				mx, my = -ux+0.5*px, -uy+0.5*py
			default:
				mx, my = 0.8*px, 0.8*py
			}
		}
		if now >= b.fireAt && math.Abs(wrapAngle(aimGoal-float64(c.pl.Aim))) < 0.2 {
			fire = true
			b.fireAt = now + BotPullEvery + time.Duration(rng.Float64()*float64(BotPullEvery))
			b.noise = rng.NormFloat64() * BotAimNoise
		}
	} else {
		if now >= b.goalUntil || math.Hypot(b.goalX-x, b.goalY-y) < 60 {
			g.newGoal(r, c, now)
		}
		dx, dy := b.goalX-x, b.goalY-y
		if d := math.Hypot(dx, dy); d > 0 {
			mx, my = dx/d, dy/d
			aimGoal = math.Atan2(dy, dx)
		}
	}

	if now >= b.checkAt { // stuck against an obstacle: go somewhere else
		moved := math.Hypot(x-b.lastX, y-b.lastY)
		if (mx != 0 || my != 0) && moved < MaxSpeed*botStuckEvery.Seconds()/4 {
			g.newGoal(r, c, now)
			b.strafe = -b.strafe
		}
		b.checkAt, b.lastX, b.lastY = now+botStuckEvery, x, y
	}

	if l := math.Hypot(mx, my); l > 1 {
		mx, my = mx/l, my/l
	}
	turn := BotTurnRate / float64(g.hz)
	aim := float64(c.pl.Aim) + min(max(wrapAngle(aimGoal-float64(c.pl.Aim)), -turn), turn)
	g.takeInput(c, float32(mx), float32(my), float32(aim), fire, 0)
}

// nearestInSight returns the nearest living fighter c sees, or nil.
func (g *Shooter) nearestInSight(c *combatant) *combatant {
	x, y := float64(c.pl.X), float64(c.pl.Y)
	var best *combatant
	bestD := float64(SightRange * SightRange)
	for _, o := range g.fighters {
		if o == c || !o.alive() {
			continue
		}
		ox, oy := float64(o.pl.X), float64(o.pl.Y)
		if d := (ox-x)*(ox-x) + (oy-y)*(oy-y); d < bestD && lineOfSight(x, y, ox, oy) {
			best, bestD = o, d
		}
	}
	return best
}

// newGoal picks where bot c wanders next: near a random human more often
// than not, so that bots find a lone player in a big world.
func (g *Shooter) newGoal(r *tick.Room[*shooterv1.State], c *combatant, now time.Duration) {
	rng, b := r.Rand(), c.bot
	b.goalX = Radius + rng.Float64()*(Width-2*Radius)
	b.goalY = Radius + rng.Float64()*(Height-2*Radius)
	if g.humans > 0 && rng.Float64() < 0.6 {
		k := rng.IntN(g.humans)
		for _, h := range g.fighters {
			if h.bot != nil {
				continue
			}
			if k--; k < 0 {
				b.goalX = min(max(float64(h.pl.X)+(rng.Float64()*2-1)*400, Radius), Width-Radius)
				b.goalY = min(max(float64(h.pl.Y)+(rng.Float64()*2-1)*400, Radius), Height-Radius)
				break
			}
		}
	}
	b.goalUntil = now + 4*time.Second + time.Duration(rng.Float64()*float64(4*time.Second))
}
