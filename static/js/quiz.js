// Spoken questions: one component for a unit's quiz on the course page and for 每日一题 on the home page.
// It reads the question and each option aloud (highlighting the option being read), takes a tap, says at once
// whether it was right, then reads and shows the answer with its explanation. The reading is the sentence
// player's (sentence-player.js): the course page's own, so the quiz sounds where the course did, else its own.
"use strict";

(() => {
  const TRUE_FALSE = [{ letter: "对", text: "对", audio: [] }, { letter: "错", text: "错", audio: [] }];
  const isAbort = (error) => error?.name === "AbortError";

  /** One quiz: a list of questions asked one by one inside `root`. */
  class Quiz {
    constructor(root, { player = null, course = "", intro = [], title = "", listenLabel = "听题", single = false,
      leaveLabel = "", onLeave = null, onAnswer = null } = {}) {
      player ??= new window.KioskSentencePlayer();
      Object.assign(this, { root, player, course, intro, title, listenLabel, single, leaveLabel, onLeave, onAnswer });
      this.questions = [];
      this.at = 0;
      this.results = [];
      this.speaking = null;  // the AbortController of what is being read, if anything
      this.finished = null;
      root.classList.add("quiz");
      // Anything a visitor taps here makes the kiosk's idle reset bring the page back fresh.
      this.listening = new AbortController();  // close() takes the listener away: the next quiz may use this root
      root.addEventListener("click", (event) => { root.dataset.used = "1"; this.click(event); }, { signal: this.listening.signal });
    }

    /** Ask these questions (ids, or question objects from the API); resolves with the results when all are done. */
    ask(questions, { speak = true } = {}) {
      this.questions = questions;
      this.at = 0;
      this.results = [];
      this.finished = new Promise((resolve) => { this.resolve = resolve; });
      this.show(speak, true);
      return this.finished;
    }

    get playing() { return !!this.speaking; }

    stop() { this.speaking?.abort(); this.speaking = null; }

    /** Stop reading and stop answering taps, for good. */
    close() { this.stop(); this.listening.abort(); }

    async show(speak, first = false) {
      this.stop();
      const item = this.questions[this.at];
      this.root.dataset.state = "loading";
      this.root.replaceChildren(this.line("quiz-status meta", "正在打开题目…"));
      let body;
      try {
        body = typeof item === "string" ? await this.fetchQuestion(item) : item;
      } catch {
        body = null;
      }
      if (this.listening.signal.aborted) return;  // closed while the question was on its way
      if (!body) {
        this.question = null;
        this.root.dataset.state = "failed";
        const buttons = [["next", this.at + 1 < this.questions.length ? "下一题" : "做完了", "primary"]];
        if (this.leaveLabel) buttons.push(["leave", this.leaveLabel]);
        this.root.replaceChildren(this.line("notice", navigator.onLine ? "这道题现在打不开。" : "现在没有网络，这道题还没有下载到本机。"),
          this.actions(buttons));
        return;
      }
      this.question = body.question;
      this.prompts = body.prompts || {};
      this.render();
      if (speak) this.read(first ? this.intro : []);
    }

    async fetchQuestion(id) {
      const response = await fetch(`/api/questions/${encodeURIComponent(id)}`);
      const body = await response.json();
      if (!body.ok) throw new Error(body.error);
      return body;
    }

    line(className, text) { const p = document.createElement("p"); p.className = className; p.textContent = text; return p; }

    actions(buttons) {
      const box = document.createElement("div");
      box.className = "quiz-actions";
      for (const [name, label, extra] of buttons) {
        const button = document.createElement("button");
        button.type = "button"; button.dataset.quiz = name; button.textContent = label;
        if (extra) button.className = extra;
        box.append(button);
      }
      return box;
    }

    options() { return this.question.kind === "truefalse" ? TRUE_FALSE : this.question.options; }

    render() {
      const q = this.question;
      this.root.dataset.state = "asking";
      this.root.dataset.kind = q.kind;
      this.chosen = new Set();
      const head = document.createElement("p");
      head.className = "quiz-head";
      const where = this.single ? "" : `第 ${this.at + 1} 题，共 ${this.questions.length} 题`;
      head.innerHTML = (this.title ? `<span class="quiz-title">${escapeHtml(this.title)}</span>` : "") +
        (where ? `<span class="quiz-count">${where}</span>` : "") + `<span class="badge">${escapeHtml(q.kind_label)}</span>`;
      const list = document.createElement("ol");
      list.className = "quiz-options";
      list.setAttribute("aria-label", "选项");
      for (const option of this.options()) {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button"; button.className = "quiz-option"; button.dataset.answer = option.letter;
        if (q.kind === "multiple") button.setAttribute("aria-pressed", "false");
        button.innerHTML = q.kind === "truefalse"
          ? `<span class="quiz-letter" aria-hidden="true">${option.letter === "对" ? "✓" : "✗"}</span><span class="quiz-option-text">${option.letter}</span>`
          : `<span class="quiz-letter">${escapeHtml(option.letter)}</span><span class="quiz-option-text">${escapeHtml(option.text)}</span>`;
        li.append(button);
        list.append(li);
      }
      const hint = this.line("quiz-hint", q.kind === "multiple" ? "多选题：把对的都点上，再点「确定」" : "点一个答案");
      const confirm = this.actions([["confirm", "确定", "primary quiz-confirm"]]);
      confirm.hidden = q.kind !== "multiple";
      confirm.querySelector("button").disabled = true;
      const feedback = document.createElement("div");
      feedback.className = "quiz-feedback"; feedback.hidden = true; feedback.setAttribute("role", "status");
      const buttons = [["listen", this.listenLabel]];
      if (q.source?.url) buttons.push(["source", "听原文"]);
      buttons.push(["next", this.at + 1 < this.questions.length ? "下一题" : this.single ? "" : "做完了", "primary"]);
      if (this.leaveLabel) buttons.push(["leave", this.leaveLabel]);
      const actions = this.actions(buttons.filter(([, label]) => label));
      actions.querySelector('[data-quiz="source"]')?.setAttribute("hidden", "");
      actions.querySelector('[data-quiz="next"]')?.setAttribute("hidden", "");
      this.root.replaceChildren(head, this.line("quiz-text", q.text), list, hint, confirm, feedback,
        this.line("quiz-status meta", ""), actions);
      this.root.querySelector(".quiz-status").setAttribute("aria-live", "polite");
    }

    // Read aloud: what comes first (the unit's opening line), the question, each option, then "请选择答案".
    async read(before = []) {
      const q = this.question;
      const controller = this.begin();
      try {
        await this.say(before, controller);
        await this.say(q.audio.question, controller);
        if (q.kind !== "truefalse") {
          for (const option of q.options) {
            const button = this.root.querySelector(`.quiz-option[data-answer="${CSS.escape(option.letter)}"]`);
            button?.classList.add("reading");
            try { await this.say(option.audio, controller); } finally { button?.classList.remove("reading"); }
          }
        }
        await this.say(this.prompts[q.kind === "truefalse" ? "true_or_false" : "choose"] || [], controller);
      } catch (error) { if (!isAbort(error)) throw error; } finally { this.end(controller); }
    }

    begin() { this.stop(); const controller = new AbortController(); this.speaking = controller; return controller; }
    end(controller) { if (this.speaking === controller) this.speaking = null; }

    // Each sentence to its end; one that cannot be played is skipped (the question is on screen to read).
    async say(urls, controller) {
      const status = this.root.querySelector(".quiz-status");
      for (const url of urls) {
        const onWait = (text) => { if (status) status.textContent = text; };
        await this.player.speak(url, { signal: controller.signal, onWait });
      }
    }

    click(event) {
      const button = event.target.closest("button");
      if (!button || !this.root.contains(button)) return;
      const state = this.root.dataset.state;
      if (button.dataset.answer && state === "asking") {
        if (this.question.kind === "multiple") {
          const letter = button.dataset.answer;
          if (this.chosen.has(letter)) this.chosen.delete(letter); else this.chosen.add(letter);
          button.setAttribute("aria-pressed", String(this.chosen.has(letter)));
          this.root.querySelector('[data-quiz="confirm"]').disabled = !this.chosen.size;
        } else this.answer(button.dataset.answer);
        return;
      }
      const action = button.dataset.quiz;
      if (action === "confirm" && this.chosen.size) {
        this.answer(this.options().map((o) => o.letter).filter((letter) => this.chosen.has(letter)).join(""));
      }
      if (action === "listen") {
        if (state === "answered") this.sayAnswer(); else this.read();
      }
      if (action === "source") { this.stop(); location.href = window.appLink(this.question.source.url); }
      if (action === "next") this.next();
      if (action === "leave") { this.stop(); this.onLeave?.(this.results); }
      if (action === "done") { this.onLeave?.(this.results); }
    }

    answer(value) {
      const q = this.question;
      const right = value === q.answer;
      this.root.dataset.state = "answered";
      this.results.push({ question: q.id, answer: value, right });
      for (const button of this.root.querySelectorAll(".quiz-option")) {
        const letter = button.dataset.answer;
        button.disabled = true;
        button.classList.toggle("correct", q.answer.includes(letter) && (q.kind !== "truefalse" || letter === q.answer));
        button.classList.toggle("chosen", value.includes(letter));
        button.classList.toggle("wrong", value.includes(letter) && !q.answer.includes(letter));
      }
      this.root.querySelector(".quiz-confirm")?.closest(".quiz-actions")?.setAttribute("hidden", "");
      this.root.querySelector(".quiz-hint").hidden = true;
      const feedback = this.root.querySelector(".quiz-feedback");
      feedback.hidden = false;
      feedback.classList.toggle("right", right);
      const said = q.kind === "truefalse" ? `这句话是${q.answer}的。` : `正确答案是 ${q.answer}。`;
      feedback.replaceChildren(this.line("quiz-verdict", right ? "答对了！" : "答错了。"), this.line("quiz-answer", said),
        this.line("quiz-explanation", q.explanation));
      for (const name of ["source", "next"]) this.root.querySelector(`[data-quiz="${name}"]`)?.removeAttribute("hidden");
      const listen = this.root.querySelector('[data-quiz="listen"]');
      if (listen) listen.textContent = "再听一遍解析";
      // The verdict, the explanation and what to do next in sight (on the kiosk the card sits low on the screen).
      this.root.querySelector(".quiz-actions:last-child")?.scrollIntoView({ block: "nearest", behavior: "smooth" });
      window.kioskLearner?.attempt({ question: q.id, course: this.course, answer: value });
      this.onAnswer?.({ question: q, answer: value, right });
      this.sayAnswer(right);
    }

    async sayAnswer(right = null) {
      const controller = this.begin();
      try {
        if (right != null) await this.say(this.prompts[right ? "right" : "wrong"] || [], controller);
        await this.say(this.question.audio.answer, controller);
      } catch (error) { if (!isAbort(error)) throw error; } finally { this.end(controller); }
    }

    next() {
      this.stop();
      if (this.at + 1 < this.questions.length) { this.at++; this.show(true); return; }
      const right = this.results.filter((r) => r.right).length;
      this.root.dataset.state = "done";
      const summary = this.line("quiz-summary", `这一组题做完了：答对 ${right} 道，共 ${this.questions.length} 道。`);
      this.root.replaceChildren(summary, this.actions(this.leaveLabel ? [["done", "继续听课", "primary"]] : []));
      this.resolve?.(this.results);
    }
  }
  window.KioskQuiz = Quiz;

  // 每日一题 on the home page: the same question all day, on the kiosk and on phones. On the kiosk nothing
  // about the visitor is kept: the answer lives only in the page, which the idle reset reloads.
  const daily = document.getElementById("daily");
  if (daily) {
    fetch("/api/questions/daily").then((r) => r.json()).then((body) => {
      if (!body.ok) return;
      daily.hidden = false;
      const quiz = new Quiz(daily.querySelector(".daily-quiz"), { single: true, listenLabel: "听题" });
      quiz.ask([body], { speak: false });
      window.kioskDaily = quiz;
    }).catch(() => { /* offline, or no questions: the card stays hidden */ });
  }
})();
