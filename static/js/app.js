// Page-wide behaviour: view toggles, live search, the kiosk's on-screen keyboard and idle reset, the home page's lists.
"use strict";

const store = {
  get(key, fallback) { try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch { return fallback; } },
  set(key, value) { try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* private mode */ } },
};
window.kioskStore = store;
const isKiosk = document.body.classList.contains("kiosk");
const topics = (document.body.dataset.topics || "").split(",").filter(Boolean);

function escapeHtml(text) { const d = document.createElement("div"); d.textContent = text ?? ""; return d.innerHTML; }
window.escapeHtml = escapeHtml;
// A link inside the app, keeping kiosk mode on the kiosk.
function appLink(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params)) if (value != null) url.searchParams.set(key, value);
  if (isKiosk) url.searchParams.set("kiosk", "1");
  return url.pathname + url.search + url.hash;
}
window.appLink = appLink;

// Anonymous counts for the editors (what was searched, what was heard); nothing identifies the visitor.
window.kioskUsage = (event) => { try { navigator.sendBeacon("/api/usage", JSON.stringify(event)); } catch { /* optional */ } };

const toast = document.getElementById("toast");
let toastTimer = null;
window.kioskToast = (text) => {
  toast.textContent = text; toast.hidden = false;
  clearTimeout(toastTimer); toastTimer = setTimeout(() => { toast.hidden = true; }, 3000);
};

// Inline QR codes come with a fixed pixel size; a viewBox lets the stylesheet size them for the screen.
for (const svg of document.querySelectorAll(".qr svg, .wifi svg")) {
  if (svg.hasAttribute("viewBox")) continue;
  svg.setAttribute("viewBox", `0 0 ${svg.getAttribute("width")} ${svg.getAttribute("height")}`);
  svg.removeAttribute("width"); svg.removeAttribute("height");
}

for (const button of document.querySelectorAll("[data-toggle]")) {
  const name = button.dataset.toggle;
  const apply = (on) => { document.body.classList.toggle(name, on); button.setAttribute("aria-pressed", String(on)); };
  apply(store.get("view:" + name, false));
  button.addEventListener("click", () => { const on = !document.body.classList.contains(name); apply(on); store.set("view:" + name, on); });
}

