package shooter

import (
	"time"

	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
)

// The world, in world units (y points down) and seconds.
const (
	Width  = 3000
	Height = 3000
	Radius = 20 // every player is a circle of this radius

	MaxSpeed     = 300 // units/s at full input
	MaxHP        = 100
	RespawnDelay = 3 * time.Second

	// CellSize is the side of an interest cell: a player sees its own cell
	// and the 8 around it, so everything within CellSize of it at least.
	CellSize = 600
	// ViewHysteresis is how far a player may stray out of its view's cell
	// before its view moves to the cell it is in, so that walking along a
	// cell border does not swap views (each swap costs a snapshot).
	ViewHysteresis = 40
	// ScoreboardSize is the number of lines of the scoreboard.
	ScoreboardSize = 5
	// MaxProjectiles bounds the projectiles in flight in one room; a shot
	// beyond it is not fired (50 players firing blasters nonstop keep
	// about 250 in the air).
	MaxProjectiles = 1024
)

const (
	cellsX = (Width + CellSize - 1) / CellSize
	cellsY = (Height + CellSize - 1) / CellSize
)

// rect is an obstacle in float64, as the movement code uses it.
type rect struct{ x0, y0, x1, y1 float64 }

// obstacles is the fixed layout: a central block, bars and pillars laid out
// symmetrically. They are at least 2·Radius from each other and from the
// walls, which keeps collision resolution to one pass (TestObstacleLayout).
var obstacles = [...]rect{
	{1350, 1400, 1650, 1600}, // the centre block
	{500, 500, 900, 560},     // corner bars
	{2100, 500, 2500, 560},
	{500, 2440, 900, 2500},
	{2100, 2440, 2500, 2500},
	{500, 700, 560, 1000}, // corner pillars
	{2440, 700, 2500, 1000},
	{500, 2000, 560, 2300},
	{2440, 2000, 2500, 2300},
	{1000, 1300, 1080, 1700}, // walls beside the centre
	{1920, 1300, 2000, 1700},
	{1300, 800, 1700, 860}, // bars above and below it
	{1300, 2140, 1700, 2200},
}

// WeaponSpec describes a weapon.
type WeaponSpec struct {
	// Cooldown is the shortest time between two shots of the weapon by one
	// player; a trigger pull sooner is ignored and counted
	// (Stats.FireTooFast). Multiples of the 60 Hz period, so that a held
	// trigger fires exactly at this rate.
	Cooldown time.Duration
	Damage   int32   // hp one hit takes
	Speed    float64 // of its projectiles, units/s
	Range    float64 // how far they fly
	// HitRadius: a projectile hits a player whose centre comes within
	// Radius+HitRadius of its path.
	HitRadius float64
}

// weapons by shooterv1.Weapon value; index 0 (unspecified) is unused.
var weapons = [...]WeaponSpec{
	shooterv1.Weapon_WEAPON_BLASTER: {Cooldown: 150 * time.Millisecond, Damage: 12, Speed: 1500, Range: 1100, HitRadius: 4},
	shooterv1.Weapon_WEAPON_CANNON:  {Cooldown: 800 * time.Millisecond, Damage: 45, Speed: 900, Range: 1400, HitRadius: 8},
}

// Spec returns the weapon w's description, false for an unknown weapon.
func Spec(w shooterv1.Weapon) (WeaponSpec, bool) {
	if w <= shooterv1.Weapon_WEAPON_UNSPECIFIED || int(w) >= len(weapons) {
		return WeaponSpec{}, false
	}
	return weapons[w], true
}

// newRules returns the rules message of a room at hz; it is never mutated,
// so every view shares it.
func newRules(hz int, respawnTicks uint64) *shooterv1.Rules {
	r := &shooterv1.Rules{
		Width: Width, Height: Height, PlayerRadius: Radius, MaxSpeed: MaxSpeed,
		TickHz: uint32(hz), MaxHp: MaxHP, RespawnTicks: uint32(respawnTicks), CellSize: CellSize,
	}
	for w := shooterv1.Weapon_WEAPON_BLASTER; int(w) < len(weapons); w++ {
		s := weapons[w]
		r.Weapons = append(r.Weapons, &shooterv1.WeaponSpec{
			Weapon: w, CooldownMs: uint32(s.Cooldown / time.Millisecond), Damage: s.Damage,
			ProjectileSpeed: float32(s.Speed), Range: float32(s.Range), ProjectileRadius: float32(s.HitRadius),
		})
	}
	return r
}

// newObstacles returns the obstacle messages; never mutated, shared by
// every view.
func newObstacles() []*shooterv1.Rect {
	out := make([]*shooterv1.Rect, len(obstacles))
	for i, o := range obstacles {
		out[i] = &shooterv1.Rect{X0: float32(o.x0), Y0: float32(o.y0), X1: float32(o.x1), Y1: float32(o.y1)}
	}
	return out
}

// insideWorld reports whether a point is inside the walls.
func insideWorld(x, y float64) bool { return x >= 0 && x <= Width && y >= 0 && y <= Height }

// cellOf returns the interest cell holding a point, clamped to the grid.
func cellOf(x, y float64) (cx, cy int) {
	cx = min(max(int(x/CellSize), 0), cellsX-1)
	cy = min(max(int(y/CellSize), 0), cellsY-1)
	return cx, cy
}
