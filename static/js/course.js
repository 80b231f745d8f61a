// Courses: the whole course played in order on one page, each unit ending with its spoken quiz, and the
// learner's progress on the course pages and lists.
// One Audio element plays every sentence one after another (the next one fetched ahead), so listening goes on with
// the phone's screen locked: the page never changes between documents.
"use strict";

(() => {
  const store = window.kioskStore;
  const isKiosk = document.body.classList.contains("kiosk");
  const learner = () => window.kioskLearner;
  const short = (key) => key.slice(0, 12);
  // Sentences this phone heard to the end, per course: the anonymous listener's progress (never on the kiosk).
  const localHeard = (id) => store.get("heard:" + id, { keys: [], total: 0 });
  const percent = (part, whole) => (whole ? Math.round((100 * part) / whole) : 0);

  // Lists of courses (/courses, /learn): a bar for how much is heard, here or, signed in, on any phone.
  function showListProgress() {
    for (const card of document.querySelectorAll(".course-card[data-course]")) {
      const id = card.dataset.course;
      const mine = localHeard(id);
      const hub = learner()?.progress(id);
      const heard = Math.max(hub?.heard || 0, mine.keys.length);
      const total = hub?.total || mine.total;
      const bar = card.querySelector(".course-progress");
      const text = card.querySelector(".course-progress-text");
      if (!total || (!heard && !hub?.completed)) { bar.hidden = true; if (text) text.hidden = true; continue; }
      bar.hidden = false; bar.max = total; bar.value = Math.min(heard, total);
      if (text) {
        text.hidden = false;
        text.textContent = hub?.completed ? "已学完" : `已听 ${percent(heard, total)}%`;
      }
    }
  }
  if (document.querySelector(".course-card[data-course]")) {
    showListProgress();
    addEventListener("kiosk:learner", showListProgress);
  }

  const page = document.getElementById("course");
  if (!page) return;
  const courseId = page.dataset.course;
  const panel = document.getElementById("course-player");
  const quizPanel = document.getElementById("course-quiz");
  const where = { unit: document.getElementById("cp-unit"), part: document.getElementById("cp-part") };
  const sentence = document.getElementById("cp-sentence");
  const status = document.getElementById("cp-status");
  const position = document.getElementById("cp-position");
  const count = document.getElementById("cp-count");
  const playButton = panel.querySelector('[data-action="play"]');
  const speed = document.getElementById("cp-speed");
  const sleep = document.getElementById("cp-sleep");
  const learnerLine = document.getElementById("learner-line");
  const audio = new Audio();
  const next = new Audio();  // fetches the following sentence ahead, so there is no gap
  audio.preload = next.preload = "auto";
  audio.preservesPitch = true;
  let course = null, prompts = {}, segments = [], unitStart = [], unitEnd = [];
  let current = -1, wantPlaying = false, retries = 0, mode = "course", quiz = null;
  let sleepAt = null, sleepAtUnitEnd = false;
  let played = 0, lastTime = 0;  // seconds of the current sentence really heard (no skipping) at a speed ≤ 2×
  let pending = [], reportTimer = null;
  const reported = new Set();
  const absolute = (url) => new URL(url, location.href).href;
  const rate = () => parseFloat(speed.value) || 1;
  const warn = (text) => { status.textContent = text; window.kioskToast?.(text); };

  async function load() {
    try {
      // Who is listening is known before the first tap can play anything (it decides where to resume).
      const [response] = await Promise.all([fetch(`/api/courses/${encodeURIComponent(courseId)}`), learner()?.ready]);
      const body = await response.json();
      if (!body.ok) throw new Error(body.error);
      course = body.course;
      prompts = body.prompts || {};
    } catch {
      panel.hidden = false;
      warn(navigator.onLine ? "暂时无法加载这门课的声音，请稍后刷新。" : "现在没有网络，这门课还没有下载到本机。");
      return;
    }
    course.units.forEach((unit, u) => {
      unitStart[u] = segments.length;
      const titles = Object.fromEntries(unit.parts.map((p) => [p.doc, p.section ? `${p.title} — ${p.section}` : p.title]));
      for (const s of unit.segments) segments.push({ ...s, unit: u, part: titles[s.doc] || "" });
      unitEnd[u] = segments.length - 1;
    });
    panel.hidden = false;
    if (course.speech_note || !segments.length) { warn("暂时不能朗读：" + (course.speech_note || "这门课没有可以朗读的内容")); return; }
    for (const box of page.querySelectorAll(".unit-actions")) box.hidden = false;
    if (!isKiosk) { const mine = localHeard(courseId); store.set("heard:" + courseId, { keys: mine.keys, total: segments.length }); }
    current = resumeAt();
    mark(current);
    if (current > 0) status.textContent = "接着上次听到的地方，点「播放」继续";
    if (!wantPlaying) audio.src = segments[current].url;  // fetched now, so pressing play sounds at once
    showProgress();
    if (new URLSearchParams(location.search).get("play") === "1") play(current);
  }

  // Where to start: this phone's last place; else, signed in, the first unit not heard to the end on any phone.
  function resumeAt() {
    const saved = store.get("course:" + courseId, null);
    if (saved) {
      const at = segments.findIndex((s) => s.key === saved.key);
      if (at >= 0) return at;
      if (saved.index < segments.length) return saved.index;
    }
    const hub = learner()?.progress(courseId);
    const unit = hub?.units?.findIndex((u) => u.heard < u.total) ?? -1;
    if (unit >= 0 && unitStart[unit] != null) return Math.min(unitStart[unit] + hub.units[unit].heard, unitEnd[unit]);
    return 0;
  }

  function mark(i) {
    const seg = segments[i];
    if (!seg) return;
    const unit = course.units[seg.unit];
    where.unit.textContent = `第${seg.unit + 1}单元　${unit.title}`;
    where.part.textContent = seg.part;
    sentence.textContent = seg.text;
    position.max = unitEnd[seg.unit] - unitStart[seg.unit] + 1;
    position.value = i - unitStart[seg.unit] + 1;
    count.textContent = `本单元第 ${i - unitStart[seg.unit] + 1} 句，共 ${position.max} 句`;
    for (const li of page.querySelectorAll(".unit[data-unit]")) li.classList.toggle("current", Number(li.dataset.unit) === seg.unit);
  }

  function play(i) {
    const seg = segments[i];
    if (!seg) { stop(); return; }
    credit(current);
    if (i !== current) retries = 0;
    current = i;
    played = 0; lastTime = 0;
    if (audio.src !== absolute(seg.url) || audio.error) audio.src = seg.url;  // a src set again loads again
    else audio.currentTime = 0;
    audio.defaultPlaybackRate = audio.playbackRate = rate();
    wantPlaying = true;
    audio.play().catch((error) => {
      if (error.name === "NotAllowedError") { wantPlaying = false; setPlaying(false); status.textContent = "点「播放」开始收听"; }
    });
    setPlaying(true);
    status.textContent = "";
    mark(i);
    store.set("course:" + courseId, { key: seg.key, index: i });
    if (segments[i + 1] && segments[i + 1].unit === seg.unit) next.src = segments[i + 1].url;
    updateMediaSession(seg);
  }

  function stop() {
    wantPlaying = false;
    audio.pause();
    setPlaying(false);
    sendReport();
  }

  function setPlaying(on) {
    playButton.querySelector(".label").textContent = on ? "暂停" : "播放";
    playButton.querySelector(".play-icon").textContent = on ? "❚❚" : "▶";
    playButton.setAttribute("aria-label", on ? "暂停" : "播放");
    if ("mediaSession" in navigator) navigator.mediaSession.playbackState = on ? "playing" : "paused";
  }

  // A sentence counts as heard when it played to its end, or at least 90% of it was heard at a speed up to 2×.
  audio.addEventListener("timeupdate", () => {
    if (mode !== "course") return;
    const step = audio.currentTime - lastTime;
    if (step > 0 && step < 1.5 && audio.playbackRate <= 2) played += step;
    lastTime = audio.currentTime;
  });
  function credit(i, ended = false) {
    const seg = segments[i];
    if (!seg) return;
    const length = Number.isFinite(audio.duration) && audio.src === absolute(seg.url) ? audio.duration : seg.duration;
    if (!ended && !(length && played >= 0.9 * length)) return;
    played = 0;
    if (!isKiosk) {
      const mine = localHeard(courseId);
      if (!mine.keys.includes(short(seg.key))) {
        mine.keys.push(short(seg.key));
        store.set("heard:" + courseId, { keys: mine.keys, total: segments.length });
        showProgress();
      }
    }
    if (reported.has(seg.key) || !learner()?.current) return;
    reported.add(seg.key);
    pending.push(seg.key);
    if (pending.length >= 5) sendReport();
    else if (!reportTimer) reportTimer = setTimeout(sendReport, 30000);
  }
  // Heard sentences go to the hub in small batches, each with its own id (see the outbox in offline.js).
  function sendReport() {
    clearTimeout(reportTimer); reportTimer = null;
    if (!pending.length) return;
    learner()?.heard(courseId, pending);
    pending = [];
  }
  addEventListener("pagehide", () => { if (mode === "course" && wantPlaying) credit(current); sendReport(); });

  audio.addEventListener("ended", () => {
    if (mode !== "course") return;
    const seg = segments[current];
    credit(current, true);
    if (sleepAt && Date.now() >= sleepAt) { stop(); clearSleep(); advance(); status.textContent = "定时到了，已停止。"; return; }
    if (current === unitEnd[seg.unit]) { unitDone(seg.unit); return; }
    if (current + 1 < segments.length) play(current + 1);
  });
  // Move the place on without playing (a stop at the end of a sentence continues with the next one).
  function advance() {
    if (current + 1 >= segments.length) return;
    current++;
    played = 0; lastTime = 0;
    mark(current);
    store.set("course:" + courseId, { key: segments[current].key, index: current });
    audio.src = segments[current].url;
  }

  // The end of a unit: its quiz, then the next unit (unless the sleep timer said to stop here).
  function unitDone(u) {
    const last = u === course.units.length - 1;
    const questions = course.units[u].questions;
    // Heard to its end: coming back later starts the next unit (this unit's quiz stays a tap away).
    if (!last) store.set("course:" + courseId, { key: segments[unitStart[u + 1]].key, index: unitStart[u + 1] });
    if (sleepAtUnitEnd) {
      stop(); clearSleep(); advance();
      status.textContent = `第${u + 1}单元听完了，已停止。` + (questions.length ? "可以点「做本单元测验」。" : "");
      return;
    }
    sendReport();
    if (questions.length) { startQuiz(u, true); return; }
    if (last) finished(); else play(unitStart[u + 1]);
  }

  function finished() {
    stop();
    store.set("course:" + courseId, null);
    status.textContent = "这门课听完了。";
  }

  // A unit's quiz, at the unit's end (then the next unit follows) or when the learner asks for it (then the
  // listening goes on where it was).
  function startQuiz(u, atUnitEnd) {
    const wasPlaying = wantPlaying || atUnitEnd;
    credit(current);
    wantPlaying = false;
    audio.pause();
    setPlaying(false);
    mode = "quiz";
    panel.hidden = true;
    quizPanel.hidden = false;
    quizPanel.scrollIntoView({ block: "start", behavior: "smooth" });
    quiz?.close();
    quiz = new window.KioskQuiz(quizPanel, { audio, course: courseId, intro: prompts.unit_quiz || [], rate,
      title: `第${u + 1}单元测验`, listenLabel: "重听题目", leaveLabel: "跳过测验，继续听课", onLeave: () => endQuiz(u, atUnitEnd, wasPlaying),
      onAnswer: ({ question, right }) => keepAnswer(question.id, right) });
    if ("mediaSession" in navigator) {
      navigator.mediaSession.metadata = new MediaMetadata({ title: `第${u + 1}单元测验`, artist: "随听随学", album: course.title,
        artwork: [{ src: "/static/icon.svg", sizes: "any", type: "image/svg+xml" }] });
    }
    quiz.ask(course.units[u].questions);
  }
  function closeQuiz() {
    quiz?.close();
    quiz = null;
    mode = "course";
    quizPanel.hidden = true;
    quizPanel.replaceChildren();
    delete quizPanel.dataset.used;
    panel.hidden = false;
    showProgress();
    updateMediaSession(segments[current], true);
  }
  function endQuiz(u, atUnitEnd, continuePlaying) {
    closeQuiz();
    if (atUnitEnd) {
      if (unitStart[u + 1] == null) { finished(); return; }
      current = unitStart[u + 1];
      mark(current);
      audio.src = segments[current].url;
    }
    panel.scrollIntoView({ block: "start", behavior: "smooth" });
    if (continuePlaying) play(current);
  }
  // Answers on this phone, for the units' progress when nobody is signed in.
  function keepAnswer(question, right) {
    if (isKiosk) return;
    store.set("quiz:" + courseId, { ...store.get("quiz:" + courseId, {}), [question]: right });
    showProgress();
  }

  // The server answers 503 while it is still voicing a sentence: keep waiting, saying so. Anything else (a restart,
  // a lost packet) gets a few more tries.
  audio.addEventListener("playing", () => { if (mode === "course") status.textContent = ""; });
  audio.addEventListener("error", async () => {
    if (mode !== "course" || !wantPlaying) return;
    if (!navigator.onLine) { stop(); warn("现在没有网络，这一句还没有下载到本机。"); return; }
    const seg = segments[current];
    const preparing = seg ? await window.kioskSpeech.stillPreparing(seg.url) : false;
    if (!wantPlaying || segments[current] !== seg || mode !== "course") return;
    if (++retries > (preparing ? 120 : 5)) { stop(); warn("这一句暂时放不出来，请稍后再试。"); return; }
    status.textContent = preparing ? "正在准备这一句的声音，请稍等…" : "正在准备声音…";
    setTimeout(() => {
      if (!wantPlaying || segments[current] !== seg || mode !== "course") return;
      audio.removeAttribute("src");
      audio.src = seg.url;
      audio.defaultPlaybackRate = audio.playbackRate = rate();
      audio.play().catch(() => {});
    }, preparing ? 500 : 1500);
  });

  // Progress per unit: sentences heard and the quiz, from the hub when signed in, else from this phone.
  function showProgress() {
    if (!course) return;
    const hub = learner()?.progress(courseId);
    const mine = new Set(localHeard(courseId).keys);
    const answers = store.get("quiz:" + courseId, {});
    course.units.forEach((unit, u) => {
      const li = page.querySelector(`.unit[data-unit="${u}"]`);
      const box = li?.querySelector(".unit-progress");
      if (!box) return;
      const total = unit.segments.length;
      const here = unit.segments.filter((s) => mine.has(short(s.key))).length;
      const heard = Math.min(total, Math.max(hub?.units?.[u]?.heard || 0, here));
      const hubQuiz = hub?.units?.[u]?.quiz;
      const local = unit.questions.filter((q) => q in answers);
      const quizText = hubQuiz?.answered ? `测验答对 ${hubQuiz.right}/${hubQuiz.total} 道`
        : local.length ? `测验答对 ${local.filter((q) => answers[q]).length}/${unit.questions.length} 道` : "";
      if (isKiosk || (!heard && !quizText)) { box.hidden = true; return; }
      box.hidden = false;
      box.querySelector("progress").max = total;
      box.querySelector("progress").value = heard;
      box.querySelector(".unit-progress-text").textContent =
        (heard >= total ? "已听完" : `已听 ${percent(heard, total)}%`) + (quizText ? ` · ${quizText}` : "");
    });
  }

  function showLearner() {
    if (!learnerLine) return;
    const who = learner()?.current;
    if (learner()?.available === false && !who) { learnerLine.hidden = true; return; }
    learnerLine.hidden = false;
    learnerLine.innerHTML = who
      ? `<span>${escapeHtml(who.name)}（${escapeHtml(who.community || who.town || "")}）正在学习，收听和答题会记入学习记录</span>`
      : `<a href="${escapeHtml(window.appLink("/learn"))}">登录</a>后，听了哪些、答对几道会记下来，换手机也能接着学`;
  }
  addEventListener("kiosk:learner", () => { showLearner(); showProgress(); });

  panel.addEventListener("click", (event) => {
    const action = event.target.closest("button")?.dataset.action;
    if (!action || !segments.length) return;
    if (action === "play") { if (wantPlaying) stop(); else play(Math.max(current, 0)); }
    if (action === "prev") play(Math.max(0, current - 1));
    if (action === "next") play(Math.min(segments.length - 1, current + 1));
    if (action === "again") play(current);
  });
  page.addEventListener("click", (event) => {
    const unitPlay = event.target.closest("[data-unit-play]");
    const unitQuiz = event.target.closest("[data-unit-quiz]");
    if (!segments.length) return;
    if (unitPlay) {
      if (mode === "quiz") closeQuiz();
      play(unitStart[Number(unitPlay.dataset.unitPlay)]);
      panel.scrollIntoView({ block: "start", behavior: "smooth" });
    }
    if (unitQuiz) startQuiz(Number(unitQuiz.dataset.unitQuiz), false);
  });

  speed.value = String(store.get("speed", 1));
  if (!speed.value) speed.value = "1";
  speed.addEventListener("change", () => { audio.defaultPlaybackRate = audio.playbackRate = rate(); store.set("speed", rate()); });
  const clearSleep = () => { sleepAt = null; sleepAtUnitEnd = false; sleep.value = ""; };
  sleep.addEventListener("change", () => {
    sleepAt = /^\d+$/.test(sleep.value) ? Date.now() + parseInt(sleep.value, 10) * 60000 : null;
    sleepAtUnitEnd = sleep.value === "unit";
  });

  // The lock screen and headphones: the course and the part being read, and play, pause, previous, next sentence.
  let sessionReady = false, shownPart = null;
  function updateMediaSession(seg, again = false) {
    if (!("mediaSession" in navigator) || !seg) return;
    const part = `${seg.unit}:${seg.part}`;
    if (part !== shownPart || again) {
      shownPart = part;
      navigator.mediaSession.metadata = new MediaMetadata({ title: seg.part || course.title,
        artist: `第${seg.unit + 1}单元 ${course.units[seg.unit].title}`, album: course.title,
        artwork: [{ src: "/static/icon.svg", sizes: "any", type: "image/svg+xml" }] });
    }
    if (sessionReady) return;
    sessionReady = true;
    const inCourse = (action) => () => { if (mode === "course") action(); };
    navigator.mediaSession.setActionHandler("play", inCourse(() => play(Math.max(current, 0))));
    navigator.mediaSession.setActionHandler("pause", () => { if (mode === "course") stop(); else quiz?.stop(); });
    navigator.mediaSession.setActionHandler("previoustrack", inCourse(() => play(Math.max(0, current - 1))));
    navigator.mediaSession.setActionHandler("nexttrack", inCourse(() => play(Math.min(segments.length - 1, current + 1))));
  }

  // For the kiosk's idle reset (it waits while someone listens) and for tests.
  const api = { audio, play, stop, get current() { return current; }, get segments() { return segments; },
    get mode() { return mode; }, get quiz() { return quiz; }, get units() { return course?.units || []; },
    get unitStart() { return unitStart; }, get unitEnd() { return unitEnd; },
    get playing() { return wantPlaying || !!quiz?.playing; } };
  window.kioskCourse = api;
  window.kioskPlayer = api;
  showLearner();
  load().then(showLearner);
})();