// Results as you type, replacing the page's content; the address follows, so "back" from a document returns here.
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
  history.replaceState(null, "", appLink("/search", { q }));
  try {
    const response = await fetch("/api/search?q=" + encodeURIComponent(q));
    const body = await response.json();
    if (input.value.trim() !== q) return;
    results.replaceChildren(body.ok ? renderHits(body, q) : notice(body.error));
    if (body.ok) settle({ kind: "search", q, hits: body.hits.length });
  } catch { results.replaceChildren(notice("网络不通，请稍后再试。")); }
}
function notice(text) { const p = document.createElement("p"); p.className = "notice"; p.textContent = text; return p; }
function chips(words) {
  const box = document.createElement("div"); box.className = "chips";
  for (const word of words) {
    const a = document.createElement("a"); a.className = "chip"; a.href = appLink("/search", { q: word }); a.textContent = word; box.append(a);
  }
  return box;
}
function renderHits(body, q) {
  const hits = body.hits, suggestions = body.suggestions || [];
  if (!hits.length && suggestions.length) {
    const box = document.createElement("div"); box.className = "empty";
    box.innerHTML = `<p>没有找到正好讲「${escapeHtml(q)}」的内容。您是不是想听：</p><ul class="suggestions">` +
      suggestions.map((s) => `<li><a class="chip" href="${escapeHtml(appLink(s.url, { play: 1 }))}">${escapeHtml(s.label)}</a></li>`).join("") + "</ul>";
    return box;
  }
  if (!hits.length) {
    const box = document.createElement("div"); box.className = "empty";
    box.innerHTML = `<p>没有找到「${escapeHtml(q)}」。试试这些话题：</p>`;
    box.append(chips(topics));
    const desk = document.createElement("div");
    desk.innerHTML = `<p>还是没有答案？可以请律师解答，或者请社区帮忙：</p><nav class="desk-links" aria-label="咨询和反映问题">` +
      `<a class="desk-go consult" href="${escapeHtml(appLink("/desk/new/consult"))}"><span class="desk-go-name">我要咨询</span><span class="desk-go-note">法律问题，请律师解答</span></a>` +
      `<a class="desk-go dispute" href="${escapeHtml(appLink("/desk/new/dispute"))}"><span class="desk-go-name">我要反映</span><span class="desk-go-note">物业纠纷，社区帮您调处</span></a></nav>`;
    box.append(desk); return box;
  }
  const hitLink = (hit, lead) => {
    const status = hit.status && hit.status !== "现行" ? `<span class="badge">${escapeHtml(hit.status)}</span>` : "";
    return `<a class="hit${lead ? " lead" : ""}" href="${escapeHtml(appLink(hit.url, { play: 1 }))}">` +
      `<span class="hit-title">${escapeHtml(hit.title)}${hit.article ? " " + escapeHtml(hit.article) : ""}</span>` +
      `<span class="badge shelf">${escapeHtml(hit.collection)}</span>${status}<span class="snippet">${hit.snippet}</span>` +
      (lead ? `<span class="play-answer" aria-hidden="true">▶ 听这一条</span>` : "") + "</a>";
  };
  const page = document.createDocumentFragment();
  if (body.corrected) {
    const p = document.createElement("p"); p.className = "understood"; p.textContent = `按「${body.corrected}」查找`; page.append(p);
  }
  // A question or a few words: the best passage leads, big and ready to play (as the page rendered by the server).
  const lead = ["text", "article"].includes(body.route) ? hits[0] : null;
  if (lead) {
    const answer = document.createElement("section"); answer.className = "answer"; answer.setAttribute("aria-label", "最相关的一条");
    answer.innerHTML = `<p class="answer-label">最相关的一条</p>` + hitLink(lead, true);
    page.append(answer);
    if (hits.length > 1) { const h = document.createElement("h2"); h.className = "more-hits"; h.textContent = "其他相关内容"; page.append(h); }
  }
  const list = document.createElement("ol"); list.className = "hits";
  for (const hit of lead ? hits.slice(1) : hits) {
    const li = document.createElement("li"); li.innerHTML = hitLink(hit, false); list.append(li);
  }
  page.append(list);
  return page;
}
input?.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(liveSearch, 250); });
// A search counts once the visitor stops typing (or leaves with its results), not at every keystroke.
let settled = null, settleTimer = null;
function settle(event) { clearTimeout(settleTimer); settled = event; settleTimer = setTimeout(countSettled, 2000); }
function countSettled() { if (settled) window.kioskUsage(settled); settled = null; }
addEventListener("pagehide", countSettled);

// The kiosk has no keyboard: letters for pinyin, digits for article numbers, topic chips. It types into the search
// box, or into any field marked data-keyboard (a form's description), the one last touched. The letters at the end
// of the field are pinyin being typed: the bar offers this library's words for them, and a tap puts the word in
// their place (in the search box, that searches, as every change there does).
const keyboard = document.getElementById("keyboard");
const KEYBOARD_FIELDS = "#q, [data-keyboard]";
if (keyboard) {
  const bar = document.getElementById("candidates");
  const barHint = bar.innerHTML;
  let target = input;
  const show = (on) => {
    keyboard.hidden = !on;
    document.body.classList.toggle("keyboard-open", on);
    document.body.style.setProperty("--keyboard-height", on ? keyboard.offsetHeight + "px" : "0px");
  };
  const pinyinTyped = () => /[a-z]+$/.exec(target?.value || "")?.[0] || "";
  let offered = "";
  async function offer() {
    const letters = pinyinTyped();
    if (letters === offered) return;
    offered = letters;
    let words = [];
    if (letters) {
      try { words = (await (await fetch("/api/pinyin?limit=6&q=" + encodeURIComponent(letters))).json()).candidates || []; }
      catch { words = []; }
      if (offered !== letters) return;  // typed on meanwhile
    }
    if (!words.length) { bar.innerHTML = barHint; return; }
    bar.replaceChildren(...words.map((word) => {
      const button = document.createElement("button");
      button.type = "button"; button.className = "candidate"; button.dataset.word = word.text; button.textContent = word.text;
      return button;
    }));
  }
  const choose = (field) => { target = field; offered = null; offer(); show(true); };
  document.addEventListener("focusin", (event) => { if (event.target.matches?.(KEYBOARD_FIELDS)) choose(event.target); });
  document.addEventListener("click", (event) => { if (event.target.matches?.(KEYBOARD_FIELDS)) choose(event.target); });
  document.addEventListener("input", (event) => { if (event.target === target) offer(); });
  keyboard.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !target) return;
    if (button.dataset.word) target.value = target.value.slice(0, target.value.length - pinyinTyped().length) + button.dataset.word;
    else if (button.dataset.topic) target.value = target === input ? button.dataset.topic : target.value + button.dataset.topic;
    else if (button.dataset.key === "back") target.value = target.value.slice(0, -1);
    else if (button.dataset.key === "clear") target.value = "";
    else if (button.dataset.key === "close") { show(false); return; }
    else if (button.dataset.key) target.value += button.dataset.key;
    else return;
    target.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

