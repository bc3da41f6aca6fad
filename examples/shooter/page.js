// The shooter's browser client (examples/shooter/README.md has the rules and
// the design). It joins a room over /ws with the SDK, sends one input per
// tick period, predicts its own player with the server's exact movement
// function (predict.js) and reconciles on every authoritative frame, draws
// the other players interpolated a little in the past and projectiles
// from their spawn tick, and shows RTT, input-to-state latency and the
// scoreboard. The replay button plays the room's last 10 seconds again from
// the server's replay ring (page.go, ReplayPath). window.shooter is a small
// hook for tests (and the curious).
import { connect, Predictor, Interpolator, Replica, fromBinary, v1, lerpNumber, lerpRecord } from "/sdk/tickwire.js";
import { shooter as pb } from "/sdk/examples.js";
import { step } from "./predict.js";
import { Navigator } from "./nav.js";

const STATE_TYPE = "tickwire.shooter.v1.State";
const params = new URLSearchParams(location.search);
const game = params.get("game") || "shooter";

const canvas = document.getElementById("world");
const ctx = canvas.getContext("2d");
const overlay = document.getElementById("overlay");
const scoreboard = document.getElementById("scoreboard");
const bannerEl = document.getElementById("banner");

// What tests read (see examples/demo/shooter_browser_test.go).
const stats = { frames: 0, draws: 0, inputsSent: 0, rejoins: 0, disconnects: 0, corrections: 0, rttMs: NaN, inputP50Ms: NaN };
const hook = (window.shooter = { ready: false, error: "", game, playerId: "", roomId: "", joinCode: "", stats, banner: "" });

// --- banners -------------------------------------------------------------

let bannerKind = "";
function showBanner(text, kind, link) {
  bannerEl.textContent = text;
  if (link !== undefined) {
    const a = document.createElement("a");
    a.href = link.href;
    a.textContent = link.text;
    bannerEl.append(document.createElement("br"), a);
  }
  bannerEl.className = `panel show ${kind}`;
  bannerKind = kind;
  hook.banner = text;
}
function hideBanner(kind) {
  if (kind !== undefined && bannerKind !== kind) return;
  bannerEl.className = "panel";
  bannerKind = "";
  hook.banner = "";
}
function fatal(text) {
  showBanner(text, "fatal", { href: "/examples/rooms/", text: "room browser" });
  overlay.textContent = text;
}

// --- joining ---------------------------------------------------------------

// join takes a seat as the query asks: ?code= (join code, through the
// lobby), ?room= (a public room, or a rejoin), ?create=1 (a new public
// room; with &private=1 a private one with a join code), else quick-join.
async function join(client) {
  const schemas = { state: pb.StateSchema, input: pb.InputSchema };
  const code = params.get("code");
  let req;
  if (code) {
    const r = await client.lobby({ op: { case: "join", value: { joinCode: code } } });
    hook.joinCode = code.toUpperCase();
    req = { roomId: r.grant.roomId, seat: r.grant.seat };
  } else if (params.get("room")) {
    req = { roomId: params.get("room") };
  } else if (params.get("create") === "1" && params.get("private") === "1") {
    const r = await client.lobby({ op: { case: "createRoom", value: { game, private: true } } });
    hook.joinCode = r.grant.joinCode;
    req = { roomId: r.grant.roomId, seat: r.grant.seat };
  } else if (params.get("create") === "1") {
    req = { game, create: true };
  } else {
    req = { game };
  }
  const room = await client.join(req, schemas);
  // Frames are handled in later tasks: leaving now decodes none of another game's.
  if (room.joined.stateType !== STATE_TYPE) {
    await room.leave();
    throw new Error(`room ${room.id} plays ${room.joined.game}, not the shooter`);
  }
  return room;
}

let client, room;
try {
  client = await connect("/ws");
  room = await join(client);
} catch (e) {
  const there = e?.elsewhere?.(location);
  if (there !== undefined) {
    // Cluster mode: the room runs on another node; the player holds a
    // place there. Play there.
    location.assign(there);
  } else {
    hook.error = String(e?.message ?? e);
    fatal(`Could not join: ${hook.error}`);
    console.error("shooter:", e);
  }
}
if (room !== undefined) start();

