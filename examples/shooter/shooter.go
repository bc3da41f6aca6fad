// Package shooter is Tickwire's flagship game: a top-down arena shooter.
// Players run around a walled world with obstacles (WASD), aim with the
// mouse and shoot projectiles; hits take hit points, the dead respawn after
// a delay, and a scoreboard counts kills and deaths. Movement is server
// authoritative and simple enough for the browser to predict bit for bit
// (Step); server-side bots keep a lone player company; each player receives
// only the part of the world around it (tick.Viewer).
//
// Importing the package registers the game as "shooter" (60 Hz, up to 50
// players). Its state and input are tickwire.shooter.v1.State and Input.
// README.md has the rules, the prediction formula and the design.
package shooter

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	"github.com/tickwire/tickwire/tick"
)

// The shooter's registration.
const (
	Name       = "shooter"
	TickHz     = 60
	MaxPlayers = 50
	// ReconnectGrace is how long a dropped player's fighter waits for them.
	ReconnectGrace = 10 * time.Second
	// MinCombatants is how many fighters a room with at least one human
	// keeps by adding bots: a lone player meets MinCombatants-1 bots, and
	// the bots leave one by one as humans arrive.
	MinCombatants = 6
	// StatsEvery is how often a room logs its Stats, when they changed.
	StatsEvery = time.Minute
	// MinTickHz is the slowest tick rate a room may run at. Movement is
	// not swept: a step (MaxSpeed/hz) past the middle of an obstacle would
	// push the player out through its far side, so a step must stay under
	// half the thinnest obstacle plus a player's diameter (50 units).
	MinTickHz = 10
	// Version is the game's version in room logs: a recording replays
	// only with the rules it was recorded with (docs/replay.md). Bump it
	// with every change of the rules or the bots.
	Version = "1"
	// ReplayWindow is how much of a room's recent past the page's "replay"
	// button can show: every room keeps that much in memory as state
	// frames (tick.RecordOptions.Ring), about 20 KB a second with six
	// fighters.
	ReplayWindow = 10 * time.Second
)

func init() {
	tick.Register(Info(), New)
}

// Info is the shooter's registration. A server that wants room logs for
// bug reports registers a variant with a Record.Dir:
//
//	info := shooter.Info()
//	info.Name, info.Record.Dir = "shooter-rec", "/var/log/tickwire"
//	tick.RegisterIn(reg, info, shooter.New)
func Info() tick.GameInfo {
	return tick.GameInfo{Name: Name, TickHz: TickHz, MinPlayers: 1, MaxPlayers: MaxPlayers, ReconnectGrace: ReconnectGrace,
		Version: Version, Record: tick.RecordOptions{Ring: ReplayWindow + 2*time.Second}}
}

// Config tunes a room's game. The zero value is the registered game.
type Config struct {
	// MinCombatants overrides the package's MinCombatants: 0 keeps it, a
	// negative value means no bots.
	MinCombatants int
}

// New returns the Game of one new shooter room, as registered.
func New() tick.Game[*shooterv1.State, *shooterv1.Input] { return NewWith(Config{}) }

// NewWith returns the Game of one room with cfg, e.g. for tests and
// benchmarks (tick.NewHarness) or a server registering a variant.
func NewWith(cfg Config) *Shooter {
	switch {
	case cfg.MinCombatants == 0:
		cfg.MinCombatants = MinCombatants
	case cfg.MinCombatants < 0:
		cfg.MinCombatants = 0
	}
	return &Shooter{cfg: cfg, byID: map[string]*combatant{}, views: map[string]*viewCache{}}
}

// Stats counts the input a room ignored or corrected. Games have no
// Prometheus registry of their own: a room logs its Stats at most once per
// StatsEvery, and once more when it ends, and tests read them.
type Stats struct {
	// NonFinite counts inputs with a NaN or infinite move (the player
	// stops) or aim (the aim is kept).
	NonFinite uint64
	// MoveClamped counts inputs with a move component outside [-1, 1]
	// (clamped; a vector longer than 1 is cut to 1 without counting, as
	// (1, 1) is an honest diagonal).
	MoveClamped uint64
	// BadWeapon counts inputs naming an unknown weapon (ignored).
	BadWeapon uint64
	// FireTooFast counts trigger pulls while the weapon was cooling down,
	// and all but one of several pulls within one tick (ignored: no shot).
	FireTooFast uint64
}

// Shooter is one room's game. Its methods run on the room's goroutine.
type Shooter struct {
	cfg          Config
	hz           int
	respawnTicks uint64
	rules        *shooterv1.Rules  // immutable, shared by every view
	obstacles    []*shooterv1.Rect // immutable, shared by every view

	// fighters in join order (bots included): every loop runs in this
	// order, so a seed and the same inputs replay a room exactly.
	fighters []*combatant
	byID     map[string]*combatant
	humans   int
	bots     int
	nextBot  int

	shots    []*projectile // in flight, in firing order
	nextShot uint32

	scoreDirty bool
	rank       []*combatant // scratch for updateScoreboard
	grid       [cellsX * cellsY]cell
	views      map[string]*viewCache

	stats     Stats
	logged    Stats
	lastLog   time.Duration
	statsSeen bool
}

