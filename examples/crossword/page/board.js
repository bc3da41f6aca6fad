// Drawing the crossword: the board (a camera over the world's cells, the
// chunks the page receives, the player's pending tiles and cursor) and the
// overview map. No networking here: page.js hands in what to draw.

/** The colours of the board. */
export const colours = {
  background: "#0d1119",
  cell: "#151b27",
  grid: "#1e2636",
  premium: { d: "#172a3d", t: "#1a3459", D: "#3b2238", T: "#4d2124" },
  premiumText: { d: "#5d89ad", t: "#7ea3d8", D: "#b97a9f", T: "#d47f76" },
  tile: "#eadfc4",
  tileText: "#1d2330",
  own: "#f5b942",
  recent: "#4ad6ff",
  pending: "#ffe7a3",
  pendingEdge: "#f5b942",
  cursor: "#f5b942",
  view: "#2f5d7c",
  centre: "#c9a227",
};

/** Labels of the premium squares, by the Rules.premium character. */
const premiumLabel = { d: "2L", t: "3L", D: "2W", T: "3W" };

/**
 * Camera maps world cells to the canvas (CSS pixels): (x, y) is the world
 * point at the canvas centre (in cells, fractional), z the size of a cell
 * in pixels.
 */
export class Camera {
  constructor() {
    this.x = 0;
    this.y = 0;
    this.z = 28;
    this.w = 0;
    this.h = 0;
  }
  /** toScreen returns the canvas point of world point (x, y) (a cell's top-left corner for integers). */
  toScreen(x, y) {
    return { x: (x - this.x) * this.z + this.w / 2, y: (y - this.y) * this.z + this.h / 2 };
  }
  /** toWorld returns the world point under canvas point (px, py), fractional. */
  toWorld(px, py) {
    return { x: this.x + (px - this.w / 2) / this.z, y: this.y + (py - this.h / 2) / this.z };
  }
  /** toCell returns the cell under canvas point (px, py). */
  toCell(px, py) {
    const p = this.toWorld(px, py);
    return { x: Math.floor(p.x), y: Math.floor(p.y) };
  }
  /** visible returns the cells on the canvas: x in [x0, x1), y in [y0, y1). */
  visible() {
    const a = this.toWorld(0, 0), b = this.toWorld(this.w, this.h);
    return { x0: Math.floor(a.x), y0: Math.floor(a.y), x1: Math.ceil(b.x), y1: Math.ceil(b.y) };
  }
}

/** premiumAt returns the premium character of cell (x, y): '.', 'd', 't', 'D' or 'T'. */
export function premiumAt(rules, x, y) {
  const o = rules.premiumOffset;
  return rules.premium[((y + o) % 15) * 15 + ((x + o) % 15)] ?? ".";
}

/** letterValue returns the points of letter ('a'..'z'). */
export function letterValue(rules, letter) {
  return rules?.letterValues[letter.charCodeAt(0) - 97] ?? 0;
}

/**
 * drawBoard draws the visible part of the world on ctx (CSS pixel
 * transform set). scene holds:
 *   rules, chunkAt(cx, cy) → the Chunk message of chunk (cx, cy) | undefined,
 *   myNumber, nowMs (server time), recentMs (how long a tile counts as recent),
 *   pending (Map "x,y" → { x, y, letter }), cursor ({ x, y } | undefined), dir ("across" | "down"),
 *   view (the player's view on the server: what it receives) | undefined.
 */
