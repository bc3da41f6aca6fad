// The crossword's browser client (README, "Crossword page"). It joins the
// world room over /ws with the SDK and draws what the server sends it as
// topics (one replica each, room.topics): "overview" (the rules and the
// world map), "leaderboard", "me:<player>" (its rack, score, lives, view)
// and "c:<cx>,<cy>" for every chunk of the board it looks at. Panning sends
// a View input (throttled), on which the server changes the chunk topics.
// Tiles are placed on the page (dragged from the rack or typed at a cursor)
// and sent as one Play input; the server accepts it or refuses it with a
// reason. window.crossword is a small hook for tests (and the curious).
import { connect, v1 } from "/sdk/tickwire.js";
import { crossword as pb } from "/sdk/examples.js";
import { Camera, drawBoard, drawOverview, letterValue, overviewFrame } from "./board.js";

const STATE_TYPE = "tickwire.crossword.v1.State";
const params = new URLSearchParams(location.search);
const game = params.get("game") || "crossword";
/** How long another player's tile stays highlighted, ms (server time). */
const RECENT_MS = 20_000;
/** The shortest time between two View inputs, ms. */
const VIEW_EVERY_MS = 150;
/** Zoom limits, CSS pixels per cell (the lower one rises so the screen never shows more than Rules.max_view cells). */
const MIN_Z = 4, MAX_Z = 64;

const canvas = document.getElementById("board");
const ctx = canvas.getContext("2d");
const mapCanvas = document.getElementById("map");
const mapCtx = mapCanvas.getContext("2d");
const el = (id) => document.getElementById(id);
const statusEl = el("status"), boardEl = el("leaderboard"), rackEl = el("rack"), messageEl = el("message"), bannerEl = el("banner");

// What tests read (see browser_test.go).
const stats = { frames: 0, draws: 0, views: 0, plays: 0, swaps: 0, accepted: 0, refused: 0, rejoins: 0, disconnects: 0, topicFrames: {}, unsubscribes: 0 };
const hook = (window.crossword = { ready: false, error: "", game, playerId: "", roomId: "", stats, message: "", refusals: [], banner: "" });

// --- banners and messages ----------------------------------------------------

let bannerKind = "";
function showBanner(text, kind) {
  bannerEl.textContent = text;
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
  showBanner(text, "fatal");
  statusEl.textContent = text;
}
/** say shows a line above the rack: kind "bad" (a refusal), "good" (an accepted play) or "" (a hint). */
function say(text, kind = "") {
  messageEl.textContent = text;
  messageEl.className = kind;
  hook.message = text;
}

// --- joining -------------------------------------------------------------------

// The world is one room: ?room=ID joins that one, otherwise JoinRoom{game}
// quick-joins the game's room (the lobby picks its fullest joinable room).
async function join(client) {
  const req = params.get("room") ? { roomId: params.get("room") } : { game };
  const room = await client.join(req, { state: pb.StateSchema, input: pb.InputSchema });
  if (room.joined.stateType !== STATE_TYPE) {
    await room.leave();
    throw new Error(`room ${room.id} plays ${room.joined.game}, not the crossword`);
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
    // Cluster mode: the world runs on another node. Play there.
    showBanner(`The world is on ${e.url}: going there…`, "warn");
    location.assign(there);
  } else {
    hook.error = String(e?.message ?? e);
    fatal(`Could not join: ${hook.error}`);
    console.error("crossword:", e);
  }
}
if (room !== undefined) start();

// --- the game --------------------------------------------------------------------

