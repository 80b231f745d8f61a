// The player: reads a document sentence by sentence, highlighting what it reads and remembering where it stopped.
"use strict";

(() => {
  const article = document.getElementById("doc");
  if (!article) return;
  const store = window.kioskStore;
  const docId = article.dataset.doc;
  const player = document.getElementById("player");
  const now = document.getElementById("now");
  const playButton = player.querySelector('[data-action="play"]');
  const bookmarkButton = player.querySelector('[data-action="bookmark"]');
  const speed = document.getElementById("speed");
  const sleep = document.getElementById("sleep");
  const audio = new Audio();
  const next = new Audio();  // prefetches the following sentence so there is no gap
  audio.preload = "auto";
  audio.preservesPitch = true;
  let segments = [];
  let current = -1;
  let wantPlaying = false;
  let retries = 0;
  let sleepAt = null;
  let stopAtPassage = null;
  let userScrolledAt = 0;

  const spanOf = (seg) => article.querySelector(`.s[data-p="${CSS.escape(seg.passage)}"][data-i="${seg.index}"]`);
  const indexOf = (passage, index = 0) => segments.findIndex((s) => s.passage === passage && s.index >= index);
  const absolute = (url) => new URL(url, location.href).href;
  const rate = () => parseFloat(speed.value) || 1;
  // Problems go to the status line and are announced; the sentence being read is not (it is already heard).
  const warn = (text) => { now.textContent = text; window.kioskToast?.(text); };

  async function load() {
    const params = new URLSearchParams(location.search);
    const start = params.get("p") || "";
    try {
      const response = await fetch(`/api/docs/${encodeURIComponent(docId)}?from=${encodeURIComponent(start)}`);
      const body = await response.json();
      if (!body.ok) throw new Error(body.error);
      segments = body.segments;
      if (body.speech_note) warn("暂时不能朗读：" + body.speech_note);
    } catch { warn(navigator.onLine ? "暂时无法加载朗读，请稍后刷新。" : "现在没有网络，这一篇还没有下载到本机。"); return; }
    const saved = store.get("pos:" + docId, null);
    current = start ? indexOf(start, parseInt(params.get("i") || "0", 10)) : saved ? indexOf(saved.passage, saved.index) : 0;
    if (current < 0) current = 0;
    mark(current, !!start || !!saved);
    if (segments[current]) audio.src = segments[current].url;  // fetched now, so pressing play sounds at once
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
    showBookmark();
  }

  function play(i) {
    if (!segments[i]) { stop(); return; }
    if (i !== current) retries = 0;
    current = i;
    const seg = segments[i];
    if (audio.src !== absolute(seg.url)) audio.src = seg.url;
    audio.defaultPlaybackRate = audio.playbackRate = rate();
    wantPlaying = true;
    audio.play().catch((error) => {
      if (error.name === "NotAllowedError") { wantPlaying = false; setPlaying(false); now.textContent = "点「播放」开始收听"; }
    });
    setPlaying(true);
    mark(i, true);
    store.set("pos:" + docId, { passage: seg.passage, index: seg.index });
    store.set("last", { doc: docId, passage: seg.passage, index: seg.index, title: article.dataset.title });
    if (segments[i + 1]) next.src = segments[i + 1].url;
    updateMediaSession();
  }

  function stop() { wantPlaying = false; audio.pause(); setPlaying(false); }

  // How long this page view listened and where it stopped, counted anonymously for the editors.
  let heardMs = 0, soundingSince = null;
  audio.addEventListener("playing", () => { soundingSince ??= performance.now(); });
  audio.addEventListener("pause", () => { if (soundingSince != null) heardMs += performance.now() - soundingSince; soundingSince = null; });
  function countListening() {
    if (soundingSince != null) { heardMs += performance.now() - soundingSince; soundingSince = performance.now(); }
    const seg = segments[Math.max(current, 0)];
    if (heardMs < 3000 || !seg) return;
    window.kioskUsage?.({ kind: "listen", doc: docId, seconds: Math.round(heardMs / 1000), passage: seg.passage,
      position: Math.max(current, 0), total: segments.length });
    heardMs = 0;
  }
  addEventListener("pagehide", countListening);
  document.addEventListener("visibilitychange", () => { if (document.hidden && !wantPlaying) countListening(); });
  function setPlaying(on) {
    playButton.querySelector(".label").textContent = on ? "暂停" : "播放";
    playButton.querySelector(".play-icon").textContent = on ? "❚❚" : "▶";
    playButton.setAttribute("aria-label", on ? "暂停" : "播放");
  }

  audio.addEventListener("ended", () => {
    const seg = segments[current];
    if (sleepAt && Date.now() >= sleepAt) { stop(); sleepAt = null; sleep.value = ""; return; }
    if (stopAtPassage && seg && seg.passage === stopAtPassage && segments[current + 1]?.passage !== stopAtPassage) { stop(); stopAtPassage = null; sleep.value = ""; return; }
    if (current + 1 < segments.length) play(current + 1);
    else { stop(); store.set("pos:" + docId, null); continueShelf(); }
  });
  // The server answers 503 "preparing" when a sentence is still being voiced (many listeners at once, or the
  // first play after an edit): keep waiting, saying so. Anything else (a restart, a lost packet) gets a few tries.
  const stillPreparing = (url) => fetch(url, { method: "HEAD", cache: "no-store" })
    .then((r) => r.status === 503).catch(() => false);
  audio.addEventListener("playing", () => {  // a "preparing" message gives way to the sentence once it sounds
    const span = segments[current] && spanOf(segments[current]);
    if (span) now.textContent = span.textContent;
  });
  audio.addEventListener("error", async () => {
    if (!wantPlaying) return;
    if (!navigator.onLine) { stop(); warn("现在没有网络，这一句还没有下载到本机。"); return; }
    const seg = segments[current];
    const preparing = seg ? await stillPreparing(seg.url) : false;
    if (!wantPlaying || segments[current] !== seg) return;
    if (++retries > (preparing ? 120 : 5)) { stop(); warn("这一句暂时放不出来，请稍后再试。"); return; }
    now.textContent = preparing ? "正在准备这一句的声音，请稍等…" : "正在准备声音…";
    setTimeout(() => {  // the same sentence again, keeping the message until it sounds
      if (!wantPlaying || segments[current] !== seg) return;
      audio.removeAttribute("src");
      audio.src = seg.url;
      audio.play().catch(() => {});
    }, preparing ? 500 : 1500);
  });

  function continueShelf() {
    if (!document.getElementById("continuous").checked) return;
    fetch("/api/shelves").then((r) => r.json()).then((body) => {
      const docs = body.shelves.filter((s) => s.name === article.dataset.shelf).flatMap((s) => s.volumes.flatMap((v) => v.docs));
      const at = docs.findIndex((d) => d.id === docId);
      if (docs[at + 1]) location.href = `/doc/${docs[at + 1].id}?play=1&continuous=1${document.body.classList.contains("kiosk") ? "&kiosk=1" : ""}`;
    }).catch(() => { now.textContent = "本篇已读完。"; });
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

  // Bookmarks: one sentence each, listed on the home page.
  const bookmarks = () => store.get("bookmarks", []);
  const sameSentence = (b, seg) => b.doc === docId && b.passage === seg.passage && b.index === seg.index;
  function toggleBookmark(seg) {
    if (!seg) return;
    const list = bookmarks();
    const at = list.findIndex((b) => sameSentence(b, seg));
    const text = spanOf(seg)?.textContent || "";
    if (at >= 0) list.splice(at, 1);
    else list.unshift({ doc: docId, passage: seg.passage, index: seg.index, title: article.dataset.title, text, at: Date.now() });
    store.set("bookmarks", list.slice(0, 200));
    showBookmarks();
    window.kioskToast?.(at >= 0 ? "已取消收藏" : "已收藏这一句，首页「我的收藏」里能找到");
  }
  function showBookmarks() {
    article.querySelectorAll(".s.bookmarked").forEach((el) => el.classList.remove("bookmarked"));
    for (const b of bookmarks()) if (b.doc === docId) spanOf(b)?.classList.add("bookmarked");
    showBookmark();
  }
  function showBookmark() {
    const on = !!segments[current] && bookmarks().some((b) => sameSentence(b, segments[current]));
    bookmarkButton.setAttribute("aria-pressed", String(on));
    bookmarkButton.textContent = on ? "★ 已收藏" : "☆ 收藏本句";
  }

  player.addEventListener("click", (event) => {
    const action = event.target.closest("button")?.dataset.action;
    if (!action || !segments.length) return;
    if (action === "play") { if (audio.paused) play(Math.max(current, 0)); else stop(); }
    if (action === "prev") play(Math.max(0, current - 1));
    if (action === "next") play(Math.min(segments.length - 1, current + 1));
    if (action === "prev-article") play(passageStart(-1));
    if (action === "next-article") play(passageStart(1));
    if (action === "again") { const p = segments[current]?.passage; play(indexOf(p)); }
    if (action === "bookmark") toggleBookmark(segments[Math.max(current, 0)]);
    if (action === "handoff") showHandoff(segments[Math.max(current, 0)]);
    if (action === "close-handoff") handoff.close();
  });

  // The kiosk hands the listening over to a phone: a QR code of this document at the sentence being read.
  const handoff = document.getElementById("handoff");
  let handoffTimer = null;
  function showHandoff(seg) {
    if (!handoff || !seg) return;
    handoff.querySelector("img").src = `/doc/${encodeURIComponent(docId)}/qr.svg?` + new URLSearchParams({ p: seg.passage, i: seg.index });
    handoff.showModal();
    clearTimeout(handoffTimer);
    handoffTimer = setTimeout(() => handoff.close(), 90000);
  }

  const segmentOf = (span) => segments[indexOf(span.dataset.p, parseInt(span.dataset.i, 10))];
  article.addEventListener("click", (event) => {
    const span = event.target.closest(".s");
    if (!span || !segments.length) return;
    const i = indexOf(span.dataset.p, parseInt(span.dataset.i, 10));
    if (i >= 0) play(i);
  });
  // A long press on a sentence bookmarks it (the context menu is what a long press opens on phones).
  article.addEventListener("contextmenu", (event) => {
    const span = event.target.closest(".s");
    if (!span || !segments.length) return;
    event.preventDefault();
    toggleBookmark(segmentOf(span));
  });

  speed.value = String(store.get("speed", 1));
  if (!speed.value) speed.value = "1";
  speed.addEventListener("change", () => { audio.defaultPlaybackRate = audio.playbackRate = rate(); store.set("speed", rate()); });
  sleep.addEventListener("change", () => {
    sleepAt = /^\d+$/.test(sleep.value) ? Date.now() + parseInt(sleep.value, 10) * 60000 : null;
    stopAtPassage = sleep.value === "article" ? segments[current]?.passage : null;
  });
  if (new URLSearchParams(location.search).get("continuous") === "1") document.getElementById("continuous").checked = true;
  for (const type of ["wheel", "touchmove"]) window.addEventListener(type, () => { userScrolledAt = Date.now(); }, { passive: true });

  // Keep the last lines of text clear of the fixed player, whatever its height on this screen.
  const fit = () => document.body.style.setProperty("--player-height", player.offsetHeight + "px");
  new ResizeObserver(fit).observe(player);

  function updateMediaSession() {
    if (!("mediaSession" in navigator)) return;
    navigator.mediaSession.metadata = new MediaMetadata({ title: article.dataset.title, artist: "随听随学", album: article.dataset.shelf,
      artwork: [{ src: "/static/icon.svg", sizes: "any", type: "image/svg+xml" }] });
    navigator.mediaSession.setActionHandler("play", () => play(Math.max(current, 0)));
    navigator.mediaSession.setActionHandler("pause", stop);
    navigator.mediaSession.setActionHandler("previoustrack", () => play(Math.max(0, current - 1)));
    navigator.mediaSession.setActionHandler("nexttrack", () => play(Math.min(segments.length - 1, current + 1)));
  }

  window.kioskPlayer = { audio, play, stop, get current() { return current; }, get segments() { return segments; },
    get playing() { return wantPlaying; } };
  load().then(showBookmarks);
})();
