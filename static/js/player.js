// The document page: its sentences read aloud by the sentence player (sentence-player.js), the one being read
// highlighted in the text, where the listener stopped remembered, bookmarks, and the kiosk's hand-over to a phone.
"use strict";

(() => {
  const article = document.getElementById("doc");
  if (!article) return;
  const store = window.kioskStore;
  const docId = article.dataset.doc;
  const player = document.getElementById("player");
  const now = document.getElementById("now");
  const bookmarkButton = player.querySelector('[data-action="bookmark"]');
  let userScrolledAt = 0;

  const spanOf = (seg) => article.querySelector(`.s[data-p="${CSS.escape(seg.passage)}"][data-i="${seg.index}"]`);
  const indexOf = (passage, index = 0) =>
    sentences.segments.findIndex((s) => s.passage === passage && s.index >= index);
  // The status line shows the sentence being read, or what the player has to say instead (waiting, a problem).
  const show = (text) => {
    const seg = sentences.segments[sentences.current];
    now.textContent = text || (seg && spanOf(seg)?.textContent) || now.textContent;
  };
  // Problems go to the status line and are announced; the sentence being read is not (it is already heard).
  const warn = (text) => { now.textContent = text; window.kioskToast?.(text); };
  const sentences = new window.KioskSentencePlayer({
    controls: player, speed: document.getElementById("speed"), sleep: document.getElementById("sleep"), show,
    groupOf: (seg) => seg.passage, groupDone: () => "这一段读完了，已停止。",
    describe: () => ({ title: article.dataset.title, album: article.dataset.shelf }),
    onSentence: (i, { playing }) => { mark(i, playing); if (playing) remember(sentences.segments[i]); },
    onFinished: () => { store.set("pos:" + docId, null); continueShelf(); },
  });
  const audio = sentences.audio;

  async function load() {
    const params = new URLSearchParams(location.search);
    const start = params.get("p") || "";
    try {
      const response = await fetch(`/api/docs/${encodeURIComponent(docId)}?from=${encodeURIComponent(start)}`);
      const body = await response.json();
      if (!body.ok) throw new Error(body.error);
      sentences.segments = body.segments;
      if (body.speech_note) warn("暂时不能朗读：" + body.speech_note);
    } catch { warn(navigator.onLine ? "暂时无法加载朗读，请稍后刷新。" : "现在没有网络，这一篇还没有下载到本机。"); return; }
    const saved = store.get("pos:" + docId, null);
    const at = start ? indexOf(start, parseInt(params.get("i") || "0", 10))
      : saved ? indexOf(saved.passage, saved.index) : 0;
    sentences.cue(Math.max(at, 0));
    if (start || saved) mark(sentences.current, true);
    if (params.get("play") === "1") sentences.play(sentences.current);
  }

  function mark(i, scroll) {
    article.querySelectorAll(".s.reading").forEach((el) => el.classList.remove("reading"));
    const seg = sentences.segments[i];
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

  // Where this document stopped, and the last document heard (the home page's 继续收听).
  function remember(seg) {
    store.set("pos:" + docId, { passage: seg.passage, index: seg.index });
    store.set("last", { doc: docId, passage: seg.passage, index: seg.index, title: article.dataset.title });
  }

  // How long this page view listened and where it stopped, counted anonymously for the editors.
  let heardMs = 0, soundingSince = null;
  audio.addEventListener("playing", () => { soundingSince ??= performance.now(); });
  audio.addEventListener("pause", () => { if (soundingSince != null) heardMs += performance.now() - soundingSince; soundingSince = null; });
  function countListening() {
    if (soundingSince != null) { heardMs += performance.now() - soundingSince; soundingSince = performance.now(); }
    const position = Math.max(sentences.current, 0);
    const seg = sentences.segments[position];
    if (heardMs < 3000 || !seg) return;
    window.kioskUsage?.({ kind: "listen", doc: docId, seconds: Math.round(heardMs / 1000), passage: seg.passage,
      position, total: sentences.segments.length });
    heardMs = 0;
  }
  addEventListener("pagehide", countListening);
  document.addEventListener("visibilitychange", () => { if (document.hidden && !sentences.playing) countListening(); });

  function continueShelf() {
    if (!document.getElementById("continuous").checked) return;
    fetch("/api/shelves").then((r) => r.json()).then((body) => {
      const docs = body.shelves.filter((s) => s.name === article.dataset.shelf).flatMap((s) => s.volumes.flatMap((v) => v.docs));
      const at = docs.findIndex((d) => d.id === docId);
      if (docs[at + 1]) location.href = `/doc/${docs[at + 1].id}?play=1&continuous=1${document.body.classList.contains("kiosk") ? "&kiosk=1" : ""}`;
    }).catch(() => { now.textContent = "本篇已读完。"; });
  }

  function passageStart(direction) {
    const { segments, current } = sentences;
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
    const seg = sentences.segments[sentences.current];
    const on = !!seg && bookmarks().some((b) => sameSentence(b, seg));
    bookmarkButton.setAttribute("aria-pressed", String(on));
    bookmarkButton.textContent = on ? "★ 已收藏" : "☆ 收藏本句";
  }

  // Play, previous and next sentence are the sentence player's; these are the document's own.
  player.addEventListener("click", (event) => {
    const action = event.target.closest("button")?.dataset.action;
    const { segments, current } = sentences;
    if (!action || !segments.length) return;
    if (action === "prev-article") sentences.play(passageStart(-1));
    if (action === "next-article") sentences.play(passageStart(1));
    if (action === "again") sentences.play(indexOf(segments[current]?.passage));
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

  const segmentOf = (span) => sentences.segments[indexOf(span.dataset.p, parseInt(span.dataset.i, 10))];
  article.addEventListener("click", (event) => {
    const span = event.target.closest(".s");
    if (!span || !sentences.segments.length) return;
    const i = indexOf(span.dataset.p, parseInt(span.dataset.i, 10));
    if (i >= 0) sentences.play(i);
  });
  // A long press on a sentence bookmarks it (the context menu is what a long press opens on phones).
  article.addEventListener("contextmenu", (event) => {
    const span = event.target.closest(".s");
    if (!span || !sentences.segments.length) return;
    event.preventDefault();
    toggleBookmark(segmentOf(span));
  });

  if (new URLSearchParams(location.search).get("continuous") === "1") document.getElementById("continuous").checked = true;
  for (const type of ["wheel", "touchmove"]) window.addEventListener(type, () => { userScrolledAt = Date.now(); }, { passive: true });

  // Keep the last lines of text clear of the fixed player, whatever its height on this screen.
  const fit = () => document.body.style.setProperty("--player-height", player.offsetHeight + "px");
  new ResizeObserver(fit).observe(player);

  load().then(showBookmarks);
})();