// combatant is a player or a bot: its Player in the state plus what the
// game remembers beyond it.
type combatant struct {
	id   string
	pl   *shooterv1.Player // its entry in r.State().Players
	bot  *brain            // nil for a human
	gone bool              // left the room (bots may still point at it)

	moveX, moveY float32 // the last input's move, raw: Step sanitizes it
	trigger      bool    // held
	pulled       bool    // the trigger was held at some input since the last tick
	pulls        int     // times it was pulled (false → true) since the last tick
	ready        [len(weapons)]time.Duration

	viewSet        bool
	viewCX, viewCY int
}

func (c *combatant) alive() bool { return c.pl.Hp > 0 }

var (
	_ tick.Game[*shooterv1.State, *shooterv1.Input] = (*Shooter)(nil)
	_ tick.Viewer[*shooterv1.State]                 = (*Shooter)(nil)
	_ tick.Closer[*shooterv1.State]                 = (*Shooter)(nil)
)

// Init lays out the world. It refuses tick rates below MinTickHz.
func (g *Shooter) Init(r *tick.Room[*shooterv1.State]) error {
	g.hz = r.Info().TickHz
	if g.hz < MinTickHz {
		return fmt.Errorf("shooter: %d Hz is below the %d Hz its collisions need", g.hz, MinTickHz)
	}
	g.respawnTicks = uint64((RespawnDelay*time.Duration(g.hz) + time.Second - 1) / time.Second)
	g.rules = newRules(g.hz, g.respawnTicks)
	g.obstacles = newObstacles()
	s := r.State()
	s.Rules, s.Obstacles, s.View = g.rules, g.obstacles, &shooterv1.Rect{X1: Width, Y1: Height}
	s.Players = map[string]*shooterv1.Player{}
	s.Projectiles = map[uint32]*shooterv1.Projectile{}
	return nil
}

// Join spawns p's fighter with full hp at a free spot and rebalances the
// bots. A bot that happens to have p's id makes way.
func (g *Shooter) Join(r *tick.Room[*shooterv1.State], p tick.PlayerID) error {
	id := string(p)
	if old := g.byID[id]; old != nil {
		if old.bot == nil {
			return errors.New("already in the room") // sent as GAME_REFUSED
		}
		g.remove(r, old)
	}
	g.add(r, id, nil)
	g.humans++
	g.balanceBots(r)
	return nil
}

// Leave removes p's fighter (its projectiles fly on) and rebalances the
// bots.
func (g *Shooter) Leave(r *tick.Room[*shooterv1.State], p tick.PlayerID) {
	c := g.byID[string(p)]
	if c == nil || c.bot != nil {
		return
	}
	g.remove(r, c)
	g.humans--
	g.balanceBots(r)
}

// Input takes p's move, aim, trigger and weapon choice, held until its
// next input. Nonsense is corrected or ignored and counted in Stats; it
// never reaches another player.
func (g *Shooter) Input(r *tick.Room[*shooterv1.State], p tick.PlayerID, in *shooterv1.Input) {
	c := g.byID[string(p)]
	if c == nil || c.bot != nil {
		return
	}
	g.takeInput(c, in.MoveX, in.MoveY, in.Aim, in.Fire, in.Weapon)
}

// takeInput applies one input to c: the humans' and the bots' single path.
func (g *Shooter) takeInput(c *combatant, moveX, moveY, aim float32, fire bool, w shooterv1.Weapon) {
	mx, my := float64(moveX), float64(moveY)
	a := float64(aim)
	if !finite(mx) || !finite(my) || !finite(a) {
		g.stats.NonFinite++
	}
	if !finite(mx) || !finite(my) {
		moveX, moveY = 0, 0
	} else if mx < -1 || mx > 1 || my < -1 || my > 1 {
		g.stats.MoveClamped++
	}
	c.moveX, c.moveY = moveX, moveY
	if finite(a) {
		c.pl.Aim = float32(wrapAngle(a))
	}
	if w != shooterv1.Weapon_WEAPON_UNSPECIFIED {
		if _, ok := Spec(w); ok {
			c.pl.Weapon = w
		} else {
			g.stats.BadWeapon++
		}
	}
	if fire {
		if !c.trigger {
			c.pulls++
		}
		c.pulled = true
	}
	c.trigger = fire
}