export function drawBoard(ctx, cam, scene) {
  const { rules } = scene;
  const z = cam.z;
  ctx.fillStyle = colours.background;
  ctx.fillRect(0, 0, cam.w, cam.h);
  const v = cam.visible();
  const x0 = Math.max(0, v.x0), y0 = Math.max(0, v.y0);
  const x1 = Math.min(rules.worldSize, v.x1), y1 = Math.min(rules.worldSize, v.y1);
  if (x1 <= x0 || y1 <= y0) return;
  const tl = cam.toScreen(x0, y0);
  ctx.fillStyle = colours.cell;
  ctx.fillRect(tl.x, tl.y, (x1 - x0) * z, (y1 - y0) * z);

  // Premium squares (when they are big enough to matter) and the centre.
  if (z >= 6) {
    const labels = z >= 22;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.font = `600 ${Math.round(z * 0.3)}px system-ui, sans-serif`;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const p = premiumAt(rules, x, y);
        if (p === ".") continue;
        const s = cam.toScreen(x, y);
        ctx.fillStyle = colours.premium[p];
        ctx.fillRect(s.x, s.y, z, z);
        if (labels) {
          ctx.fillStyle = colours.premiumText[p];
          ctx.fillText(premiumLabel[p], s.x + z / 2, s.y + z / 2 + 1);
        }
      }
    }
  }
  if (rules.centre >= x0 && rules.centre < x1 && rules.centre >= y0 && rules.centre < y1) {
    const s = cam.toScreen(rules.centre + 0.5, rules.centre + 0.5);
    star(ctx, s.x, s.y, Math.max(3, z * 0.36), colours.centre);
  }

  // The grid: cells when they are big enough, chunks always.
  ctx.lineWidth = 1;
  if (z >= 8) {
    ctx.strokeStyle = colours.grid;
    ctx.beginPath();
    for (let x = x0; x <= x1; x++) {
      const s = cam.toScreen(x, y0);
      ctx.moveTo(Math.round(s.x) + 0.5, tl.y);
      ctx.lineTo(Math.round(s.x) + 0.5, tl.y + (y1 - y0) * z);
    }
    for (let y = y0; y <= y1; y++) {
      const s = cam.toScreen(x0, y);
      ctx.moveTo(tl.x, Math.round(s.y) + 0.5);
      ctx.lineTo(tl.x + (x1 - x0) * z, Math.round(s.y) + 0.5);
    }
    ctx.stroke();
  }
  const cs = rules.chunkSize;
  ctx.strokeStyle = "#27324a";
  ctx.beginPath();
  for (let x = Math.ceil(x0 / cs) * cs; x <= x1; x += cs) {
    const s = cam.toScreen(x, y0);
    ctx.moveTo(Math.round(s.x) + 0.5, tl.y);
    ctx.lineTo(Math.round(s.x) + 0.5, tl.y + (y1 - y0) * z);
  }
  for (let y = Math.ceil(y0 / cs) * cs; y <= y1; y += cs) {
    const s = cam.toScreen(x0, y);
    ctx.moveTo(tl.x, Math.round(s.y) + 0.5);
    ctx.lineTo(tl.x + (x1 - x0) * z, Math.round(s.y) + 0.5);
  }
  ctx.stroke();

  // What the server sends this player: its view, dashed.
  if (scene.view !== undefined && scene.view.w > 0) {
    const a = cam.toScreen(scene.view.x, scene.view.y);
    ctx.setLineDash([8, 6]);
    ctx.strokeStyle = colours.view;
    ctx.lineWidth = 2;
    ctx.strokeRect(a.x, a.y, scene.view.w * z, scene.view.h * z);
    ctx.setLineDash([]);
  }

  // The tiles on the board, chunk by chunk.
  for (let cy = Math.floor(y0 / cs); cy * cs < y1; cy++) {
    for (let cx = Math.floor(x0 / cs); cx * cs < x1; cx++) {
      const chunk = scene.chunkAt(cx, cy);
      if (chunk === undefined) continue;
      for (const [key, placed] of Object.entries(chunk.placed)) {
        const i = Number(key), x = cx * cs + (i % cs), y = cy * cs + Math.floor(i / cs);
        if (x < x0 || x >= x1 || y < y0 || y >= y1 || chunk.letters[i] === 0) continue;
        const own = placed.player === scene.myNumber && scene.myNumber !== 0;
        const age = scene.nowMs - Number(placed.unixMs);
        const recent = !own && age < scene.recentMs ? 1 - Math.max(0, age) / scene.recentMs : 0;
        drawTile(ctx, cam, x, y, String.fromCharCode(chunk.letters[i]), rules, own ? colours.own : colours.tile, recent);
      }
    }
  }

  // The player's pending tiles and its cursor.
  for (const p of scene.pending.values()) {
    drawTile(ctx, cam, p.x, p.y, p.letter, scene.rules, colours.pending, 0, true);
  }
  if (scene.cursor !== undefined) {
    const s = cam.toScreen(scene.cursor.x, scene.cursor.y);
    ctx.strokeStyle = colours.cursor;
    ctx.lineWidth = Math.max(2, z * 0.08);
    ctx.strokeRect(s.x + 1, s.y + 1, z - 2, z - 2);
    ctx.fillStyle = colours.cursor;
    ctx.beginPath(); // the typing direction
    const m = z / 2, a = Math.max(4, z * 0.22);
    if (scene.dir === "across") {
      ctx.moveTo(s.x + z + a * 0.9, s.y + m);
      ctx.lineTo(s.x + z + 2, s.y + m - a / 2);
      ctx.lineTo(s.x + z + 2, s.y + m + a / 2);
    } else {
      ctx.moveTo(s.x + m, s.y + z + a * 0.9);
      ctx.lineTo(s.x + m - a / 2, s.y + z + 2);
      ctx.lineTo(s.x + m + a / 2, s.y + z + 2);
    }
    ctx.fill();
  }
}

