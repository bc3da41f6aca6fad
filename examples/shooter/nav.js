// Shortest paths for a player around the shooter's obstacles, for the
// page's autopilot (window.shooter.goTo: tests use it to bring two players
// together; a player could use it for click-to-move).
//
// The obstacles never change, so a Navigator builds a visibility graph once:
// every obstacle grown by the player's radius plus a margin, its corners
// (just outside it, inside the walls, and not inside another grown
// obstacle) as nodes, and an edge wherever the straight segment between
// two corners crosses no grown obstacle. A path from a position to a target
// joins both to that graph and runs Dijkstra over at most 54 nodes.
//
//   const nav = new Navigator(state.rules, state.obstacles);
//   const path = nav.path(me.x, me.y, x, y); // [{x, y}, …, {x, y} = target]

export class Navigator {
  // margin is added to the player's radius; it must exceed one step
  // (max_speed / tick_hz: 5 units at 60 Hz) so that a step past a corner
  // does not touch the obstacle.
  constructor(rules, obstacles, margin = 6) {
    const r = rules.playerRadius;
    this.lo = { x: r, y: r };
    this.hi = { x: rules.width - r, y: rules.height - r };
    const grow = (o, g) => ({ x0: o.x0 - g, y0: o.y0 - g, x1: o.x1 + g, y1: o.y1 + g });
    this.rects = obstacles.map((o) => grow(o, r + margin));
    this.hard = obstacles.map((o) => grow(o, r)); // where the player would touch it
    this.nodes = [];
    for (const q of this.rects) {
      for (const [x, y] of [[q.x0 - 1, q.y0 - 1], [q.x1 + 1, q.y0 - 1], [q.x0 - 1, q.y1 + 1], [q.x1 + 1, q.y1 + 1]]) {
        if (this.inside(x, y) && this.rects.every((o) => !contains(o, x, y))) this.nodes.push({ x, y });
      }
    }
    const n = this.nodes.length;
    this.dist = Array.from({ length: n }, () => new Float64Array(n).fill(Infinity));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const a = this.nodes[i], b = this.nodes[j];
        if (this.clear(a.x, a.y, b.x, b.y)) this.dist[i][j] = this.dist[j][i] = Math.hypot(b.x - a.x, b.y - a.y);
      }
    }
  }

  // inside reports whether (x, y) is within the walls (for a player's centre).
  inside(x, y) {
    return x >= this.lo.x && x <= this.hi.x && y >= this.lo.y && y <= this.hi.y;
  }

  // clear reports whether the segment from a to b crosses no grown
  // obstacle. A player may stand closer to an obstacle than the margin (a
  // spawn, a push): for an obstacle whose margin holds a or b the segment
  // only has to keep the player from touching it.
  clear(ax, ay, bx, by) {
    for (let i = 0; i < this.rects.length; i++) {
      let o = this.rects[i];
      if (contains(o, ax, ay) || contains(o, bx, by)) {
        o = this.hard[i];
        if (contains(o, ax, ay) || contains(o, bx, by)) continue; // already touching: let it get out
      }
      if (crosses(o, ax, ay, bx, by)) return false;
    }
    return true;
  }

  // path returns the waypoints of a shortest path from (x, y) to (tx, ty),
  // the target last; just [target] when the way is straight, and [] when
  // no path is found (the target is then out of reach).
  path(x, y, tx, ty) {
    tx = Math.min(Math.max(tx, this.lo.x), this.hi.x);
    ty = Math.min(Math.max(ty, this.lo.y), this.hi.y);
    if (this.clear(x, y, tx, ty)) return [{ x: tx, y: ty }];
    const nodes = this.nodes, n = nodes.length;
    // Dijkstra from the start over the corners; the target is node n.
    const d = new Float64Array(n + 1).fill(Infinity);
    const prev = new Int32Array(n + 1).fill(-1);
    const done = new Uint8Array(n + 1);
    const toTarget = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const p = nodes[i];
      if (this.clear(x, y, p.x, p.y)) d[i] = Math.hypot(p.x - x, p.y - y);
      toTarget[i] = this.clear(p.x, p.y, tx, ty) ? Math.hypot(tx - p.x, ty - p.y) : Infinity;
    }
    for (;;) {
      let u = -1;
      for (let i = 0; i <= n; i++) if (!done[i] && d[i] < Infinity && (u < 0 || d[i] < d[u])) u = i;
      if (u < 0) return [];
      if (u === n) break;
      done[u] = 1;
      for (let v = 0; v < n; v++) {
        const w = this.dist[u][v];
        if (!done[v] && d[u] + w < d[v]) { d[v] = d[u] + w; prev[v] = u; }
      }
      if (d[u] + toTarget[u] < d[n]) { d[n] = d[u] + toTarget[u]; prev[n] = u; }
    }
    const out = [{ x: tx, y: ty }];
    for (let i = prev[n]; i >= 0; i = prev[i]) out.push(nodes[i]);
    return out.reverse();
  }
}

// contains reports whether (x, y) is strictly inside rectangle o.
function contains(o, x, y) {
  return x > o.x0 && x < o.x1 && y > o.y0 && y < o.y1;
}

// crosses reports whether the segment from a to b passes through the
// interior of rectangle o (Liang–Barsky clipping; touching is not crossing).
function crosses(o, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay;
  let t0 = 0, t1 = 1;
  for (const [p, q] of [[-dx, ax - o.x0], [dx, o.x1 - ax], [-dy, ay - o.y0], [dy, o.y1 - ay]]) {
    if (p === 0) {
      if (q <= 0) return false; // parallel to this side, outside or on it
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 >= t1) return false;
  }
  return true;
}
