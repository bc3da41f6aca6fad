package shooter

import "math"

// Move turns an input's move vector into the one a player moves by: a
// non-finite component stops the player (0, 0), each component is clamped
// to [-1, 1], and a vector longer than 1 is divided by its length, so no
// input moves anyone faster than MaxSpeed.
func Move(moveX, moveY float32) (mx, my float64) {
	mx, my = float64(moveX), float64(moveY)
	if !finite(mx) || !finite(my) {
		return 0, 0
	}
	mx = min(max(mx, -1), 1)
	my = min(max(my, -1), 1)
	if l2 := float64(mx*mx) + float64(my*my); l2 > 1 {
		l := math.Sqrt(l2)
		mx, my = mx/l, my/l
	}
	return mx, my
}

// Step is the movement of one living player in one tick of a room at hz
// ticks per second, exactly as the server runs it before players push each
// other apart: a client predicting its own player runs Step on its
// authoritative position once per unacknowledged input and gets the
// server's result bit for bit (see README.md). In float64 arithmetic, with
// every product rounded before it is added (no fused multiply-add):
//
//	mx, my = Move(moveX, moveY)
//	vx, vy = mx·MaxSpeed, my·MaxSpeed
//	dt     = 1 / hz
//	px, py = x + vx·dt, y + vy·dt
//	for each obstacle in order: push (px, py) out of it (pushOut)
//	px, py = clamp(px, Radius, Width-Radius), clamp(py, Radius, Height-Radius)
//
// and the results are rounded to float32 (Math.fround), as the state holds
// them.
func Step(x, y, moveX, moveY float32, hz int) (nx, ny, vx, vy float32) {
	mx, my := Move(moveX, moveY)
	vx64, vy64 := float64(mx*MaxSpeed), float64(my*MaxSpeed)
	dt := 1 / float64(hz)
	px := float64(x) + float64(vx64*dt)
	py := float64(y) + float64(vy64*dt)
	px, py = resolve(px, py)
	return float32(px), float32(py), float32(vx64), float32(vy64)
}

// resolve pushes a player's centre out of every obstacle, in order, then
// inside the walls. Obstacles are at least 2·Radius apart and from the
// walls (TestObstacleLayout), so one pass leaves the circle clear of all.
func resolve(px, py float64) (float64, float64) {
	for i := range obstacles {
		px, py = pushOut(&obstacles[i], px, py)
	}
	px = min(max(px, Radius), Width-Radius)
	py = min(max(py, Radius), Height-Radius)
	return px, py
}

// pushOut moves a circle of Radius centred at (px, py) out of o, to the
// nearest position where it just touches o:
//
//	cx, cy = clamp(px, o.x0, o.x1), clamp(py, o.y0, o.y1)  // nearest point of o
//	dx, dy = px - cx, py - cy
//	d2 = dx·dx + dy·dy
//	d2 >= Radius²: not touching, unchanged
//	d2 > 0:  k = Radius / sqrt(d2); (cx + dx·k, cy + dy·k)
//	d2 == 0 (centre inside o): out through the nearest side, the first of
//	         left, right, top, bottom on a tie: (o.x0 - Radius, py),
//	         (o.x1 + Radius, py), (px, o.y0 - Radius) or (px, o.y1 + Radius)
func pushOut(o *rect, px, py float64) (float64, float64) {
	cx := min(max(px, o.x0), o.x1)
	cy := min(max(py, o.y0), o.y1)
	dx, dy := px-cx, py-cy
	d2 := float64(dx*dx) + float64(dy*dy)
	if d2 >= Radius*Radius {
		return px, py
	}
	if d2 > 0 {
		k := Radius / math.Sqrt(d2)
		return cx + float64(dx*k), cy + float64(dy*k)
	}
	left, right, top, bottom := px-o.x0, o.x1-px, py-o.y0, o.y1-py
	switch min(left, right, top, bottom) {
	case left:
		return o.x0 - Radius, py
	case right:
		return o.x1 + Radius, py
	case top:
		return px, o.y0 - Radius
	default:
		return px, o.y1 + Radius
	}
}