function start() {
  const myId = client.playerId;
  Object.assign(hook, { client, room, playerId: myId, roomId: room.id });

  // The topics' replicas, read anew each time (a snapshot replaces a state).
  const topic = (name) => room.topics.get(name)?.state;
  const rules = () => topic("overview")?.rules;
  const overview = () => topic("overview")?.overview;
  const me = () => topic(`me:${myId}`)?.players[myId];
  const leaderboard = () => topic("leaderboard")?.leaderboard ?? [];
  function chunkAt(cx, cy) {
    const r = rules();
    return r === undefined ? undefined : topic(`c:${cx},${cy}`)?.chunks[cy * r.chunksPerSide + cx];
  }
  /** tileAt returns the letter on cell (x, y) as this page knows it, "" for none. */
  function tileAt(x, y) {
    const r = rules();
    if (r === undefined || x < 0 || y < 0 || x >= r.worldSize || y >= r.worldSize) return "";
    const cs = r.chunkSize;
    const c = chunkAt(Math.floor(x / cs), Math.floor(y / cs));
    const b = c?.letters[(y % cs) * cs + (x % cs)] ?? 0;
    return b === 0 ? "" : String.fromCharCode(b);
  }
  const inWorld = (x, y) => { const r = rules(); return r !== undefined && x >= 0 && y >= 0 && x < r.worldSize && y < r.worldSize; };

  // Server time, from the frames: their tick's time plus what passed since.
  let frameServerMs = 0, frameLocalMs = 0;
  const serverNow = () => (frameServerMs === 0 ? client.serverNow() : frameServerMs + performance.now() - frameLocalMs);

  const cam = new Camera();
  let camSet = false; // placed on the player's view once it is known

  // The play being laid out: tiles by "x,y", in placement order (n).
  const pending = new Map();
  let placed = 0;
  let cursor; // { x, y }: where typing puts the next tile
  let dir = "across";
  const selected = new Set(); // rack indexes chosen for a swap
  let action; // the play or swap awaiting the server's answer
  let lastRack = ""; // the rack at the last "me" frame: a new rack clears the swap choice
  let actionTimer;

  // --- frames and topics ---------------------------------------------------------

  room.on("state", (frame) => {
    stats.frames++;
    if (frame.serverTimeUnixNano > 0n) {
      frameServerMs = Number(frame.serverTimeUnixNano) / 1e6;
      frameLocalMs = performance.now();
    }
  });
  room.on("topic", ({ topic: name, replica }) => {
    stats.topicFrames[name] = (stats.topicFrames[name] ?? 0) + 1;
    if (replica === undefined) {
      stats.unsubscribes++;
      return;
    }
    if (name === `me:${myId}`) onMe();
    if (name.startsWith("c:")) {
      for (const [k, t] of pending) if (tileAt(t.x, t.y) !== "") pending.delete(k); // someone was faster
    }
  });

  function onMe() {
    const p = me();
    if (p === undefined) return;
    if (!camSet && rules() !== undefined) {
      const v = p.view ?? { x: rules().centre, y: rules().centre, w: 0, h: 0 };
      cam.x = v.x + v.w / 2;
      cam.y = v.y + v.h / 2;
      camSet = true;
    }
    // Drop pending tiles whose letters the rack no longer holds (after a swap).
    const counts = new Map();
    for (const l of p.rack) counts.set(l, (counts.get(l) ?? 0) + 1);
    for (const t of [...pending.values()].sort((a, b) => a.n - b.n)) {
      const n = counts.get(t.letter) ?? 0;
      if (n === 0) pending.delete(`${t.x},${t.y}`);
      else counts.set(t.letter, n - 1);
    }
    if (action !== undefined) {
      if (p.refusals > action.refusals) {
        refused(p.lastRefusal, action.seq);
      } else if (action.kind === "play" && p.words > action.words) {
        const r = p.lastPlay;
        pending.clear();
        cursor = undefined;
        stats.accepted++;
        say(`+${r?.points ?? 0} points: ${(r?.words ?? []).map((w) => w.toUpperCase()).join(", ")}`, "good");
        settle();
      } else if (action.kind === "swap" && (p.lives !== action.lives || p.rack !== action.rack || p.nextLifeUnixMs !== action.nextLife)) {
        selected.clear();
        stats.accepted++;
        say(`Swapped ${action.letters === "" ? "the whole rack" : action.letters.toUpperCase()} for a life`, "good");
        settle();
      }
    }
    if (p.rack !== lastRack) selected.clear();
    lastRack = p.rack;
    renderRack();
  }

  // A refused input comes as an Error INPUT_REFUSED naming the room and the
  // input's seq (and as Player.last_refusal in the "me" topic).
  client.on("envelope", (env) => {
    if (env.msg.case !== "error") return;
    const e = env.msg.value;
    if (e.code === v1.ErrorCode.INPUT_REFUSED && e.roomId === room.id) refused(e.message, Number(e.inputSeq));
  });
  function refused(reason, seq) {
    if (action === undefined || seq !== action.seq) return;
    stats.refused++;
    hook.refusals.push(reason);
    say(`Refused: ${reason}`, "bad");
    settle();
  }
  function settle() {
    action = undefined;
    clearTimeout(actionTimer);
    renderRack();
  }

  room.on("rejoined", () => {
    // Fresh snapshots of every topic follow and input seqs restart at 1.
    stats.rejoins++;
    sentView = undefined;
    if (action !== undefined) {
      say("Reconnected: your last action may not have arrived", "bad");
      settle();
    }
    hideBanner("warn");
  });
  room.on("left", (l) => fatal(`You left the world: ${l.reason || "the seat is gone"}`));
  client.on("disconnect", (e) => {
    stats.disconnects++;
    showBanner(`Connection lost (${e.code}) — reconnecting… (attempt ${e.attempt})`, "warn");
  });
  client.on("reconnect", () => showBanner("Reconnected — rejoining…", "warn"));
  client.on("close", (e) => fatal(`Disconnected: ${e.code} ${e.reason}`));
  client.on("error", (e) => {
    if (e.code !== v1.ErrorCode.INPUT_REFUSED) console.warn("crossword: server error:", e.message);
  });

  // --- the view: what the server sends ------------------------------------------

  let sentView, lastViewAt = -Infinity, viewTimer;
  /** wantedView is the rectangle of cells on screen, at most max_view on a side (centred), inside the world. */
  function wantedView() {
    const r = rules(), v = cam.visible();
    let x = v.x0, y = v.y0, w = v.x1 - v.x0, h = v.y1 - v.y0;
    if (w > r.maxView) { x += Math.floor((w - r.maxView) / 2); w = r.maxView; }
    if (h > r.maxView) { y += Math.floor((h - r.maxView) / 2); h = r.maxView; }
    x = Math.min(Math.max(0, x), r.worldSize - w);
    y = Math.min(Math.max(0, y), r.worldSize - h);
    return { x, y, w, h };
  }
  /** syncView sends a View input when the screen shows other cells, at most every VIEW_EVERY_MS. */
  function syncView() {
    if (!camSet || rules() === undefined || room.closed) return;
    const v = wantedView();
    if (sentView !== undefined && v.x === sentView.x && v.y === sentView.y && v.w === sentView.w && v.h === sentView.h) return;
    const wait = lastViewAt + VIEW_EVERY_MS - performance.now();
    if (wait > 0) {
      viewTimer ??= setTimeout(() => { viewTimer = undefined; syncView(); }, wait);
      return;
    }
    if (room.sendInput({ action: { case: "view", value: v } }) > 0) {
      sentView = v;
      lastViewAt = performance.now();
      stats.views++;
    }
  }

  // --- the camera ---------------------------------------------------------------

  function minZoom() {
    const r = rules();
    return Math.max(MIN_Z, r === undefined ? 0 : Math.max(cam.w, cam.h) / r.maxView);
  }
  function clampCamera() {
    const r = rules();
    cam.z = Math.min(MAX_Z, Math.max(minZoom(), cam.z));
    if (r !== undefined) {
      cam.x = Math.min(r.worldSize, Math.max(0, cam.x));
      cam.y = Math.min(r.worldSize, Math.max(0, cam.y));
    }
  }
  /** zoomAt scales by factor keeping the world point under (px, py) in place. */
  function zoomAt(factor, px = cam.w / 2, py = cam.h / 2) {
    const before = cam.toWorld(px, py);
    cam.z *= factor;
    clampCamera();
    const after = cam.toWorld(px, py);
    cam.x += before.x - after.x;
    cam.y += before.y - after.y;
    clampCamera();
  }
  function panBy(dx, dy) {
    cam.x += dx;
    cam.y += dy;
    clampCamera();
  }
  function panTo(x, y) {
    cam.x = x;
    cam.y = y;
    clampCamera();
  }

  // --- laying out a play ---------------------------------------------------------

  /** rackTiles lists the rack in order; the tiles the pending play uses are marked used. */
  function rackTiles() {
    const need = new Map();
    for (const t of pending.values()) need.set(t.letter, (need.get(t.letter) ?? 0) + 1);
    return [...(me()?.rack ?? "")].map((letter, index) => {
      const n = need.get(letter) ?? 0;
      if (n > 0) need.set(letter, n - 1);
      return { letter, index, used: n > 0 };
    });
  }
  /** place puts letter from the rack on cell (x, y) of the pending play; it returns why not, or "". */
  function place(x, y, letter) {
    letter = String(letter).toLowerCase();
    if (!/^[a-z]$/.test(letter)) return `${letter} is not a letter`;
    if (!inWorld(x, y)) return "That cell is off the board";
    if (tileAt(x, y) !== "") return "That cell already has a tile";
    if (pending.has(`${x},${y}`)) return "You already put a tile there";
    if (!rackTiles().some((t) => t.letter === letter && !t.used)) return `No ${letter.toUpperCase()} left in your rack`;
    pending.set(`${x},${y}`, { x, y, letter, n: ++placed });
    say("");
    renderRack();
    return "";
  }
  function unplace(x, y) {
    pending.delete(`${x},${y}`);
    renderRack();
  }
  const step = () => (dir === "across" ? [1, 0] : [0, 1]);
  const taken = (x, y) => tileAt(x, y) !== "" || pending.has(`${x},${y}`);
  /** typeLetter places a letter at the cursor and moves it on past filled cells. */
  function typeLetter(letter) {
    if (cursor === undefined) {
      say("Click a cell to type there (or drag a tile from your rack)");
      return;
    }
    const [dx, dy] = step();
    let { x, y } = cursor;
    while (inWorld(x, y) && taken(x, y)) { x += dx; y += dy; }
    const err = place(x, y, letter);
    if (err !== "") {
      say(err, "bad");
      return;
    }
    do { x += dx; y += dy; } while (inWorld(x, y) && taken(x, y));
    cursor = { x, y };
  }
  /** backspace takes back the last placed tile and puts the cursor there. */
  function backspace() {
    let last;
    for (const t of pending.values()) if (last === undefined || t.n > last.n) last = t;
    if (last === undefined) return;
    unplace(last.x, last.y);
    cursor = { x: last.x, y: last.y };
  }
  function clearPending() {
    pending.clear();
    selected.clear();
    say("");
    renderRack();
  }
  function toggleDir() {
    dir = dir === "across" ? "down" : "across";
    el("dir").textContent = dir === "across" ? "→ across" : "↓ down";
  }
  function clickCell(x, y) {
    if (pending.has(`${x},${y}`)) {
      unplace(x, y);
      cursor = { x, y };
    } else if (cursor !== undefined && cursor.x === x && cursor.y === y) {
      toggleDir();
    } else {
      cursor = { x, y };
    }
  }

  // --- actions: play and swap ------------------------------------------------------

  // An action within the cooldown after the last one (Player.next_action_unix_ms)
  // would be refused as too fast: the page holds it back until then.
  let deferred;
  function begin(kind, input, extra) {
    const p = me();
    if (p === undefined || action !== undefined) return 0;
    const wait = Number(p.nextActionUnixMs) - serverNow();
    if (wait > 0) {
      if (deferred === undefined) {
        deferred = setTimeout(() => {
          deferred = undefined;
          if (kind === "play") submit();
          else swap(extra.letters);
        }, Math.min(wait, 5000) + 25);
      }
      say("In a moment…");
      return 0;
    }
    const seq = room.sendInput(input);
    if (seq === 0) {
      say("Not connected", "bad");
      return 0;
    }
    action = { kind, seq, words: p.words, refusals: p.refusals, lives: p.lives, rack: p.rack, nextLife: p.nextLifeUnixMs, ...extra };
    clearTimeout(actionTimer);
    actionTimer = setTimeout(() => {
      say("No answer from the server", "bad");
      settle();
    }, 10_000);
    renderRack();
    return seq;
  }
  function submit() {
    if (pending.size === 0) {
      say("Put tiles on the board first", "bad");
      return 0;
    }
    const tiles = [...pending.values()].sort((a, b) => a.n - b.n).map(({ x, y, letter }) => ({ x, y, letter }));
    const seq = begin("play", { action: { case: "play", value: { tiles } } });
    if (seq > 0) {
      stats.plays++;
      say("Playing…");
    }
    return seq;
  }
  function swap(letters) {
    if (letters === undefined) letters = rackTiles().filter((t) => selected.has(t.index) && !t.used).map((t) => t.letter).join("");
    const seq = begin("swap", { action: { case: "swap", value: { letters } } }, { letters });
    if (seq > 0) {
      stats.swaps++;
      say("Swapping…");
    }
    return seq;
  }

  // --- the rack ------------------------------------------------------------------

  let rackSig = "";
  function renderRack() {
    const tiles = rackTiles();
    const busy = action !== undefined || deferred !== undefined;
    const sig = JSON.stringify([tiles, [...selected], busy, pending.size, me()?.lives ?? 0]);
    if (sig === rackSig) return;
    rackSig = sig;
    const r = rules();
    rackEl.replaceChildren(...tiles.map((t) => {
      const d = document.createElement("div");
      d.className = `tile${t.used ? " used" : ""}${selected.has(t.index) && !t.used ? " selected" : ""}`;
      d.dataset.letter = t.letter;
      d.dataset.index = String(t.index);
      d.innerHTML = `${esc(t.letter.toUpperCase())}<sub>${letterValue(r, t.letter)}</sub>`;
      return d;
    }));
    el("submit").disabled = busy || pending.size === 0;
    el("clear").disabled = pending.size === 0 && selected.size === 0;
    el("swap").disabled = busy || (me()?.lives ?? 0) === 0;
    el("swap").textContent = selected.size === 0 ? "Swap all" : `Swap ${selected.size}`;
  }

  // Dragging a rack tile onto the board places it; a click (no drag) chooses it for a swap.
  let drag;
  rackEl.addEventListener("pointerdown", (e) => {
    const t = e.target.closest(".tile");
    if (t === null || t.classList.contains("used") || e.button !== 0) return;
    e.preventDefault();
    drag = { letter: t.dataset.letter, index: Number(t.dataset.index), sx: e.clientX, sy: e.clientY, ghost: undefined };
  });
  addEventListener("pointermove", (e) => {
    if (drag === undefined) return;
    if (drag.ghost === undefined && Math.hypot(e.clientX - drag.sx, e.clientY - drag.sy) > 4) {
      drag.ghost = document.createElement("div");
      drag.ghost.className = "tile ghost";
      drag.ghost.textContent = drag.letter.toUpperCase();
      document.body.append(drag.ghost);
    }
    if (drag.ghost !== undefined) {
      drag.ghost.style.left = `${e.clientX}px`;
      drag.ghost.style.top = `${e.clientY}px`;
    }
  });
  addEventListener("pointerup", (e) => {
    if (drag === undefined) return;
    const d = drag;
    drag = undefined;
    if (d.ghost === undefined) {
      if (selected.has(d.index)) selected.delete(d.index);
      else selected.add(d.index);
      renderRack();
      return;
    }
    d.ghost.remove();
    if (document.elementFromPoint(e.clientX, e.clientY) !== canvas) return;
    const b = canvas.getBoundingClientRect();
    const c = cam.toCell(e.clientX - b.left, e.clientY - b.top);
    const err = place(c.x, c.y, d.letter);
    if (err !== "") say(err, "bad");
  });

  // --- the board: pan, zoom, click --------------------------------------------------

  let pan;
  canvas.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    pan = { sx: e.clientX, sy: e.clientY, x: cam.x, y: cam.y, moved: false };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (pan === undefined) return;
    const dx = e.clientX - pan.sx, dy = e.clientY - pan.sy;
    if (!pan.moved && Math.hypot(dx, dy) > 4) {
      pan.moved = true;
      canvas.classList.add("panning");
    }
    if (pan.moved) panTo(pan.x - dx / cam.z, pan.y - dy / cam.z);
  });
  canvas.addEventListener("pointerup", (e) => {
    if (pan === undefined) return;
    const p = pan;
    pan = undefined;
    canvas.classList.remove("panning");
    if (p.moved || !camSet) return;
    const b = canvas.getBoundingClientRect();
    const c = cam.toCell(e.clientX - b.left, e.clientY - b.top);
    if (inWorld(c.x, c.y)) clickCell(c.x, c.y);
  });
  canvas.addEventListener("pointercancel", () => {
    pan = undefined;
    canvas.classList.remove("panning");
  });
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    const b = canvas.getBoundingClientRect();
    zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - b.left, e.clientY - b.top);
  }, { passive: false });

  mapCanvas.addEventListener("click", (e) => {
    if (mapFrame === undefined) return;
    const b = mapCanvas.getBoundingClientRect();
    const k = mapFrame.size / b.width;
    panTo(mapFrame.x + (e.clientX - b.left) * k, mapFrame.y + (e.clientY - b.top) * k);
  });

  addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.target instanceof HTMLInputElement) return;
    const far = e.shiftKey ? 16 : 4;
    if (/^[a-zA-Z]$/.test(e.key)) {
      typeLetter(e.key.toLowerCase());
    } else {
      switch (e.key) {
        case "ArrowLeft": panBy(-far, 0); break;
        case "ArrowRight": panBy(far, 0); break;
        case "ArrowUp": panBy(0, -far); break;
        case "ArrowDown": panBy(0, far); break;
        case "Enter": submit(); break;
        case "Backspace": backspace(); break;
        case "Escape": clearPending(); cursor = undefined; break;
        case "Tab": toggleDir(); break;
        case "+": case "=": zoomAt(1.25); break;
        case "-": case "_": zoomAt(0.8); break;
        default: return;
      }
    }
    e.preventDefault();
  });

  el("submit").addEventListener("click", () => submit());
  el("clear").addEventListener("click", () => clearPending());
  el("dir").addEventListener("click", () => toggleDir());
  el("swap").addEventListener("click", () => swap());
  el("zoomIn").addEventListener("click", () => zoomAt(1.25));
  el("zoomOut").addEventListener("click", () => zoomAt(0.8));
  el("home").addEventListener("click", () => { const r = rules(); if (r !== undefined) panTo(r.centre + 0.5, r.centre + 0.5); });
  // Buttons must not keep the keyboard focus: Enter would click them again.
  for (const b of document.querySelectorAll("button")) b.addEventListener("focus", () => b.blur());

  // --- drawing -----------------------------------------------------------------------

  let mapFrame;
  function draw() {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    cam.w = w;
    cam.h = h;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const r = rules(), p = me();
    if (r === undefined || !camSet) {
      ctx.fillStyle = "#0d1119";
      ctx.fillRect(0, 0, w, h);
      if (p !== undefined) onMe(); // the rules came after the player's topic
      requestAnimationFrame(draw);
      return;
    }
    clampCamera();
    syncView();
    drawBoard(ctx, cam, {
      rules: r, chunkAt, myNumber: p?.number ?? 0, nowMs: serverNow(), recentMs: RECENT_MS,
      pending, cursor, dir, view: p?.view,
    });
    const ov = overview();
    if (ov !== undefined && ov.regionSize > 0) {
      const mw = mapCanvas.clientWidth, mh = mapCanvas.clientHeight;
      if (mapCanvas.width !== Math.round(mw * dpr)) {
        mapCanvas.width = Math.round(mw * dpr);
        mapCanvas.height = Math.round(mh * dpr);
      }
      mapCtx.setTransform(dpr, 0, 0, dpr, 0, 0);
      mapFrame = overviewFrame(r, ov, cam);
      drawOverview(mapCtx, mw, mh, r, ov, cam, mapFrame);
    }
    stats.draws++;
    if (!hook.ready && p !== undefined) {
      hook.ready = true;
      renderRack();
    }
    requestAnimationFrame(draw);
  }
  requestAnimationFrame(draw);

  // --- status and leaderboard (a few times a second) ----------------------------------

  const fmt = new Intl.NumberFormat("en");
  function refresh() {
    const r = rules(), p = me(), ov = overview();
    if (p === undefined || r === undefined) return;
    const now = serverNow();
    const lives = "♥".repeat(p.lives) + "♡".repeat(Math.max(0, r.maxLives - p.lives));
    const next = p.nextLifeUnixMs > 0n ? ` (next in ${clock(Number(p.nextLifeUnixMs) - now)})` : "";
    const centre = cam.toWorld(cam.w / 2, cam.h / 2);
    statusEl.innerHTML =
      `<b>you</b> #${p.number} · score <b>${p.score}</b> · <span class="lives">${lives}</span>${next}<br>` +
      `${plural(p.words, "word")} · ${plural(p.tiles, "tile")} on the board · ${p.refusals} refused<br>` +
      (ov === undefined ? "" : `${ov.online} online · ${plural(ov.totalPlayers, "player")} · ${plural(Number(ov.totalTiles), "tile")} in the world<br>`) +
      `(${Math.floor(centre.x)}, ${Math.floor(centre.y)}) · ${[...room.topics.keys()].filter((t) => t.startsWith("c:")).length} chunks · RTT ${Number.isFinite(client.rtt.avg) ? client.rtt.avg.toFixed(1) : "–"} ms`;
    const rows = leaderboard().map((e, i) =>
      `<tr class="${e.playerId === myId ? "me" : ""} ${e.online ? "" : "off"}"><td>${i + 1}. #${e.number} ${esc(e.playerId === myId ? "you" : e.playerId)}</td>` +
      `<td class="n">${e.score}</td><td class="n">${e.words}</td></tr>`);
    boardEl.innerHTML = `<table><tr><th>leaderboard</th><th class="n">pts</th><th class="n">words</th></tr>${rows.join("")}</table>`;
    if (mapFrame !== undefined) el("mapcap").textContent = `overview · ${fmt.format(Math.round(mapFrame.size))} cells across`;
    renderRack();
  }
  setInterval(refresh, 250);

  // --- the test hook ----------------------------------------------------------------------

  const plain = (p) => p === undefined ? null : {
    number: p.number, rack: p.rack, score: p.score, lives: p.lives, words: p.words, tiles: p.tiles, refusals: p.refusals,
    lastRefusal: p.lastRefusal, view: p.view === undefined ? null : { x: p.view.x, y: p.view.y, w: p.view.w, h: p.view.h },
  };
  Object.assign(hook, {
    rules: () => { const r = rules(); return r === undefined ? null : { worldSize: r.worldSize, chunkSize: r.chunkSize, centre: r.centre, maxView: r.maxView, actionCooldownMs: r.actionCooldownMs }; },
    // The player's own state (rack, score, lives, view as the server has it).
    me: () => plain(me()),
    // The topics this page holds a replica of, sorted.
    topics: () => [...room.topics.keys()].sort(),
    // The letter on a cell as this page knows it ("" for none or a chunk it does not receive).
    tileAt,
    // Every tile this page knows of (the chunks it receives): { x, y, letter, player }.
    tiles: () => {
      const r = rules(), out = [];
      if (r === undefined) return out;
      const cs = r.chunkSize;
      for (const [name, rep] of room.topics) {
        if (!name.startsWith("c:")) continue;
        for (const [key, ch] of Object.entries(rep.state.chunks)) {
          const k = Number(key), cx = k % r.chunksPerSide, cy = Math.floor(k / r.chunksPerSide);
          for (const [i, pl] of Object.entries(ch.placed)) {
            const idx = Number(i);
            out.push({ x: cx * cs + (idx % cs), y: cy * cs + Math.floor(idx / cs), letter: String.fromCharCode(ch.letters[idx]), player: pl.player });
          }
        }
      }
      return out;
    },
    // The leaderboard as this page shows it.
    leaderboard: () => leaderboard().map((e) => ({ playerId: e.playerId, number: e.number, score: e.score, words: e.words, online: e.online })),
    overview: () => { const o = overview(); return o === undefined ? null : { online: o.online, totalTiles: Number(o.totalTiles), totalPlayers: o.totalPlayers, tiles: { ...o.tiles }, viewers: { ...o.viewers } }; },
    camera: () => ({ x: cam.x, y: cam.y, z: cam.z }),
    // The last View input sent, and the one the screen asks for now (sent within VIEW_EVERY_MS).
    sentView: () => (sentView === undefined ? null : { ...sentView }),
    wantedView: () => (camSet && rules() !== undefined ? wantedView() : null),
    panTo: (x, y) => panTo(x, y),
    zoomTo: (z) => { cam.z = z; clampCamera(); },
    // Where a cell's centre is on the page (CSS px).
    toScreen: (x, y) => cam.toScreen(x + 0.5, y + 0.5),
    // The same actions as the page's controls.
    place: (x, y, letter) => place(x, y, letter),
    pending: () => [...pending.values()].sort((a, b) => a.n - b.n).map(({ x, y, letter }) => ({ x, y, letter })),
    cursor: () => (cursor === undefined ? null : { ...cursor, dir }),
    submit: () => submit(),
    clear: () => clearPending(),
    swap: (letters) => swap(letters),
    // Whether a play or swap is on its way (or held back by the cooldown).
    busy: () => action !== undefined || deferred !== undefined,
    drop: () => client.drop(4000, "dropped by the page hook"),
  });
}

/** plural formats a count with its noun: "1 word", "2 words". */
function plural(count, noun) {
  return `${new Intl.NumberFormat("en").format(count)} ${noun}${count === 1 ? "" : "s"}`;
}

function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
