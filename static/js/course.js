// Courses: the whole course played in order on one page, each unit ending with its spoken quiz, and the
// learner's progress on the course pages and lists.
// The sentence player (sentence-player.js) plays every sentence one after another and then the quiz's on the same
// <audio>, so listening goes on with the phone's screen locked: the page never changes between documents.
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
  const learnerLine = document.getElementById("learner-line");
  let course = null, prompts = {}, segments = [], unitStart = [], unitEnd = [];
  let mode = "course", quiz = null;
  let played = 0, lastTime = 0;  // seconds of the current sentence really heard (no skipping) at a speed ≤ 2×
  let pending = [], reportTimer = null;
  const reported = new Set();
  const absolute = (url) => new URL(url, location.href).href;
  const warn = (text) => { status.textContent = text; window.kioskToast?.(text); };
  const player = new window.KioskSentencePlayer({
    controls: panel, speed: document.getElementById("cp-speed"), sleep: document.getElementById("cp-sleep"),
    show: (text) => { status.textContent = text; },
    groupOf: (seg) => seg.unit,
    groupDone: (seg) => `第${seg.unit + 1}单元听完了，已停止。` + (course.units[seg.unit].questions.length ? "可以点「做本单元测验」。" : ""),
    // The lock screen and headphones: the course and the part being read.
    describe: (seg) => ({ title: seg.part || course.title, artist: `第${seg.unit + 1}单元 ${course.units[seg.unit].title}`,
      album: course.title }),
    onSentence: (i, { previous }) => {
      credit(previous);
      played = 0; lastTime = 0;
      mark(i);
      keepPlace(i);
    },
    onHeard: (i) => credit(i, true),
    atGroupEnd: (i) => unitDone(segments[i].unit),
    onFinished: finished,
    onStop: sendReport,
  });
  const audio = player.audio;

  // This phone's last place in the course: the sentence, its words and when, for 我的学习's 继续上次.
  function keepPlace(i) {
    const seg = segments[i];
    store.set("course:" + courseId, { key: seg.key, index: i, text: seg.text, unit: seg.unit,
      unitTitle: course.units[seg.unit].title, title: course.title, at: Date.now() });
  }

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
    player.segments = segments;
    panel.hidden = false;
    if (course.speech_note || !segments.length) { warn("暂时不能朗读：" + (course.speech_note || "这门课没有可以朗读的内容")); return; }
    for (const box of page.querySelectorAll(".unit-actions")) box.hidden = false;
    if (!isKiosk) { const mine = localHeard(courseId); store.set("heard:" + courseId, { ...mine, total: segments.length }); }
    player.cue(resumeAt());
    if (player.current > 0) status.textContent = "接着上次听到的地方，点「播放」继续";
    showProgress();
    if (new URLSearchParams(location.search).get("play") === "1") player.play(player.current);
  }

  // Where to start: the sentence the link names (继续上次 on 我的学习), this phone's last place; else, signed in,
  // the first unit not heard to the end on any phone.
  function resumeAt() {
    const asked = segments.findIndex((s) => s.key === new URLSearchParams(location.search).get("at"));
    if (asked >= 0) return asked;
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
        store.set("heard:" + courseId, { keys: mine.keys, total: segments.length, seconds: (mine.seconds || 0) + (seg.duration || 0) });
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
  addEventListener("pagehide", () => {
    if (mode === "course" && player.playing) credit(player.current);
    sendReport();
  });

  // The end of a unit (the sleep timer did not stop here): its quiz, then the next unit. True when the quiz
  // takes over; else the sentence player goes on with the next unit, or says the course is finished.
  function unitDone(u) {
    // Heard to its end: coming back later starts the next unit (this unit's quiz stays a tap away).
    const next = unitStart[u + 1];
    if (next != null) keepPlace(next);
    sendReport();
    if (!course.units[u].questions.length) return false;
    startQuiz(u, true);
    return true;
  }

  function finished() {
    store.set("course:" + courseId, null);
    status.textContent = "这门课听完了。";
  }

  // A unit's quiz, at the unit's end (then the next unit follows) or when the learner asks for it (then the
  // listening goes on where it was).
  function startQuiz(u, atUnitEnd) {
    const wasPlaying = (mode === "course" && player.playing) || atUnitEnd;
    credit(player.current);
    player.stop();
    mode = "quiz";
    panel.hidden = true;
    quizPanel.hidden = false;
    quizPanel.scrollIntoView({ block: "start", behavior: "smooth" });
    quiz?.close();
    quiz = new window.KioskQuiz(quizPanel, { player, course: courseId, intro: prompts.unit_quiz || [],
      title: `第${u + 1}单元测验`, listenLabel: "重听题目", leaveLabel: "跳过测验，继续听课", onLeave: () => endQuiz(u, atUnitEnd, wasPlaying),
      onAnswer: ({ question, right }) => keepAnswer(question.id, right) });
    player.showOnLockScreen({ title: `第${u + 1}单元测验`, album: course.title });
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
  }
  function endQuiz(u, atUnitEnd, continuePlaying) {
    closeQuiz();
    if (atUnitEnd && unitStart[u + 1] == null) { finished(); return; }
    player.cue(atUnitEnd ? unitStart[u + 1] : player.current);  // back to the course's sentence, on the lock screen too
    panel.scrollIntoView({ block: "start", behavior: "smooth" });
    if (continuePlaying) player.play(player.current);
  }
  // Answers on this phone, for the units' progress when nobody is signed in.
  function keepAnswer(question, right) {
    if (isKiosk) return;
    store.set("quiz:" + courseId, { ...store.get("quiz:" + courseId, {}), [question]: right });
    showProgress();
  }

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
      // Under the last unit, how many more right answers the course's pass mark needs (the hub's best answers).
      const pass = u === course.units.length - 1 && hub?.pass;
      const passText = pass && pass.right < pass.needed
        ? `还要答对 ${pass.needed - pass.right} 道才到及格线（${pass.mark}%）` : "";
      if (isKiosk || (!heard && !quizText && !passText)) { box.hidden = true; return; }
      box.hidden = false;
      box.querySelector("progress").max = total;
      box.querySelector("progress").value = heard;
      box.querySelector(".unit-progress-text").textContent =
        (heard >= total ? "已听完" : `已听 ${percent(heard, total)}%`) + (quizText ? ` · ${quizText}` : "")
        + (passText ? ` · ${passText}` : "");
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

  // Play, previous and next sentence are the sentence player's.
  panel.addEventListener("click", (event) => {
    if (event.target.closest("button")?.dataset.action === "again" && segments.length) player.play(player.current);
  });
  page.addEventListener("click", (event) => {
    const unitPlay = event.target.closest("[data-unit-play]");
    const unitQuiz = event.target.closest("[data-unit-quiz]");
    if (!segments.length) return;
    if (unitPlay) {
      if (mode === "quiz") closeQuiz();
      player.play(unitStart[Number(unitPlay.dataset.unitPlay)]);
      panel.scrollIntoView({ block: "start", behavior: "smooth" });
    }
    if (unitQuiz) startQuiz(Number(unitQuiz.dataset.unitQuiz), false);
  });

  // The course's state, for tests (the sentence player itself is window.kioskPlayer).
  window.kioskCourse = { player, audio, play: (i) => player.play(i), stop: () => player.stop(),
    get current() { return player.current; }, get segments() { return segments; },
    get playing() { return player.playing; }, get mode() { return mode; }, get quiz() { return quiz; }, get units() { return course?.units || []; },
    get unitStart() { return unitStart; }, get unitEnd() { return unitEnd; } };
  showLearner();
  load().then(showLearner);
})();
