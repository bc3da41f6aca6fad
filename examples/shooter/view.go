package shooter

import (
	"fmt"

	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	"github.com/tickwire/tickwire/tick"
)

// Interest management. The world is a grid of CellSize cells; a player's
// view key is the cell it stands in ("cx,cy"), kept while it strays less
// than ViewHysteresis out of it. A view holds the fighters and projectiles
// of its cell and the 8 around it, plus what every view carries: the rules,
// the obstacles and the scoreboard. Players in the same cell share one view,
// so a room has at most cellsX·cellsY of them, each diffed and encoded once.

// cell is what one interest cell holds this tick (filed at the end of Tick).
type cell struct {
	fighters []*combatant
	shots    []*projectile
}

// viewCache is the game's memory of one view key: the messages FillView
// fills its views from, reused tick after tick so that building a view
// allocates nothing once it is warm.
type viewCache struct {
	cx, cy      int
	rect        *shooterv1.Rect // the area it covers; immutable
	players     map[string]*shooterv1.Player
	projectiles map[uint32]*shooterv1.Projectile
	pool        []*shooterv1.Player // copies of fighters, reused
}

// cellKeys[cy*cellsX+cx] is the view key of cell (cx, cy); keyCells maps it
// back. Both are fixed at start-up.
var (
	cellKeys [cellsX * cellsY]string
	keyCells = map[string]int{}
)

func init() {
	for i := range cellKeys {
		cellKeys[i] = fmt.Sprintf("%d,%d", i%cellsX, i/cellsX)
		keyCells[cellKeys[i]] = i
	}
}

// fileCells sorts the fighters (dead ones too: they lie where they fell)
// and projectiles into cells by their position this tick.
func (g *Shooter) fileCells() {
	for i := range g.grid {
		cl := &g.grid[i]
		clear(cl.fighters)
		clear(cl.shots)
		cl.fighters, cl.shots = cl.fighters[:0], cl.shots[:0]
	}
	for _, c := range g.fighters {
		cx, cy := cellOf(float64(c.pl.X), float64(c.pl.Y))
		cl := &g.grid[cy*cellsX+cx]
		cl.fighters = append(cl.fighters, c)
	}
	for _, p := range g.shots {
		cx, cy := cellOf(p.x, p.y)
		cl := &g.grid[cy*cellsX+cx]
		cl.shots = append(cl.shots, p)
	}
}

// View returns the key of p's cell, "cx,cy". A player keeps its view until
// it strays more than ViewHysteresis out of the view's cell, or respawns.
func (g *Shooter) View(r *tick.Room[*shooterv1.State], p tick.PlayerID) string {
	c := g.byID[string(p)]
	if c == nil {
		return ""
	}
	x, y := float64(c.pl.X), float64(c.pl.Y)
	if c.viewSet {
		x0, y0 := float64(c.viewCX*CellSize-ViewHysteresis), float64(c.viewCY*CellSize-ViewHysteresis)
		x1, y1 := float64((c.viewCX+1)*CellSize+ViewHysteresis), float64((c.viewCY+1)*CellSize+ViewHysteresis)
		if x >= x0 && x < x1 && y >= y0 && y < y1 {
			return cellKeys[c.viewCY*cellsX+c.viewCX]
		}
	}
	c.viewCX, c.viewCY = cellOf(x, y)
	c.viewSet = true
	return cellKeys[c.viewCY*cellsX+c.viewCX]
}

// FillView fills the view of key: the fighters and projectiles of its
// 3×3 cells, and the rules, obstacles and scoreboard.
//
// It obeys the rule that dst shares no mutable message with r.State():
// fighters are copied into messages the view's cache owns (reused every
// tick: the room resets dst before each FillView and reads it only until
// then), and what it shares with the state (rules, obstacles, projectiles,
// scoreboard lines) is never mutated once made.
func (g *Shooter) FillView(r *tick.Room[*shooterv1.State], key string, dst *shooterv1.State) {
	dst.Rules, dst.Obstacles, dst.Scoreboard = g.rules, g.obstacles, r.State().Scoreboard
	vc := g.views[key]
	if vc == nil {
		i, ok := keyCells[key]
		if !ok {
			return // "": a player the game does not know; cannot happen
		}
		vc = newViewCache(i%cellsX, i/cellsX)
		g.views[key] = vc
	}
	dst.View = vc.rect
	clear(vc.players)
	clear(vc.projectiles)
	n := 0
	for cy := max(vc.cy-1, 0); cy <= min(vc.cy+1, cellsY-1); cy++ {
		for cx := max(vc.cx-1, 0); cx <= min(vc.cx+1, cellsX-1); cx++ {
			cl := &g.grid[cy*cellsX+cx]
			for _, c := range cl.fighters {
				if c.gone { // left since the cells were filed: only between ticks
					continue
				}
				if n == len(vc.pool) {
					vc.pool = append(vc.pool, &shooterv1.Player{})
				}
				m := vc.pool[n]
				n++
				copyPlayer(m, c.pl)
				vc.players[c.id] = m
			}
			for _, p := range cl.shots {
				vc.projectiles[p.id] = p.msg
			}
		}
	}
	dst.Players, dst.Projectiles = vc.players, vc.projectiles
}

func newViewCache(cx, cy int) *viewCache {
	return &viewCache{
		cx: cx, cy: cy,
		rect: &shooterv1.Rect{
			X0: float32(max(cx-1, 0) * CellSize), Y0: float32(max(cy-1, 0) * CellSize),
			X1: float32(min((cx+2)*CellSize, Width)), Y1: float32(min((cy+2)*CellSize, Height)),
		},
		players:     map[string]*shooterv1.Player{},
		projectiles: map[uint32]*shooterv1.Projectile{},
	}
}

// copyPlayer copies every field of src into dst (protobuf messages must
// not be copied as values).
func copyPlayer(dst, src *shooterv1.Player) {
	dst.X, dst.Y, dst.Vx, dst.Vy, dst.Aim = src.X, src.Y, src.Vx, src.Vy, src.Aim
	dst.Hp, dst.Weapon, dst.RespawnTick = src.Hp, src.Weapon, src.RespawnTick
	dst.Kills, dst.Deaths, dst.Bot = src.Kills, src.Deaths, src.Bot
}