// Tick runs one tick: respawns, bots, movement, projectiles, shots, the
// scoreboard, then files everyone into interest cells for the views. Time
// is counted in ticks of exactly 1/hz seconds (the room's dt is that,
// truncated to nanoseconds), as clients predict it.
func (g *Shooter) Tick(r *tick.Room[*shooterv1.State], _ time.Duration) {
	t := r.Tick()
	now := g.gameTime(t)
	for _, c := range g.fighters {
		if !c.alive() && c.pl.RespawnTick != 0 && t >= c.pl.RespawnTick {
			g.respawn(r, c)
		}
	}
	for _, c := range g.fighters {
		if c.bot != nil {
			g.think(r, c, now)
		}
	}
	for _, c := range g.fighters {
		if c.alive() {
			c.pl.X, c.pl.Y, c.pl.Vx, c.pl.Vy = Step(c.pl.X, c.pl.Y, c.moveX, c.moveY, g.hz)
		}
	}
	for i, a := range g.fighters {
		if !a.alive() {
			continue
		}
		for _, b := range g.fighters[i+1:] {
			if b.alive() {
				separate(a, b)
			}
		}
	}
	g.flyShots(r, t)
	for _, c := range g.fighters {
		g.fire(r, c, t, now)
	}
	if g.scoreDirty {
		g.updateScoreboard(r)
	}
	g.fileCells()
	g.logStats(r, now, false)
}

// Close logs the room's final Stats, if any input was corrected.
func (g *Shooter) Close(r *tick.Room[*shooterv1.State]) {
	g.logStats(r, g.gameTime(r.Tick()), true)
}

// Stats returns what the room ignored or corrected so far.
func (g *Shooter) Stats() Stats { return g.stats }

// gameTime is the time of tick t since the room started: exact, unlike a
// sum of truncated periods.
func (g *Shooter) gameTime(t uint64) time.Duration {
	return time.Duration(t) * time.Second / time.Duration(g.hz)
}

func (g *Shooter) logStats(r *tick.Room[*shooterv1.State], now time.Duration, final bool) {
	if g.stats == g.logged || (!final && g.statsSeen && now-g.lastLog < StatsEvery) {
		return
	}
	s := g.stats
	r.Logger().Info().Bool("final", final).Uint64("non_finite", s.NonFinite).Uint64("move_clamped", s.MoveClamped).
		Uint64("bad_weapon", s.BadWeapon).Uint64("fire_too_fast", s.FireTooFast).Msg("shooter: inputs corrected or ignored")
	g.logged, g.lastLog, g.statsSeen = s, now, true
}

// add seats a fighter, human (b nil) or bot, and spawns it.
func (g *Shooter) add(r *tick.Room[*shooterv1.State], id string, b *brain) *combatant {
	c := &combatant{id: id, pl: &shooterv1.Player{Weapon: shooterv1.Weapon_WEAPON_BLASTER, Bot: b != nil}, bot: b}
	g.fighters = append(g.fighters, c)
	g.byID[id] = c
	r.State().Players[id] = c.pl
	g.respawn(r, c)
	g.scoreDirty = true
	return c
}

// remove unseats a fighter.
func (g *Shooter) remove(r *tick.Room[*shooterv1.State], c *combatant) {
	c.gone = true
	g.fighters = slices.DeleteFunc(g.fighters, func(o *combatant) bool { return o == c })
	delete(g.byID, c.id)
	delete(r.State().Players, c.id)
	if c.bot != nil {
		g.bots--
	}
	g.scoreDirty = true
}

// respawn brings c back to life at full hp at a free spot: clear of the
// obstacles, and as far from the living as the best of a few random tries
// finds (at least 400 units when it can).
func (g *Shooter) respawn(r *tick.Room[*shooterv1.State], c *combatant) {
	rng := r.Rand()
	bestX, bestY, bestGap := float64(Radius+1), float64(Radius+1), -1.0
	for range 32 {
		x := Radius + 1 + rng.Float64()*(Width-2*Radius-2)
		y := Radius + 1 + rng.Float64()*(Height-2*Radius-2)
		free := true
		for i := range obstacles {
			if clearOf(&obstacles[i], x, y) < Radius+10 {
				free = false
				break
			}
		}
		if !free {
			continue
		}
		gap := math.MaxFloat64 // squared distance to the nearest living
		for _, o := range g.fighters {
			if o != c && o.alive() {
				dx, dy := float64(o.pl.X)-x, float64(o.pl.Y)-y
				gap = min(gap, dx*dx+dy*dy)
			}
		}
		if gap > bestGap {
			bestX, bestY, bestGap = x, y, gap
		}
		if bestGap >= 400*400 {
			break
		}
	}
	pl := c.pl
	pl.X, pl.Y, pl.Vx, pl.Vy = float32(bestX), float32(bestY), 0, 0
	pl.Hp, pl.RespawnTick = MaxHP, 0
	c.viewSet = false // its view jumps with it
}