// Kiosk idle reset: forget the visitor (search, place, speed, bookmarks, view) and go back to the home screen.
// Someone standing and listening is not idle: while the player reads aloud the kiosk waits longer, but not for
// ever (a visitor who walked away from a long law would otherwise leave it reading to the next one).
if (isKiosk) {
  const idleMs = parseFloat(document.body.dataset.idleMinutes || "3") * 60000;
  const listeningIdleMs = parseFloat(document.body.dataset.listeningIdleMinutes || "30") * 60000;
  // The last touch survives the page changes of continuous shelf play (sessionStorage is per tab, cleared on reset).
  let idleTimer = null, touchedAt = parseFloat(sessionStorage.getItem("kiosk:touchedAt")) || Date.now();
  // [data-used] marks what a visitor touched that lives only in the page (每日一题 answered): a reload clears it.
  const pristine = () => location.pathname === "/" && !localStorage.length && (!keyboard || keyboard.hidden) &&
    ![...document.querySelectorAll(KEYBOARD_FIELDS)].some((field) => field.value) && !document.querySelector("[data-used]");
  const reset = () => {
    if (window.kioskPlayer?.playing && Date.now() - touchedAt < listeningIdleMs) { arm(false); return; }
    document.querySelectorAll("audio").forEach((a) => a.pause());
    window.kioskPlayer?.stop();
    const wasPristine = pristine();
    try { localStorage.clear(); sessionStorage.clear(); } catch { /* storage disabled */ }
    if (wasPristine) { arm(); return; }
    location.replace("/?kiosk=1");
  };
  const arm = (touched = true) => {
    if (touched) { touchedAt = Date.now(); try { sessionStorage.setItem("kiosk:touchedAt", String(touchedAt)); } catch { /* disabled */ } }
    clearTimeout(idleTimer); idleTimer = setTimeout(reset, idleMs);
  };
  ["pointerdown", "keydown", "touchstart", "wheel"].forEach((type) => document.addEventListener(type, () => arm(), { passive: true }));
  arm();
}

// The home page: continue listening and bookmarks, both kept in this browser only.
const continueBox = document.getElementById("continue");
const last = store.get("last", null);
if (continueBox && last) {
  continueBox.hidden = false;
  continueBox.innerHTML = `<a class="tile continue-tile" href="${escapeHtml(appLink("/doc/" + encodeURIComponent(last.doc), { p: last.passage, i: last.index, play: 1 }))}">` +
    `<span class="tile-name">继续收听</span><span class="tile-count">${escapeHtml(last.title)}</span></a>`;
}
const bookmarkBox = document.getElementById("bookmarks");
function showBookmarks() {
  const list = store.get("bookmarks", []);
  bookmarkBox.hidden = !list.length;
  bookmarkBox.querySelector("ol").replaceChildren(...list.map((b, n) => {
    const li = document.createElement("li");
    li.innerHTML = `<a href="${escapeHtml(appLink("/doc/" + encodeURIComponent(b.doc), { p: b.passage, i: b.index, play: 1 }))}">` +
      `<span class="mine-title">${escapeHtml(b.title)}</span><span class="mine-text">${escapeHtml(b.text)}</span></a>` +
      `<button type="button" class="remove" data-remove="${n}" aria-label="删除收藏：${escapeHtml(b.text)}">删除</button>`;
    return li;
  }));
}
if (bookmarkBox) {
  showBookmarks();
  bookmarkBox.addEventListener("click", (event) => {
    const n = event.target.closest("[data-remove]")?.dataset.remove;
    if (n == null) return;
    const list = store.get("bookmarks", []);
    list.splice(parseInt(n, 10), 1);
    store.set("bookmarks", list);
    showBookmarks();
  });
}