// --- the game ------------------------------------------------------------

function start() {
  const myId = client.playerId;
  Object.assign(hook, { client, room, playerId: myId, roomId: room.id });
  // The address to share: reloading or opening it in another tab joins this room.
  const share = new URLSearchParams();
  if (game !== "shooter") share.set("game", game);
  if (hook.joinCode) share.set("code", hook.joinCode);
  else share.set("room", room.id);
  history.replaceState(null, "", `${location.pathname}?${share}`);

  let rules, obstacles, nav; // from the first snapshot; they never change
  const periodMs = 1000 / room.joined.tickHz;
  // The server's tick grid: tick t was due at tickGrid + t·periodMs (server
  // ms). A frame carries when its tick actually started, a little after it
  // was due, so the smallest start − tick·period of recent frames is the
  // best estimate.
  let tickGrid;
  const gridSamples = [];
  let rejoining = false;

  // The local player: the authoritative state plus the inputs not yet
  // acknowledged, stepped exactly as the server steps them.
  const predictor = new Predictor({
    apply: (p, input) => {
      if (p.hp <= 0 || rules === undefined) return p; // the server does not move the dead
      const s = step(rules, obstacles, p.x, p.y, input.moveX, input.moveY);
      p.x = s.x; p.y = s.y; p.vx = s.vx; p.vy = s.vy;
      return p;
    },
    clone: (p) => ({ ...p }),
  });
  // A correction (another player pushed us, or jitter put two inputs in one
  // tick) is drawn as an offset that fades out rather than a jump.
  let corr = { x: 0, y: 0 };

  // Everyone else, drawn a few ticks in the past between two frames.
  const lerpPlayer = (a, b, t) => ({ ...b, x: lerpNumber(a.x, b.x, t), y: lerpNumber(a.y, b.y, t), aim: lerpAngle(a.aim, b.aim, t) });
  const others = new Interpolator({ delay: 50, lerp: (a, b, t) => lerpRecord(a, b, t, lerpPlayer) });

  const latencies = []; // input-to-state samples for the p50
  room.on("latency", ({ ms }) => {
    latencies.push(ms);
    if (latencies.length > 240) latencies.shift();
  });

  room.on("state", () => {
    const st = room.state;
    stats.frames++;
    if (st.rules !== undefined) {
      if (nav === undefined) nav = new Navigator(st.rules, st.obstacles);
      rules = st.rules;
      obstacles = st.obstacles;
      others.delay = Math.max(50, 3000 / rules.tickHz);
    }
    gridSamples.push(room.replica.serverTimeMs - room.tick * periodMs);
    if (gridSamples.length > 120) gridSamples.shift();
    tickGrid = Math.min(...gridSamples);
    const mine = st.players[myId];
    if (mine !== undefined) {
      const before = predictor.state;
      const after = predictor.reconcile(mine, room.lastInputSeq);
      if (before !== undefined && (before.x !== after.x || before.y !== after.y)) {
        stats.corrections++;
        const cx = corr.x + before.x - after.x, cy = corr.y + before.y - after.y;
        corr = Math.hypot(cx, cy) < 80 ? { x: cx, y: cy } : { x: 0, y: 0 }; // a respawn jumps
      }
      hook.ready = true;
    }
    const copy = {};
    for (const [id, p] of Object.entries(st.players)) copy[id] = { ...p };
    others.push(tickGrid + room.tick * periodMs, copy); // when its tick was due: no start jitter
  });
  room.on("rejoined", () => {
    // A fresh snapshot follows and input seqs restart at 1.
    rejoining = false;
    predictor.reset();
    others.clear();
    corr = { x: 0, y: 0 };
    stats.rejoins++;
    hideBanner("warn");
  });
  room.on("left", (l) => fatal(`You left the room: ${l.reason || "the seat is gone"}`));
  client.on("disconnect", (e) => {
    rejoining = true;
    stats.disconnects++;
    showBanner(`Connection lost (${e.code}) — reconnecting… (attempt ${e.attempt})`, "warn");
  });
  client.on("reconnect", () => showBanner("Reconnected — rejoining the room…", "warn"));
  client.on("close", (e) => fatal(`Disconnected: ${e.code} ${e.reason}`));
  client.on("error", (e) => console.warn("shooter: server error:", e.message));

  // The last drawn frame's camera (CSS px): aiming reads it.
  const view = { scale: 1, camX: 0, camY: 0, w: 0, h: 0, self: undefined };
  const toScreen = (x, y) => ({ x: (x - view.camX) * view.scale + view.w / 2, y: (y - view.camY) * view.scale + view.h / 2 });

  // --- input ---------------------------------------------------------------

  const keys = new Set(); // held
  const tapped = new Set(); // pressed since the last input: a tap shorter than a tick still counts
  let mouse; // CSS px
  let mouseDown = false, clicked = false;
  let weapon = pb.Weapon.BLASTER;
  let aim = 0;
  let pilot; // the autopilot's target, {x, y}
  // By physical key (e.code), so that WASD sits where it does on QWERTY on any layout.
  const keyNames = { KeyW: "w", KeyA: "a", KeyS: "s", KeyD: "d", ArrowUp: "w", ArrowLeft: "a", ArrowDown: "s", ArrowRight: "d", Space: " ", Digit1: "1", Digit2: "2" };
  const keyName = (e) => keyNames[e.code];
  addEventListener("keydown", (e) => {
    const k = keyName(e);
    if (k === undefined || e.ctrlKey || e.metaKey || e.altKey) return;
    e.preventDefault();
    if (k === "1") weapon = pb.Weapon.BLASTER;
    if (k === "2") weapon = pb.Weapon.CANNON;
    keys.add(k);
    tapped.add(k);
  });
  addEventListener("keyup", (e) => keys.delete(keyName(e)));
  addEventListener("blur", () => {
    keys.clear();
    mouseDown = false;
  });
  canvas.addEventListener("mousemove", (e) => (mouse = { x: e.clientX, y: e.clientY }));
  canvas.addEventListener("mousedown", (e) => {
    if (e.button !== 0) return;
    mouse = { x: e.clientX, y: e.clientY };
    mouseDown = clicked = true;
  });
  addEventListener("mouseup", (e) => e.button === 0 && (mouseDown = false));

  const held = (k) => keys.has(k) || tapped.has(k);

  // pilotMove steers towards the autopilot's target along a shortest path,
  // slowing down for the last step so that it stops on the target.
  function pilotMove(p) {
    const path = nav.path(p.x, p.y, pilot.x, pilot.y);
    while (path.length > 1 && Math.hypot(path[0].x - p.x, path[0].y - p.y) < 0.5) path.shift();
    if (path.length === 0) return [0, 0];
    const dx = path[0].x - p.x, dy = path[0].y - p.y, d = Math.hypot(dx, dy);
    if (d < 1e-3) return [0, 0];
    const k = path.length === 1 ? Math.min(1, d / (rules.maxSpeed / rules.tickHz)) : 1;
    return [(dx / d) * k, (dy / d) * k];
  }

  function currentInput() {
    const p = predictor.state;
    let mx = (held("d") ? 1 : 0) - (held("a") ? 1 : 0);
    let my = (held("s") ? 1 : 0) - (held("w") ? 1 : 0);
    if (pilot !== undefined && p !== undefined && nav !== undefined && p.hp > 0) [mx, my] = pilotMove(p);
    if (mouse !== undefined && view.self !== undefined) aim = Math.atan2(mouse.y - view.self.y, mouse.x - view.self.x);
    const input = { moveX: mx, moveY: my, aim, fire: mouseDown || clicked || held(" "), weapon };
    tapped.clear();
    clicked = false;
    return input;
  }

  // One input per tick period. The server applies the inputs that arrived
  // since its last tick at the start of the next one, so an input that
  // arrives just before or after a tick starts may share a tick with its
  // neighbour (the server then moves once for two predicted steps, and once
  // more in the tick after with none): a misprediction. So once the clock
  // offset and a frame are known, the sends are phase-locked to the
  // server's ticks, timed to arrive half a period before one starts, which
  // leaves half a period of margin for jitter either way.
  let nextAt = performance.now();
  function scheduleNext(now) {
    let free = nextAt + periodMs;
    if (now - free > 10 * periodMs) free = now + periodMs; // throttled (hidden tab): skip the missed periods
    if (tickGrid === undefined || client.rtt.count === 0) return free;
    const oneWay = client.rtt.min / 2;
    const serverAt = client.serverNow() + (free - now); // server time at the free-running deadline
    // The tick whose start an input sent at about that time would precede.
    const k = Math.round((serverAt + oneWay + periodMs / 2 - tickGrid) / periodMs);
    const sendAt = tickGrid + k * periodMs - periodMs / 2 - oneWay;
    return now + (sendAt - client.serverNow());
  }
  function inputLoop() {
    const now = performance.now();
    if (now >= nextAt) {
      if (!rejoining && !room.closed) {
        const input = currentInput();
        const seq = room.sendInput(input);
        if (seq > 0) {
          predictor.input(seq, input);
          stats.inputsSent++;
        }
      }
      nextAt = scheduleNext(now);
    }
    setTimeout(inputLoop, Math.max(0, nextAt - performance.now()));
  }
  inputLoop();

  // --- drawing -------------------------------------------------------------

  let lastDraw = performance.now();

  function draw(now) {
    const dt = now - lastDraw;
    lastDraw = now;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#0b0e14";
    ctx.fillRect(0, 0, w, h);
    if (replay.active && replayReplica?.isReady && rules !== undefined) {
      drawReplay(w, h);
      replay.draws++;
      stats.draws++;
      requestAnimationFrame(draw);
      return;
    }
    const st = room.state;
    const self = predictor.state ?? st.players?.[myId]; // none yet after a rejoin
    if (!room.replica.isReady || rules === undefined || tickGrid === undefined) {
      requestAnimationFrame(draw);
      return;
    }
    if (self === undefined) {
      // Not in the state: a spectator (of `tickwire replay -serve`), or
      // between a rejoin and its snapshot. Show the whole world.
      hook.spectating = true;
      drawSpectator(st, w, h);
      stats.draws++;
      requestAnimationFrame(draw);
      return;
    }
    const fade = Math.exp(-dt / 60);
    corr = { x: corr.x * fade, y: corr.y * fade };
    const me = { ...self, x: self.x + corr.x, y: self.y + corr.y, aim };
    Object.assign(view, { scale: Math.min(1.5, Math.max(0.45, Math.min(w, h) / 900)), camX: me.x, camY: me.y, w, h });
    view.self = toScreen(me.x, me.y);

    ctx.save();
    ctx.translate(w / 2, h / 2);
    ctx.scale(view.scale, view.scale);
    ctx.translate(-view.camX, -view.camY);
    drawWorld(st);
    const renderTime = client.serverNow() - others.delay;
    drawProjectiles(st, (renderTime - tickGrid) / periodMs);
    const players = others.sample(client.serverNow()) ?? st.players;
    for (const [id, p] of Object.entries(players)) {
      if (id !== myId) drawPlayer(id, p, p.bot ? "#e0605e" : "#4aa3ff");
    }
    drawPlayer(myId, me, "#f5b942", "you");
    ctx.restore();
    stats.draws++;
    requestAnimationFrame(draw);
  }

  // --- replay: the room's last seconds again --------------------------------

  // The server keeps the room's whole state of the last seconds as state
  // frames (a snapshot, then deltas); the page applies them to a replica of
  // its own, one tick per period, and draws that instead of the live game,
  // which goes on meanwhile (inputs are still sent).
  const replayBtn = document.getElementById("replay");
  const replayingEl = document.getElementById("replaying");
  const replay = { active: false, done: 0, frames: 0, applied: 0, firstTick: 0, lastTick: 0, tick: 0, liveTick: 0, draws: 0, error: "" };
  let replayReplica;

  async function startReplay() {
    if (replay.active || rules === undefined) return;
    replayBtn.disabled = true;
    try {
      const res = await fetch(`${location.pathname}replay?room=${encodeURIComponent(room.id)}`, { cache: "no-store" });
      if (!res.ok) throw new Error(`${res.status} ${(await res.text()).trim()}`);
      const buf = new Uint8Array(await res.arrayBuffer());
      const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const frames = [];
      for (let i = 0; i + 4 <= buf.length; ) {
        const n = dv.getUint32(i);
        const env = fromBinary(v1.EnvelopeSchema, buf.subarray(i + 4, i + 4 + n));
        i += 4 + n;
        if (env.msg.case === "state") frames.push(env.msg.value);
      }
      if (frames.length === 0) throw new Error("nothing recorded yet");
      replayReplica = new Replica(pb.StateSchema, room.id);
      const first = Number(frames[0].tick), last = Number(frames[frames.length - 1].tick);
      Object.assign(replay, { active: true, frames: frames.length, applied: 0, firstTick: first, lastTick: last, tick: first, liveTick: room.tick, draws: 0, error: "" });
      replayingEl.className = "panel show";
      let next = 0;
      let t = first;
      const timer = setInterval(() => {
        while (next < frames.length && Number(frames[next].tick) <= t) {
          replayReplica.apply(frames[next++]);
          replay.applied++;
        }
        replay.tick = t;
        replayingEl.textContent = `REPLAY · ${((last - t) / rules.tickHz).toFixed(1)} s ago · tick ${t}`;
        t++;
        if (next >= frames.length) {
          clearInterval(timer);
          stopReplay();
        }
      }, periodMs);
    } catch (e) {
      replay.error = String(e?.message ?? e);
      showBanner(`Replay failed: ${replay.error}`, "warn");
      setTimeout(() => hideBanner("warn"), 3000);
      replayBtn.disabled = false;
    }
  }
  function stopReplay() {
    replay.active = false;
    replay.done++;
    replayingEl.className = "panel";
    replayBtn.disabled = false;
  }
  replayBtn.addEventListener("click", startReplay);

  // drawReplay draws the replica of the past, the camera on this player
  // when it was there (else the world's middle), everyone as they were.
  function drawReplay(w, h) {
    const st = replayReplica.state;
    const me = st.players[myId];
    const scale = Math.min(1.5, Math.max(0.45, Math.min(w, h) / 900));
    const cx = me?.x ?? rules.width / 2, cy = me?.y ?? rules.height / 2;
    ctx.save();
    ctx.translate(w / 2, h / 2);
    ctx.scale(scale, scale);
    ctx.translate(-cx, -cy);
    drawWorld(st);
    drawProjectiles(st, replay.tick);
    for (const [id, p] of Object.entries(st.players)) {
      if (id !== myId) drawPlayer(id, p, p.bot ? "#e0605e" : "#4aa3ff");
    }
    if (me !== undefined) drawPlayer(myId, me, "#f5b942", "you");
    ctx.restore();
  }

  // drawSpectator draws the whole world, fitted to the page.
  function drawSpectator(st, w, h) {
    const scale = Math.min(w / rules.width, h / rules.height);
    view.scale = scale;
    ctx.save();
    ctx.translate(w / 2, h / 2);
    ctx.scale(scale, scale);
    ctx.translate(-rules.width / 2, -rules.height / 2);
    drawWorld(st);
    drawProjectiles(st, room.tick);
    for (const [id, p] of Object.entries(st.players)) drawPlayer(id, p, p.bot ? "#e0605e" : "#4aa3ff");
    ctx.restore();
  }

  function drawWorld(st) {
    ctx.fillStyle = "#141a24";
    ctx.fillRect(0, 0, rules.width, rules.height);
    ctx.lineWidth = 1 / view.scale;
    ctx.strokeStyle = "#1c2431";
    ctx.beginPath();
    for (let x = 100; x < rules.width; x += 100) { ctx.moveTo(x, 0); ctx.lineTo(x, rules.height); }
    for (let y = 100; y < rules.height; y += 100) { ctx.moveTo(0, y); ctx.lineTo(rules.width, y); }
    ctx.stroke();
    ctx.strokeStyle = "#263245"; // interest cells
    ctx.beginPath();
    for (let x = rules.cellSize; x < rules.width; x += rules.cellSize) { ctx.moveTo(x, 0); ctx.lineTo(x, rules.height); }
    for (let y = rules.cellSize; y < rules.height; y += rules.cellSize) { ctx.moveTo(0, y); ctx.lineTo(rules.width, y); }
    ctx.stroke();
    if (st.view !== undefined) { // what this player receives
      ctx.setLineDash([12, 10]);
      ctx.strokeStyle = "#2f5d7c";
      ctx.strokeRect(st.view.x0, st.view.y0, st.view.x1 - st.view.x0, st.view.y1 - st.view.y0);
      ctx.setLineDash([]);
    }
    ctx.lineWidth = 4;
    ctx.strokeStyle = "#4c566a";
    ctx.strokeRect(0, 0, rules.width, rules.height);
    for (const o of obstacles) {
      ctx.fillStyle = "#3b4252";
      ctx.fillRect(o.x0, o.y0, o.x1 - o.x0, o.y1 - o.y0);
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#4c566a";
      ctx.strokeRect(o.x0, o.y0, o.x1 - o.x0, o.y1 - o.y0);
    }
  }

  // A projectile never changes once fired: at tick t it is at
  // (x, y) + (vx, vy)·(t − tick)/tick_hz, until its range runs out.
  function drawProjectiles(st, t) {
    for (const p of Object.values(st.projectiles)) {
      const s = (t - Number(p.tick)) / rules.tickHz;
      const spec = rules.weapons[p.weapon - 1];
      if (s < 0 || (spec !== undefined && Math.hypot(p.vx, p.vy) * s > spec.range)) continue;
      const x = p.x + p.vx * s, y = p.y + p.vy * s;
      const cannon = p.weapon === pb.Weapon.CANNON;
      const mine = p.owner === myId;
      ctx.strokeStyle = mine ? "rgba(245,185,66,.45)" : "rgba(255,140,120,.45)";
      ctx.lineWidth = cannon ? 6 : 3;
      ctx.beginPath();
      ctx.moveTo(x - p.vx * 0.02, y - p.vy * 0.02);
      ctx.lineTo(x, y);
      ctx.stroke();
      ctx.fillStyle = mine ? "#ffe08a" : "#ffb4a8";
      ctx.beginPath();
      ctx.arc(x, y, cannon ? 8 : 4, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  function drawPlayer(id, p, color, label) {
    const r = rules.playerRadius;
    const dead = p.hp <= 0;
    ctx.globalAlpha = dead ? 0.45 : 1;
    ctx.fillStyle = dead ? "#59606e" : color;
    ctx.beginPath();
    ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
    ctx.fill();
    if (!dead) { // the barrel
      ctx.strokeStyle = color;
      ctx.lineWidth = p.weapon === pb.Weapon.CANNON ? 10 : 6;
      ctx.beginPath();
      ctx.moveTo(p.x, p.y);
      ctx.lineTo(p.x + Math.cos(p.aim) * (r + 12), p.y + Math.sin(p.aim) * (r + 12));
      ctx.stroke();
    } else {
      ctx.strokeStyle = "#c94f4f";
      ctx.lineWidth = 4;
      ctx.beginPath();
      ctx.moveTo(p.x - 9, p.y - 9); ctx.lineTo(p.x + 9, p.y + 9);
      ctx.moveTo(p.x + 9, p.y - 9); ctx.lineTo(p.x - 9, p.y + 9);
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    const frac = Math.max(0, p.hp) / rules.maxHp;
    ctx.fillStyle = "#2a3242";
    ctx.fillRect(p.x - r, p.y - r - 12, 2 * r, 5);
    ctx.fillStyle = frac > 0.5 ? "#3ddc84" : frac > 0.25 ? "#e9c23b" : "#e0605e";
    ctx.fillRect(p.x - r, p.y - r - 12, 2 * r * frac, 5);
    ctx.font = `${Math.round(12 / view.scale)}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.fillStyle = p.bot ? "#e8a5a4" : "#d8dee9";
    ctx.fillText(label ?? id, p.x, p.y - r - 17);
  }

  requestAnimationFrame(draw);

  // --- overlay and scoreboard (a few times a second) ------------------------

  const weaponName = (w) => (w === pb.Weapon.CANNON ? "cannon" : "blaster");
  const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : "–");
  function p50() {
    if (latencies.length === 0) return NaN;
    const s = [...latencies].sort((a, b) => a - b);
    return s[(s.length - 1) >> 1];
  }
  function refresh() {
    const st = room.state;
    stats.rttMs = client.rtt.avg;
    stats.inputP50Ms = p50();
    const self = st.players?.[myId];
    const inView = Object.keys(st.players ?? {}).length;
    const code = hook.joinCode ? ` · join code <b>${hook.joinCode}</b>` : "";
    overlay.innerHTML =
      `<b>${esc(room.id)}</b>${code} · <a href="${esc(location.href)}">invite link</a><br>` +
      `you: ${esc(myId)} · hp ${self?.hp ?? "–"} · ${weaponName(weapon)}<br>` +
      `RTT ${ms(stats.rttMs)} · input→state p50 ${ms(stats.inputP50Ms)}<br>` +
      `tick ${room.tick} · ${inView} players in view · ${room.joined.tickHz} Hz`;
    const rows = (st.scoreboard ?? []).map((s, i) =>
      `<tr class="${s.playerId === myId ? "me" : ""} ${s.bot ? "bot" : ""}"><td>${i + 1}. ${esc(s.playerId === myId ? "you" : s.playerId)}</td>` +
      `<td class="n">${s.kills}</td><td class="n">${s.deaths}</td></tr>`);
    scoreboard.innerHTML = `<table><tr><th>player</th><th class="n">K</th><th class="n">D</th></tr>${rows.join("")}</table>`;
    if (bannerKind === "" || bannerKind === "dead") {
      if (self !== undefined && self.hp <= 0 && rules !== undefined) {
        const s = Math.max(0, (Number(self.respawnTick) - room.tick) / rules.tickHz);
        showBanner(`You were hit — respawning in ${s.toFixed(1)} s`, "dead");
      } else {
        hideBanner("dead");
      }
    }
  }
  setInterval(refresh, 200);
  refresh();

  // --- the test hook -------------------------------------------------------

  Object.assign(hook, {
    // The predicted local player (what is drawn, before smoothing).
    me: () => (predictor.state === undefined ? null : { x: predictor.state.x, y: predictor.state.y, hp: predictor.state.hp }),
    // The replica of the room's state: exactly the server's view for this player.
    state: () => room.state,
    // A JSON-safe summary of the state (the replica has bigints).
    snapshot: () => {
      const st = room.state;
      const players = {};
      for (const [id, p] of Object.entries(st.players ?? {})) players[id] = { x: p.x, y: p.y, vx: p.vx, vy: p.vy, hp: p.hp, bot: p.bot, kills: p.kills, deaths: p.deaths };
      const projectiles = Object.values(st.projectiles ?? {}).map((p) => ({ owner: p.owner, x: p.x, y: p.y, tick: Number(p.tick) }));
      return { tick: room.tick, lastInputSeq: room.lastInputSeq, players, projectiles, obstacles: (obstacles ?? []).map((o) => ({ ...o })) };
    },
    // The autopilot: walk to (x, y) around the obstacles, until stop().
    goTo: (x, y) => { pilot = { x, y }; },
    stop: () => { pilot = undefined; },
    // Where a world point is on the page (CSS px), with the last frame's camera.
    toScreen,
    // The replay of the room's last seconds: its progress, and the button's action.
    replay,
    startReplay,
    // The replayed state (while a replay plays): the room as it was at replay.tick.
    replayState: () => replayReplica?.state,
    // Drop the connection as if it failed: the SDK reconnects and rejoins.
    drop: () => client.drop(4000, "dropped by the page hook"),
  });
}

function lerpAngle(a, b, t) {
  let d = b - a;
  while (d > Math.PI) d -= 2 * Math.PI;
  while (d < -Math.PI) d += 2 * Math.PI;
  return a + d * t;
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