// separate pushes two overlapping living players apart, half the overlap
// each, along the line between their centres (+x when they coincide), then
// back out of obstacles and walls. Clients do not predict it: it only
// happens when players touch, and reconciliation absorbs it.
func separate(a, b *combatant) {
	ax, ay := float64(a.pl.X), float64(a.pl.Y)
	bx, by := float64(b.pl.X), float64(b.pl.Y)
	dx, dy := bx-ax, by-ay
	if dx >= 2*Radius || dx <= -2*Radius || dy >= 2*Radius || dy <= -2*Radius {
		return
	}
	d2 := float64(dx*dx) + float64(dy*dy)
	if d2 >= 4*Radius*Radius {
		return
	}
	nx, ny, d := 1.0, 0.0, 0.0
	if d2 > 0 {
		d = math.Sqrt(d2)
		nx, ny = dx/d, dy/d
	}
	push := (2*Radius - d) / 2
	ax, ay = resolve(ax-nx*push, ay-ny*push)
	bx, by = resolve(bx+nx*push, by+ny*push)
	a.pl.X, a.pl.Y = float32(ax), float32(ay)
	b.pl.X, b.pl.Y = float32(bx), float32(by)
}

// clearOf returns the distance from (px, py) to o, 0 inside it.
func clearOf(o *rect, px, py float64) float64 {
	dx := px - min(max(px, o.x0), o.x1)
	dy := py - min(max(py, o.y0), o.y1)
	return math.Sqrt(dx*dx + dy*dy)
}

// segmentHitsRect returns the fraction t in [0, 1] of the segment from
// (x0, y0) by (dx, dy) at which it enters o (0 when it starts inside), and
// whether it does.
func segmentHitsRect(o *rect, x0, y0, dx, dy float64) (float64, bool) {
	tmin, tmax := 0.0, 1.0
	for _, ax := range [2]struct{ p, d, lo, hi float64 }{{x0, dx, o.x0, o.x1}, {y0, dy, o.y0, o.y1}} {
		if ax.d == 0 {
			if ax.p < ax.lo || ax.p > ax.hi {
				return 0, false
			}
			continue
		}
		t1, t2 := (ax.lo-ax.p)/ax.d, (ax.hi-ax.p)/ax.d
		if t1 > t2 {
			t1, t2 = t2, t1
		}
		tmin, tmax = max(tmin, t1), min(tmax, t2)
		if tmin > tmax {
			return 0, false
		}
	}
	return tmin, true
}

// segmentHitsCircle returns the fraction t in [0, 1] of the segment from
// (x0, y0) by (dx, dy) at which it comes within r of (cx, cy) (0 when it
// starts within), and whether it does.
func segmentHitsCircle(x0, y0, dx, dy, cx, cy, r float64) (float64, bool) {
	fx, fy := x0-cx, y0-cy
	c := fx*fx + fy*fy - r*r
	if c <= 0 {
		return 0, true
	}
	a := dx*dx + dy*dy
	b := fx*dx + fy*dy
	if a == 0 || b >= 0 {
		return 0, false // not moving, or moving away
	}
	disc := b*b - a*c
	if disc < 0 {
		return 0, false
	}
	t := (-b - math.Sqrt(disc)) / a
	if t > 1 {
		return 0, false
	}
	return t, true
}

// lineOfSight reports whether no obstacle crosses the segment between two
// points.
func lineOfSight(x0, y0, x1, y1 float64) bool {
	for i := range obstacles {
		if _, hit := segmentHitsRect(&obstacles[i], x0, y0, x1-x0, y1-y0); hit {
			return false
		}
	}
	return true
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// wrapAngle returns a in (-π, π].
func wrapAngle(a float64) float64 {
	a = math.Remainder(a, 2*math.Pi)
	if a <= -math.Pi {
		a += 2 * math.Pi
	}
	return a
}
