// The sentence player of the document page, the course page and the spoken questions: a list of sentence MP3s
// played in order on one <audio> (the next one fetched ahead, so there is no gap and the page may sit behind a
// locked screen), play/pause, previous/next sentence, speed, the sleep timer, the lock screen's controls, and the
// one retry policy for a sentence the hub is still voicing or a network that dropped.
"use strict";

(() => {
  const store = window.kioskStore;
  const absolute = (url) => new URL(url, location.href).href;
  const stopped = () => new DOMException("stopped", "AbortError");
  const ARTWORK = [{ src: "/static/icon.svg", sizes: "any", type: "image/svg+xml" }];

  // What the listener reads while a sentence is waited for, by the reason it is waited for.
  const WAITING = {
    preparing: "正在准备这一句的声音，请稍等…",
    network: "网络不稳，正在重新连接…",
    offline: "现在没有网络，网络恢复后接着播放…",
    failing: "正在准备声音…",
  };
  const PATIENCE_MS = 180_000;  // waiting for the hub to voice a sentence, or for the network to come back
  const FEW_TRIES = 5;  // a sentence the hub has but the phone could not play, or the hub failing otherwise

  /**
   * The one retry policy for a sentence that did not come: `answer` is the hub's Response (null when no answer
   * came: no network, a dropped connection), `waiting` is {since} kept across the tries of one sentence.
   * Returns {why, ms} (wait `ms`, saying WAITING[why], then ask again) or null (give up).
   * - 503 with Retry-After: the hub is still voicing it. It already held the request up to a second before
   *   saying so, so asking again half a second later keeps the wait short without flooding it.
   * - no answer: the network dropped (phones on patchy Wi-Fi); ask again after 1, 2, 4, 8, 8… seconds.
   * - 4xx other than 429: the sentence is gone (the text was edited); asking again will not bring it back.
   * - anything else (it is there now, the hub is busy or broken): a few more tries, the first at once.
   */
  function retryDelay(answer, waiting) {
    const why = !answer ? (navigator.onLine ? "network" : "offline")
      : answer.status === 503 && answer.headers.has("Retry-After") ? "preparing"
        : answer.status >= 400 && answer.status < 500 && answer.status !== 429 ? null : "failing";
    if (!why || Date.now() - waiting.since > PATIENCE_MS) return null;
    const tries = waiting[why] = (waiting[why] || 0) + 1;
    if (why === "preparing") return { why, ms: 500 };
    if (why === "failing") return tries > FEW_TRIES ? null : { why, ms: tries === 1 ? 0 : 1500 };
    return { why, ms: Math.min(1000 * 2 ** (tries - 1), 8000) };
  }

  // Resolves after `ms`, or at once when the network comes back; rejects when `signal` aborts.
  const pause = (ms, signal) => new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      removeEventListener("online", back);
      signal.removeEventListener("abort", abort);
    };
    const back = () => { done(); resolve(); };
    const abort = () => { done(); reject(stopped()); };
    const timer = setTimeout(back, ms);
    addEventListener("online", back);
    signal.addEventListener("abort", abort);
  });

  /** One <audio> and the sentences it plays; the first one made on a page is window.kioskPlayer. */
  class SentencePlayer {
    #sounding = null;  // the AbortController of the sentence being played or waited for
    #speaking = null;  // the AbortController of a sentence played outside the list (speak), while it plays
    #listInCharge = true;  // the lock screen's play, previous and next move the list (not during a quiz)
    #lockScreenReady = false;
    #next = null;  // fetches the following sentence ahead
    #sleepAt = null;
    #sleepAtGroupEnd = false;
    #shown = "";  // what the lock screen shows, as JSON
    #playButton = null;
    #wantPlaying = false;  // playing the list, or waiting for its sentence to come

    /**
     * @param {object} options
     *   controls: the element holding [data-action=play|prev|next] buttons (the play button shows 播放/暂停);
     *   speed, sleep: the <select>s for the speed (kept for the next visit) and the sleep timer (minutes, or
     *     any other value for "at the end of the group being read");
     *   groupOf(segment): what the sleep timer's "end of" option means (the passage, the course's unit);
     *   describe(segment): {title, artist, album} for the lock screen;
     *   show(text): a line telling the listener what is happening ("" when the sentence sounds);
     *   onSentence(i, {previous, playing}): sentence i became the current one, playing from its start or not;
     *   onHeard(i): sentence i played to its end;
     *   atGroupEnd(i): the group ended with sentence i; true when the page takes over from there (a quiz);
     *   groupDone(segment): what to say when the sleep timer stopped at the end of that segment's group;
     *   onFinished(): the last sentence ended; onStop(): playing stopped.
     */
    constructor({ controls = null, speed = null, sleep = null, groupOf = () => null, describe = null, show = () => {},
      onSentence = () => {}, onHeard = () => {}, atGroupEnd = () => false, groupDone = () => "定时到了，已停止。",
      onFinished = () => {}, onStop = () => {} } = {}) {
      Object.assign(this, { controls, speed, sleep, groupOf, describe, show, onSentence, onHeard, atGroupEnd,
        groupDone, onFinished, onStop });
      this.audio = new Audio();
      this.audio.preload = "auto";
      this.audio.preservesPitch = true;
      this.segments = [];  // {url, ...} in reading order, as the page's API gave them
      this.current = -1;
      this.#playButton = controls?.querySelector('[data-action="play"]') || null;
      controls?.addEventListener("click", (event) => {
        const action = event.target.closest("button")?.dataset.action;
        if (!this.segments.length) return;
        if (action === "play") this.toggle();
        if (action === "prev") this.previous();
        if (action === "next") this.next();
      });
      if (speed) {
        speed.value = String(store.get("speed", 1));
        if (!speed.value) speed.value = "1";
        speed.addEventListener("change", () => { this.#applyRate(); store.set("speed", this.rate()); });
      }
      sleep?.addEventListener("change", () => {
        const minutes = /^\d+$/.test(sleep.value) ? parseInt(sleep.value, 10) : null;
        this.#sleepAt = minutes != null ? Date.now() + minutes * 60000 : null;
        this.#sleepAtGroupEnd = minutes == null && !!sleep.value;
      });
      window.kioskPlayer ??= this;  // for the kiosk's idle reset (it waits while someone listens) and for tests
    }

    /** The speed chosen here, else the one kept from the last visit. */
    rate() { return parseFloat(this.speed ? this.speed.value : store.get("speed", 1)) || 1; }

    /** Something is being read aloud, or waited for to be read. */
    get playing() { return this.#wantPlaying || !!this.#speaking; }

    /** Make sentence i the current one without playing it; its sound is fetched now, so play sounds at once. */
    cue(i) {
      if (!this.segments[i]) return;
      if (this.playing) this.stop();
      const previous = this.current;
      this.current = i;
      this.#listInCharge = true;
      this.onSentence(i, { previous, playing: false });
      if (this.audio.src !== absolute(this.segments[i].url)) this.audio.src = this.segments[i].url;
      this.#describeSentence();
    }

    /** Play sentence i from its start, then the ones after it. */
    play(i) { this.#playList(i, false); }

    /** Go on where it paused (mid-sentence), or play the current sentence. */
    resume() { this.#playList(Math.max(this.current, 0), true); }

    toggle() { if (this.#wantPlaying) this.stop(); else this.resume(); }
    previous() { this.play(Math.max(0, this.current - 1)); }
    next() { this.play(Math.min(this.segments.length - 1, this.current + 1)); }

    stop() {
      this.#wantPlaying = false;
      this.#sounding?.abort();
      this.audio.pause();
      this.#setPlaying(false);
      this.onStop();
    }

    /**
     * Play one sentence outside the list (a quiz's question and options) on the same <audio>, so a phone that
     * let the list play lets this play too. Resolves true when it was heard to its end, false when it could not
     * be played; rejects with AbortError when `signal` aborts or something else is played.
     * `onWait(text)` is told what is waited for ("" when it sounds).
     */
    async speak(url, { signal = null, onWait = () => {} } = {}) {
      if (signal?.aborted) throw stopped();
      if (this.#wantPlaying) this.stop();
      this.#listInCharge = false;
      const sound = this.#sound(url, { fromStart: true, onWait });
      const mine = this.#speaking = this.#sounding;
      const abort = () => mine.abort();
      signal?.addEventListener("abort", abort, { once: true });
      try {
        return await sound;
      } catch (error) {
        if (error.name === "NotAllowedError") return false;
        throw error;
      } finally {
        signal?.removeEventListener("abort", abort);
        if (this.#speaking === mine) this.#speaking = null;
      }
    }

    /** What the lock screen shows (the page's own title while the list is set aside, as for a quiz). */
    showOnLockScreen({ title, artist = "随听随学", album = "" }) {
      if (!("mediaSession" in navigator)) return;
      const shown = JSON.stringify([title, artist, album]);
      if (shown !== this.#shown) {
        this.#shown = shown;
        navigator.mediaSession.metadata = new MediaMetadata({ title, artist, album, artwork: ARTWORK });
      }
      if (this.#lockScreenReady) return;
      this.#lockScreenReady = true;
      const list = (action) => () => { if (this.#listInCharge && this.segments.length) action(); };
      navigator.mediaSession.setActionHandler("play", list(() => this.resume()));
      navigator.mediaSession.setActionHandler("pause", () => this.stop());
      navigator.mediaSession.setActionHandler("previoustrack", list(() => this.previous()));
      navigator.mediaSession.setActionHandler("nexttrack", list(() => this.next()));
    }

    async #playList(i, resume) {
      const segment = this.segments[i];
      if (!segment) { this.stop(); return; }
      const audio = this.audio;
      const paused = resume && i === this.current && audio.src === absolute(segment.url) && !audio.error &&
        audio.currentTime > 0 && !audio.ended;  // else it plays the sentence from its start
      const previous = this.current;
      this.current = i;
      this.#listInCharge = true;
      this.#speaking = null;
      this.#wantPlaying = true;
      this.#setPlaying(true);
      if (!paused) this.onSentence(i, { previous, playing: true });
      this.show("");
      this.#describeSentence();
      const following = this.segments[i + 1];
      if (following) {
        this.#next ??= Object.assign(new Audio(), { preload: "auto" });
        this.#next.src = following.url;
      }
      let heard;
      try {
        heard = await this.#sound(segment.url, { fromStart: !paused, onWait: this.show });
      } catch (error) {
        if (error.name !== "NotAllowedError") return;  // stopped, or another sentence took over
        this.#wantPlaying = false;
        this.#setPlaying(false);
        this.show("点「播放」开始收听");
        return;
      }
      if (!heard) {
        this.stop();
        const problem = navigator.onLine ? "这一句暂时放不出来，请稍后再试。" : "现在没有网络，这一句还没有下载到本机。";
        this.show(problem);
        window.kioskToast?.(problem);
        return;
      }
      this.#ended(i);
    }

    // After sentence i: the sleep timer, the end of a group (the page may take over), the next sentence, the end.
    #ended(i) {
      this.onHeard(i);
      const groupEnds = this.groupOf(this.segments[i]) !== this.groupOf(this.segments[i + 1] ?? {});
      const sleepDue = this.#sleepAt && Date.now() >= this.#sleepAt;
      if (sleepDue || (groupEnds && this.#sleepAtGroupEnd)) {
        this.stop();
        this.#sleepAt = null;
        this.#sleepAtGroupEnd = false;
        if (this.sleep) this.sleep.value = "";
        this.cue(i + 1);  // pressing play goes on with the next sentence
        this.show(sleepDue ? "定时到了，已停止。" : this.groupDone(this.segments[i]));
        return;
      }
      if (groupEnds && this.atGroupEnd(i)) return;
      if (i + 1 < this.segments.length) this.play(i + 1);
      else { this.stop(); this.onFinished(); }
    }

    // Play `url` on the audio until it ends, waiting for it by the retry policy when it does not come.
    // Resolves true when heard to its end, false when given up; rejects with AbortError when stopped or replaced.
    #sound(url, { fromStart, onWait }) {
      this.#sounding?.abort();
      const controller = new AbortController();
      this.#sounding = controller;
      const { signal } = controller;
      const audio = this.audio;
      return new Promise((resolve, reject) => {
        const waiting = { since: null };
        let settled = false;
        const listeners = {
          ended: () => finish(true),
          playing: () => onWait(""),
          error: () => { if (!settled) waitForIt().catch(() => {}); },
        };
        const cleanup = () => {
          settled = true;
          for (const [type, listener] of Object.entries(listeners)) audio.removeEventListener(type, listener);
          if (this.#sounding === controller) this.#sounding = null;
        };
        const finish = (heard) => { cleanup(); onWait(""); resolve(heard); };
        signal.addEventListener("abort", () => {
          if (settled) return;
          cleanup();
          audio.pause();
          reject(stopped());
        }, { once: true });
        const start = (again) => {
          if (again || audio.src !== absolute(url) || audio.error) audio.src = url;  // a src set again loads again
          else if (fromStart) audio.currentTime = 0;
          this.#applyRate();
          audio.play().catch((error) => {
            if (error.name === "NotAllowedError" && !settled) { cleanup(); reject(error); }
          });
        };
        // The audio element cannot say why it failed: ask the hub (HEAD) until it has the sentence, then load it.
        const waitForIt = async () => {
          waiting.since ??= Date.now();
          for (;;) {
            let answer = null;
            try { answer = await fetch(url, { method: "HEAD", cache: "no-store", signal }); } catch { /* no answer */ }
            if (settled) return;
            const retry = retryDelay(answer, waiting);
            if (!retry) { finish(false); return; }
            onWait(WAITING[retry.why]);
            await pause(retry.ms, signal);
            if (retry.why === "failing") break;
          }
          start(true);
        };
        for (const [type, listener] of Object.entries(listeners)) audio.addEventListener(type, listener);
        start(false);
      });
    }

    #applyRate() { this.audio.defaultPlaybackRate = this.audio.playbackRate = this.rate(); }

    #setPlaying(on) {
      if (this.#playButton) {
        this.#playButton.querySelector(".label").textContent = on ? "暂停" : "播放";
        this.#playButton.querySelector(".play-icon").textContent = on ? "❚❚" : "▶";
        this.#playButton.setAttribute("aria-label", on ? "暂停" : "播放");
      }
      if (!("mediaSession" in navigator) || !this.describe) return;
      navigator.mediaSession.playbackState = on ? "playing" : "paused";
    }

    #describeSentence() {
      const segment = this.segments[this.current];
      if (segment && this.describe) this.showOnLockScreen(this.describe(segment));
    }
  }

  SentencePlayer.retryDelay = retryDelay;
  window.KioskSentencePlayer = SentencePlayer;
})();
