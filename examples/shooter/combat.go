package shooter

import (
	"cmp"
	"math"
	"slices"
	"time"

	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	"github.com/tickwire/tickwire/tick"
)

// projectile is one shot in flight. Its message never changes once fired,
// so the room's state and every view share it; its position at tick t is
// a function of t alone (at), the same formula the clients draw it with.
type projectile struct {
	id      uint32
	msg     *shooterv1.Projectile // in r.State().Projectiles; immutable
	shooter *combatant            // credited with a kill while not gone
	spec    *WeaponSpec
	born    uint64
	hz      float64
	// Origin and velocity as the message holds them (float32 values).
	ox, oy, vx, vy float64
	flight         float64 // seconds until its range runs out
	x, y           float64 // position at the current tick
}

// at returns the projectile's position at tick t (t >= born), and whether
// its range is spent by then (the position is then where it ends).
func (p *projectile) at(t uint64) (x, y float64, spent bool) {
	k := float64(t-p.born) / p.hz
	if k >= p.flight {
		k, spent = p.flight, true
	}
	return p.ox + float64(p.vx*k), p.oy + float64(p.vy*k), spent
}

// fire shoots c's weapon if its trigger was held since the last tick and
// the weapon is ready. A pull while it cools down is ignored and counted.
// The projectile starts at c's centre and makes its first move next tick.
func (g *Shooter) fire(r *tick.Room[*shooterv1.State], c *combatant, t uint64, now time.Duration) {
	want, pulls := c.trigger || c.pulled, uint64(c.pulls)
	c.pulled, c.pulls = false, 0
	if !want || !c.alive() {
		return
	}
	w := c.pl.Weapon
	spec := &weapons[w]
	if now < c.ready[w] {
		g.stats.FireTooFast += pulls
		return
	}
	if pulls > 1 {
		g.stats.FireTooFast += pulls - 1
	}
	if len(g.shots) >= MaxProjectiles {
		return
	}
	c.ready[w] = now + spec.Cooldown
	g.nextShot++
	if g.nextShot == 0 { // wrapped after 4 billion shots: 0 is not an id
		g.nextShot = 1
	}
	sin, cos := math.Sincos(float64(c.pl.Aim))
	msg := &shooterv1.Projectile{
		Owner: c.id, Weapon: w, X: c.pl.X, Y: c.pl.Y,
		Vx: float32(cos * spec.Speed), Vy: float32(sin * spec.Speed), Tick: t,
	}
	p := &projectile{
		id: g.nextShot, msg: msg, shooter: c, spec: spec, born: t, hz: float64(g.hz),
		ox: float64(msg.X), oy: float64(msg.Y), vx: float64(msg.Vx), vy: float64(msg.Vy),
		flight: spec.Range / spec.Speed,
	}
	p.x, p.y = p.ox, p.oy
	g.shots = append(g.shots, p)
	r.State().Projectiles[p.id] = msg
}

// flyShots moves every projectile fired before tick t along its path to
// t. The first thing on that stretch stops it: an obstacle, or a living
// player other than its shooter, who takes the weapon's damage. One that
// leaves the world or runs out of range vanishes.
func (g *Shooter) flyShots(r *tick.Room[*shooterv1.State], t uint64) {
	keep := g.shots[:0]
	for _, p := range g.shots {
		x1, y1, spent := p.at(t)
		x0, y0 := p.x, p.y
		dx, dy := x1-x0, y1-y0
		best, hit := 2.0, false
		var victim *combatant
		for i := range obstacles {
			if th, ok := segmentHitsRect(&obstacles[i], x0, y0, dx, dy); ok && th < best {
				best, hit = th, true
			}
		}
		rr := Radius + p.spec.HitRadius
		loX, hiX := min(x0, x1)-rr, max(x0, x1)+rr
		loY, hiY := min(y0, y1)-rr, max(y0, y1)+rr
		for _, c := range g.fighters {
			cx, cy := float64(c.pl.X), float64(c.pl.Y)
			if cx < loX || cx > hiX || cy < loY || cy > hiY || c == p.shooter || !c.alive() {
				continue
			}
			if th, ok := segmentHitsCircle(x0, y0, dx, dy, cx, cy, rr); ok && th < best {
				best, hit, victim = th, true, c
			}
		}
		if victim != nil {
			g.damage(victim, p, t)
		}
		if hit || spent || !insideWorld(x1, y1) {
			delete(r.State().Projectiles, p.id)
			continue
		}
		p.x, p.y = x1, y1
		keep = append(keep, p)
	}
	clear(g.shots[len(keep):])
	g.shots = keep
}

// damage takes p's damage off v; at 0 hp v dies, to respawn RespawnDelay
// later, and p's shooter scores a kill if still in the room.
func (g *Shooter) damage(v *combatant, p *projectile, t uint64) {
	v.pl.Hp -= p.spec.Damage
	if v.pl.Hp > 0 {
		return
	}
	v.pl.Hp, v.pl.Vx, v.pl.Vy = 0, 0, 0
	v.pl.Deaths++
	v.pl.RespawnTick = t + g.respawnTicks
	if k := p.shooter; !k.gone {
		k.pl.Kills++
	}
	g.scoreDirty = true
}

// updateScoreboard puts the ScoreboardSize best fighters into the state:
// most kills, then fewest deaths, then id. The lines are new messages each
// time they change (never mutated), so every view shares them.
func (g *Shooter) updateScoreboard(r *tick.Room[*shooterv1.State]) {
	g.scoreDirty = false
	g.rank = append(g.rank[:0], g.fighters...)
	slices.SortFunc(g.rank, func(a, b *combatant) int {
		if c := cmp.Compare(b.pl.Kills, a.pl.Kills); c != 0 {
			return c
		}
		if c := cmp.Compare(a.pl.Deaths, b.pl.Deaths); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	top := g.rank[:min(ScoreboardSize, len(g.rank))]
	s := r.State()
	if sameBoard(s.Scoreboard, top) {
		clear(g.rank)
		return
	}
	board := make([]*shooterv1.Score, len(top))
	for i, c := range top {
		board[i] = &shooterv1.Score{PlayerId: c.id, Kills: c.pl.Kills, Deaths: c.pl.Deaths, Bot: c.pl.Bot}
	}
	s.Scoreboard = board
	clear(g.rank)
}

// sameBoard reports whether the scoreboard already shows top.
func sameBoard(board []*shooterv1.Score, top []*combatant) bool {
	if len(board) != len(top) {
		return false
	}
	for i, c := range top {
		l := board[i]
		if l.PlayerId != c.id || l.Kills != c.pl.Kills || l.Deaths != c.pl.Deaths || l.Bot != c.pl.Bot {
			return false
		}
	}
	return true
}
