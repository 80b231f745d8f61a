// The player: reads a document sentence by sentence, highlighting what it reads and remembering where it stopped.
"use strict";

(() => {
  const article = document.getElementById("doc");
  if (!article) return;
  const store = window.kioskStore;
  const docId = article.dataset.doc;
  const now = document.getElementById("now");
  const playButton = document.querySelector('[data-action="play"]');
  const speed = document.getElementById("speed");
  const sleep = document.getElementById("sleep");
  const audio = new Audio();
  const next = new Audio();  // prefetches the following sentence so there is no gap
  audio.preservesPitch = true;
  let segments = [];
  let current = -1;
  let sleepAt = null;
  let stopAtPassage = null;
  let userScrolledAt = 0;

  const spanOf = (seg) => article.querySelector(`.s[data-p="${CSS.escape(seg.passage)}"][data-i="${seg.index}"]`);
  const indexOf = (passage, index = 0) => segments.findIndex((s) => s.passage === passage && s.index >= index);

  async function load() {
    const params = new URLSearchParams(location.search);
    const start = params.get("p") || "";
    try {
      const response = await fetch(`/api/docs/${encodeURIComponent(docId)}?from=${encodeURIComponent(start)}`);
      const body = await response.json();
      if (!body.ok) throw new Error(body.error);
      segments = body.segments;
      if (body.speech_note) now.textContent = "暂时不能朗读：" + body.speech_note;
    } catch (error) { now.textContent = "暂时无法加载朗读，请检查网络后刷新。"; return; }
    const saved = store.get("pos:" + docId, null);
    current = start ? indexOf(start) : saved ? indexOf(saved.passage, saved.index) : 0;
    if (current < 0) current = 0;
    mark(current, !!start || !!saved);
    if (params.get("play") === "1") play(current);
  }

  function mark(i, scroll) {
    article.querySelectorAll(".s.reading").forEach((el) => el.classList.remove("reading"));
    const seg = segments[i];
    if (!seg) return;
    const span = spanOf(seg);
    if (span) {
      span.classList.add("reading");
      // Follow the reading only when the listener has not scrolled by hand in the last few seconds.
      if (scroll && Date.now() - userScrolledAt > 4000) span.scrollIntoView({ block: "center", behavior: "smooth" });
      now.textContent = span.textContent;
    }
  }

  function play(i) {
    if (!segments[i]) { stop(); return; }
    current = i;
    const seg = segments[i];
    audio.src = seg.url;
    audio.playbackRate = parseFloat(speed.value);
    audio.play().catch(() => { now.textContent = "点「播放」开始收听"; setPlaying(false); });
    setPlaying(true);
    mark(i, true);
    store.set("pos:" + docId, { passage: seg.passage, index: seg.index });
    store.set("last", { doc: docId, passage: seg.passage, title: article.dataset.title });
    if (segments[i + 1]) next.src = segments[i + 1].url;
    updateMediaSession();
  }

  function stop() { audio.pause(); setPlaying(false); }
  function setPlaying(on) { playButton.textContent = on ? "⏸ 暂停" : "▶ 播放"; playButton.setAttribute("aria-label", on ? "暂停" : "播放"); }

  audio.addEventListener("ended", () => {
    const seg = segments[current];
    if (sleepAt && Date.now() >= sleepAt) { stop(); sleepAt = null; sleep.value = ""; return; }
    if (stopAtPassage && seg && segments[current + 1]?.passage !== stopAtPassage && seg.passage === stopAtPassage) { stop(); stopAtPassage = null; sleep.value = ""; return; }
    if (current + 1 < segments.length) play(current + 1);
    else { stop(); store.set("pos:" + docId, null); continueShelf(); }
  });
  audio.addEventListener("error", () => {
    // The sentence may still be rendering, or the server restarted: try again shortly instead of getting stuck.
    now.textContent = "正在准备声音…";
    setTimeout(() => { if (!audio.paused || playButton.textContent.includes("暂停")) play(current); }, 1500);
  });

  function continueShelf() {
    if (!document.getElementById("continuous").checked) return;
    fetch("/api/shelves").then((r) => r.json()).then((body) => {
      const docs = body.shelves.filter((s) => s.name === article.dataset.shelf).flatMap((s) => s.volumes.flatMap((v) => v.docs));
      const at = docs.findIndex((d) => d.id === docId);
      if (docs[at + 1]) location.href = `/doc/${docs[at + 1].id}?play=1&continuous=1${document.body.classList.contains("kiosk") ? "&kiosk=1" : ""}`;
    });
  }

  function passageStart(direction) {
    const passage = segments[current]?.passage;
    let i = current;
    if (direction < 0) {
      while (i > 0 && segments[i - 1].passage === passage) i--;
      if (i === current || segments[current].index === 0) { i--; const p = segments[i]?.passage; while (i > 0 && segments[i - 1].passage === p) i--; }
    } else {
      while (i < segments.length && segments[i].passage === passage) i++;
    }
    return Math.max(0, i);
  }

  document.querySelector(".controls").addEventListener("click", (event) => {
    const action = event.target.closest("button")?.dataset.action;
    if (!action || !segments.length) return;
    if (action === "play") { if (audio.paused) play(Math.max(current, 0)); else stop(); }
    if (action === "prev") play(Math.max(0, current - 1));
    if (action === "next") play(Math.min(segments.length - 1, current + 1));
    if (action === "prev-article") play(passageStart(-1));
    if (action === "next-article") play(passageStart(1));
    if (action === "again") { const p = segments[current]?.passage; play(indexOf(p)); }
  });

  article.addEventListener("click", (event) => {
    const span = event.target.closest(".s");
    if (!span || !segments.length) return;
    const i = indexOf(span.dataset.p, parseInt(span.dataset.i, 10));
    if (i >= 0) play(i);
  });

  speed.value = String(store.get("speed", 1));
  if (!speed.value) speed.value = "1";
  speed.addEventListener("change", () => { audio.playbackRate = parseFloat(speed.value); store.set("speed", parseFloat(speed.value)); });
  sleep.addEventListener("change", () => {
    sleepAt = /^\d+$/.test(sleep.value) ? Date.now() + parseInt(sleep.value, 10) * 60000 : null;
    stopAtPassage = sleep.value === "article" ? segments[current]?.passage : null;
  });
  if (new URLSearchParams(location.search).get("continuous") === "1") document.getElementById("continuous").checked = true;
  for (const type of ["wheel", "touchmove"]) window.addEventListener(type, () => { userScrolledAt = Date.now(); }, { passive: true });

  function updateMediaSession() {
    if (!("mediaSession" in navigator)) return;
    navigator.mediaSession.metadata = new MediaMetadata({ title: article.dataset.title, artist: "随听随学", album: article.dataset.shelf,
      artwork: [{ src: "/static/icon.svg", sizes: "any", type: "image/svg+xml" }] });
    navigator.mediaSession.setActionHandler("play", () => play(Math.max(current, 0)));
    navigator.mediaSession.setActionHandler("pause", stop);
    navigator.mediaSession.setActionHandler("previoustrack", () => play(Math.max(0, current - 1)));
    navigator.mediaSession.setActionHandler("nexttrack", () => play(Math.min(segments.length - 1, current + 1)));
  }

  window.kioskPlayer = { audio, get current() { return current; }, get segments() { return segments; } };
  load();
})();
