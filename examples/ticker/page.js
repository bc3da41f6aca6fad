// The live ticker: score updates from the feed channel (published by a Go
// backend through POST /publish), and a chat with presence, on the SDK's
// channels over /ws.
import { connect, channels } from "/sdk/tickwire.js";

const SCORES = "feed:scores";
const CHAT = "chat:ticker";

const params = new URLSearchParams(location.search);
const myName = (params.get("name") || localStorage.getItem("ticker-name") || `fan-${Math.floor(1000 + Math.random() * 9000)}`).slice(0, 32);
localStorage.setItem("ticker-name", myName);

// What the page shows, also read by the browser test.
const state = (window.ticker = { status: "connecting", updates: 0, matches: {}, chat: [], members: [], transport: "" });

const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

function setStatus(text, live) {
  state.status = live ? "live" : text;
  $("status").textContent = text;
  $("status").className = live ? "live" : "down";
}

function drawBoard(flashId) {
  const body = $("board").tBodies[0];
  body.replaceChildren();
  for (const m of Object.values(state.matches).sort((a, b) => a.id.localeCompare(b.id))) {
    const tr = el("tr", m.id === flashId ? "flash" : "");
    tr.dataset.match = m.id;
    tr.append(
      el("td", "league", m.league),
      el("td", "", m.home),
      el("td", "score", `${m.home_score}–${m.away_score}`),
      el("td", "", m.away),
      el("td", "minute", m.status === "live" ? `${m.minute}'` : m.status),
    );
    body.append(tr);
  }
}

function onScore(msg) {
  let u;
  try {
    u = JSON.parse(msg.text);
  } catch {
    return; // not ours
  }
  state.updates++;
  state.matches[u.match.id] = u.match;
  drawBoard(u.event === "goal" && !msg.history ? u.match.id : "");
  if (u.text) {
    const li = el("li", u.event === "goal" ? "goal" : "", u.text);
    $("feed").prepend(li);
    while ($("feed").children.length > 40) $("feed").lastChild.remove();
  }
}

const nameOf = (id) => chat?.members.get(id)?.name || id;
let chat;

function addChat(cls, who, text) {
  const li = el("li", cls);
  if (who) li.append(el("b", "", who + ": "));
  li.append(document.createTextNode(text));
  $("chat").append(li);
  while ($("chat").children.length > 200) $("chat").firstChild.remove();
  $("chat").scrollTop = $("chat").scrollHeight;
}

function drawMembers(client) {
  if (!chat) {
    return; // a presence event before subscribe resolved: drawn when it does
  }
  const list = [...chat.members.values()].sort((a, b) => (a.name || a.playerId).localeCompare(b.name || b.playerId));
  state.members = list.map((m) => m.name || m.playerId);
  $("members").replaceChildren(...list.map((m) => el("span", m.playerId === client.playerId ? "me" : "", m.name || m.playerId)));
  $("count").textContent = String(list.length);
}

async function main() {
  const client = await connect("/ws");
  state.transport = client.transport ?? "websocket";
  setStatus(`live (${state.transport})`, true);
  client.on("disconnect", () => setStatus("reconnecting…", false));
  client.on("reconnect", () => {
    state.transport = client.transport ?? "websocket";
    setStatus(`live (${state.transport})`, true);
  });
  client.on("close", (c) => setStatus(`closed (${c.code} ${c.reason})`, false));

  const ch = channels(client);
  await ch.subscribe(SCORES, { onMessage: onScore });
  chat = await ch.subscribe(CHAT, {
    name: myName,
    onMessage: (m) => {
      const text = m.text;
      state.chat.push({ from: m.from, name: nameOf(m.from), text, history: m.history });
      addChat(m.history ? "old" : "", nameOf(m.from), text);
    },
    onPresence: (p) => {
      if (p.member.playerId !== client.playerId) addChat("sys", "", `${p.member.name || p.member.playerId} ${p.left ? "left" : "joined"}`);
      drawMembers(client);
    },
  });
  chat.on("resubscribed", () => drawMembers(client));
  drawMembers(client);

  $("send").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    $("text").value = "";
    try {
      await chat.publish(text);
    } catch (err) {
      addChat("sys", "", `not sent: ${err.message}`);
    }
  });
}

main().catch((e) => {
  setStatus(`failed: ${e.message}`, false);
  console.warn("ticker:", e);
});
