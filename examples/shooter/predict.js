// The shooter's movement function for client-side prediction: bit for bit
// the server's Step (examples/shooter/move.go), checked against it by
// TestPredictJSMatchesStep. JavaScript numbers are IEEE doubles and never
// fuse a multiply with an add, like the Go code, so the same operations in
// the same order give the same bits; Math.fround rounds to float32 where
// the state does.
//
//   import { step } from "./predict.js";
//   const next = step(state.rules, state.obstacles, me.x, me.y, input.moveX, input.moveY);
//
// rules and obstacles are the State's (tickwire.shooter.v1.Rules, Rect[]).

// move returns the move vector an input's (moveX, moveY) moves by: a
// non-finite component stops the player, components are clamped to
// [-1, 1], and a vector longer than 1 is cut to length 1.
export function move(moveX, moveY) {
  let mx = Math.fround(moveX), my = Math.fround(moveY); // the values the input carries
  if (!Number.isFinite(mx) || !Number.isFinite(my)) return [0, 0];
  mx = Math.min(Math.max(mx, -1), 1);
  my = Math.min(Math.max(my, -1), 1);
  const l2 = mx * mx + my * my;
  if (l2 > 1) {
    const l = Math.sqrt(l2);
    mx = mx / l;
    my = my / l;
  }
  return [mx, my];
}

// pushOut moves a circle of radius r centred at (px, py) out of the
// rectangle o, to where it just touches it.
function pushOut(o, px, py, r) {
  const cx = Math.min(Math.max(px, o.x0), o.x1);
  const cy = Math.min(Math.max(py, o.y0), o.y1);
  const dx = px - cx, dy = py - cy;
  const d2 = dx * dx + dy * dy;
  if (d2 >= r * r) return [px, py];
  if (d2 > 0) {
    const k = r / Math.sqrt(d2);
    return [cx + dx * k, cy + dy * k];
  }
  const left = px - o.x0, right = o.x1 - px, top = py - o.y0, bottom = o.y1 - py;
  switch (Math.min(left, right, top, bottom)) {
    case left: return [o.x0 - r, py];
    case right: return [o.x1 + r, py];
    case top: return [px, o.y0 - r];
    default: return [px, o.y1 + r];
  }
}

// step moves a living player at (x, y) by one tick of input (moveX, moveY)
// and returns its new position and velocity, as float32 values exactly as
// the server computes them (players pushing each other apart excepted).
export function step(rules, obstacles, x, y, moveX, moveY) {
  const [mx, my] = move(moveX, moveY);
  const r = rules.playerRadius;
  const vx = mx * rules.maxSpeed, vy = my * rules.maxSpeed;
  const dt = 1 / rules.tickHz;
  let px = x + vx * dt, py = y + vy * dt;
  for (const o of obstacles) [px, py] = pushOut(o, px, py, r);
  px = Math.min(Math.max(px, r), rules.width - r);
  py = Math.min(Math.max(py, r), rules.height - r);
  return { x: Math.fround(px), y: Math.fround(py), vx: Math.fround(vx), vy: Math.fround(vy) };
}