/** drawTile draws one letter tile on cell (x, y); glow in 0..1 rings it as another player's recent tile. */
function drawTile(ctx, cam, x, y, letter, rules, fill, glow, pending = false) {
  const z = cam.z;
  const s = cam.toScreen(x, y);
  const inset = Math.max(0.5, z * 0.05);
  if (glow > 0) {
    ctx.fillStyle = colours.recent;
    ctx.globalAlpha = 0.25 + 0.55 * glow;
    ctx.fillRect(s.x - inset, s.y - inset, z + 2 * inset, z + 2 * inset);
    ctx.globalAlpha = 1;
  }
  ctx.fillStyle = fill;
  ctx.globalAlpha = pending ? 0.85 : 1;
  roundRect(ctx, s.x + inset, s.y + inset, z - 2 * inset, z - 2 * inset, Math.min(5, z * 0.12));
  ctx.fill();
  ctx.globalAlpha = 1;
  if (pending) {
    ctx.setLineDash([4, 3]);
    ctx.strokeStyle = colours.pendingEdge;
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.setLineDash([]);
  }
  if (z < 9) return;
  ctx.fillStyle = colours.tileText;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.font = `700 ${Math.round(z * 0.58)}px system-ui, sans-serif`;
  ctx.fillText(letter.toUpperCase(), s.x + z / 2, s.y + z / 2 + z * 0.03);
  if (z >= 24) {
    ctx.font = `600 ${Math.round(z * 0.24)}px system-ui, sans-serif`;
    ctx.textAlign = "right";
    ctx.textBaseline = "alphabetic";
    ctx.fillText(String(letterValue(rules, letter)), s.x + z - inset - 2, s.y + z - inset - 2);
  }
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

function star(ctx, x, y, r, colour) {
  ctx.fillStyle = colour;
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + (i * Math.PI) / 5, rr = i % 2 === 0 ? r : r * 0.45;
    ctx.lineTo(x + Math.cos(a) * rr, y + Math.sin(a) * rr);
  }
  ctx.closePath();
  ctx.fill();
}

/**
 * overviewFrame chooses the part of the world the overview map shows: the
 * square around every region with tiles or viewers, the camera's view and
 * the centre, at least minRegions regions wide, inside the world. It
 * returns { x, y, size } in cells.
 */
export function overviewFrame(rules, overview, cam, minRegions = 8) {
  const rs = overview.regionSize, n = overview.regionsPerSide;
  let x0 = rules.centre, y0 = rules.centre, x1 = rules.centre + 1, y1 = rules.centre + 1;
  const add = (x, y, w, h) => {
    x0 = Math.min(x0, x); y0 = Math.min(y0, y);
    x1 = Math.max(x1, x + w); y1 = Math.max(y1, y + h);
  };
  for (const m of [overview.tiles, overview.viewers]) {
    for (const k of Object.keys(m)) {
      const i = Number(k);
      add((i % n) * rs, Math.floor(i / n) * rs, rs, rs);
    }
  }
  const v = cam.visible();
  add(v.x0, v.y0, v.x1 - v.x0, v.y1 - v.y0);
  const size = Math.min(rules.worldSize, Math.max(minRegions * rs, x1 - x0, y1 - y0) * 1.15);
  const clamp = (c) => Math.min(rules.worldSize - size, Math.max(0, c - size / 2));
  return { x: clamp((x0 + x1) / 2), y: clamp((y0 + y1) / 2), size };
}

/**
 * drawOverview draws the overview map on ctx (w × h CSS pixels, square):
 * regions with tiles (brighter for more), regions where players look
 * (dots, bigger for more), the camera's view and the centre. frame is
 * overviewFrame's answer.
 */
export function drawOverview(ctx, w, h, rules, overview, cam, frame) {
  const k = Math.min(w, h) / frame.size;
  const px = (x) => (x - frame.x) * k, py = (y) => (y - frame.y) * k;
  ctx.fillStyle = "#0a0d14";
  ctx.fillRect(0, 0, w, h);
  const rs = overview.regionSize, n = overview.regionsPerSide;
  ctx.strokeStyle = "#182030";
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let c = Math.ceil(frame.x / rs) * rs; c <= frame.x + frame.size; c += rs) {
    ctx.moveTo(Math.round(px(c)) + 0.5, 0); ctx.lineTo(Math.round(px(c)) + 0.5, h);
  }
  for (let c = Math.ceil(frame.y / rs) * rs; c <= frame.y + frame.size; c += rs) {
    ctx.moveTo(0, Math.round(py(c)) + 0.5); ctx.lineTo(w, Math.round(py(c)) + 0.5);
  }
  ctx.stroke();
  for (const [key, count] of Object.entries(overview.tiles)) {
    const i = Number(key), x = (i % n) * rs, y = Math.floor(i / n) * rs;
    const a = Math.min(1, 0.25 + Math.log10(1 + count) / 3);
    ctx.fillStyle = `rgba(234, 223, 196, ${a.toFixed(3)})`;
    ctx.fillRect(px(x) + 1, py(y) + 1, Math.max(2, rs * k - 2), Math.max(2, rs * k - 2));
  }
  for (const [key, count] of Object.entries(overview.viewers)) {
    const i = Number(key), x = (i % n + 0.5) * rs, y = (Math.floor(i / n) + 0.5) * rs;
    ctx.fillStyle = colours.recent;
    ctx.beginPath();
    ctx.arc(px(x), py(y), Math.min(rs * k * 0.45, 2.5 + 1.5 * Math.log2(count)), 0, 2 * Math.PI);
    ctx.fill();
  }
  star(ctx, px(rules.centre + 0.5), py(rules.centre + 0.5), 4, colours.centre);
  const v = cam.visible();
  ctx.strokeStyle = colours.own;
  ctx.lineWidth = 1.5;
  ctx.strokeRect(px(v.x0), py(v.y0), Math.max(3, (v.x1 - v.x0) * k), Math.max(3, (v.y1 - v.y0) * k));
}
