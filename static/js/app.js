// Page-wide behaviour: view toggles, live search, the kiosk's on-screen keyboard and idle reset.
"use strict";

const store = {
  get(key, fallback) { try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch { return fallback; } },
  set(key, value) { try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* private mode */ } },
};
window.kioskStore = store;
const isKiosk = document.body.classList.contains("kiosk");

for (const button of document.querySelectorAll("[data-toggle]")) {
  const name = button.dataset.toggle;
  const apply = (on) => { document.body.classList.toggle(name, on); button.setAttribute("aria-pressed", String(on)); };
  apply(store.get("view:" + name, false));
  button.addEventListener("click", () => { const on = !document.body.classList.contains(name); apply(on); store.set("view:" + name, on); });
}

// Results as you type, replacing the server-rendered list.
const input = document.getElementById("q");
let searchTimer = null;
async function liveSearch() {
  const q = input.value.trim();
  if (!q) return;
  let results = document.getElementById("results");
  if (!results) {
    results = document.createElement("section");
    results.id = "results"; results.className = "results"; results.setAttribute("aria-live", "polite");
    document.getElementById("main").replaceChildren(results);
  }
  try {
    const response = await fetch("/api/search?q=" + encodeURIComponent(q));
    const body = await response.json();
    if (input.value.trim() !== q) return;
    results.replaceChildren(body.ok ? renderHits(body.hits, q) : notice(body.error));
  } catch { results.replaceChildren(notice("网络不通，请稍后再试。")); }
}
function notice(text) { const p = document.createElement("p"); p.className = "notice"; p.textContent = text; return p; }
function renderHits(hits, q) {
  if (!hits.length) {
    const box = document.createElement("div"); box.className = "empty";
    box.innerHTML = `<p>没有找到「${escapeHtml(q)}」。试试这些话题：</p>`;
    const chips = document.createElement("div"); chips.className = "chips";
    for (const topic of ["物业费", "业主大会", "维修资金", "电梯", "停车位", "装修", "漏水", "党费"]) {
      const a = document.createElement("a"); a.className = "chip"; a.href = "/search?q=" + encodeURIComponent(topic); a.textContent = topic; chips.append(a);
    }
    box.append(chips); return box;
  }
  const list = document.createElement("ol"); list.className = "hits";
  for (const hit of hits) {
    const li = document.createElement("li");
    const status = hit.status && hit.status !== "现行" ? `<span class="badge">${escapeHtml(hit.status)}</span>` : "";
    li.innerHTML = `<a class="hit" href="${hit.url}${hit.url.includes("?") ? "&" : "?"}play=1${isKiosk ? "&kiosk=1" : ""}">` +
      `<span class="hit-title">${escapeHtml(hit.title)}${hit.article ? " " + escapeHtml(hit.article) : ""}</span>` +
      `<span class="badge shelf">${escapeHtml(hit.collection)}</span>${status}<span class="snippet">${hit.snippet}</span></a>`;
    list.append(li);
  }
  return list;
}
function escapeHtml(text) { const d = document.createElement("div"); d.textContent = text ?? ""; return d.innerHTML; }
window.escapeHtml = escapeHtml;
input?.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(liveSearch, 250); });

// The kiosk has no keyboard: letters for pinyin initials, digits for article numbers, topic chips.
const keyboard = document.getElementById("keyboard");
if (keyboard && input) {
  input.addEventListener("focus", () => { keyboard.hidden = false; });
  keyboard.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.topic) input.value = button.dataset.topic;
    else if (button.dataset.key === "back") input.value = input.value.slice(0, -1);
    else if (button.dataset.key === "clear") input.value = "";
    else if (button.dataset.key === "close") { keyboard.hidden = true; return; }
    else input.value += button.dataset.key;
    input.dispatchEvent(new Event("input"));
  });
}

// Kiosk idle reset: stop sound, forget the visitor's search and go back to the attract screen.
if (isKiosk) {
  const idleMs = parseFloat(document.body.dataset.idleMinutes || "3") * 60000;
  let idleTimer = null;
  const reset = () => {
    document.querySelectorAll("audio").forEach((a) => a.pause());
    for (const key of Object.keys(localStorage)) if (!key.startsWith("view:")) localStorage.removeItem(key);
    location.href = "/?kiosk=1";
  };
  const arm = () => { clearTimeout(idleTimer); idleTimer = setTimeout(reset, idleMs); };
  ["pointerdown", "keydown", "touchstart"].forEach((type) => document.addEventListener(type, arm, { passive: true }));
  arm();
}

// Continue listening, on the home page.
const continueBox = document.getElementById("continue");
const last = store.get("last", null);
if (continueBox && last) {
  continueBox.hidden = false;
  continueBox.innerHTML = `<a class="tile continue-tile" href="/doc/${encodeURIComponent(last.doc)}?p=${encodeURIComponent(last.passage)}&play=1${isKiosk ? "&kiosk=1" : ""}">` +
    `<span class="tile-name">继续收听</span><span class="tile-count">${escapeHtml(last.title)}</span></a>`;
}

