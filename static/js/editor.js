// The content editor's small helpers: live preview, hear a paragraph, confirmations, audio progress on the list.
(() => {
  "use strict";
  const body = document.body;
  const token = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const status = document.getElementById("ed-status");
  let statusTimer = null;

  function say(message, sticky) {
    if (!status) return;
    status.textContent = message;
    status.hidden = false;
    clearTimeout(statusTimer);
    if (!sticky) statusTimer = setTimeout(() => { status.hidden = true; }, 4000);
  }

  async function postJSON(url, data) {
    try {
      const response = await fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
        body: JSON.stringify(data),
      });
      return await response.json();
    } catch (err) {
      return { ok: false, error: "连不上服务器，请检查网络后再试" };
    }
  }

  // Filters apply as soon as a choice is made; 返回上一页 on an error page goes back (without JavaScript: to the list).
  document.addEventListener("change", (event) => {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
  });
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-back]") && history.length > 1) { event.preventDefault(); history.back(); }
  });

  // A choice that narrows another: a select[data-narrowed-by=NAME] offers only the optgroups of NAME's chosen value
  // (a 实训 round's areas are those of its course); a choice left outside them falls back to the first option.
  for (const narrowed of document.querySelectorAll("select[data-narrowed-by]")) {
    const by = narrowed.form.elements[narrowed.dataset.narrowedBy];
    const narrow = () => {
      for (const group of narrowed.querySelectorAll("optgroup[data-for]")) {
        group.hidden = group.disabled = group.dataset.for !== by.value;
      }
      if (narrowed.selectedOptions[0]?.disabled) narrowed.selectedIndex = 0;
    };
    by.addEventListener("change", narrow);
    narrow();
  }

  // Confirm before deleting or restoring.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  }, true);

  // Live preview: the same parser as the kiosk, half a second after the last keystroke.
  const form = document.getElementById("edit-form");
  const preview = document.getElementById("preview");
  const previewError = document.getElementById("preview-error");
  if (form && preview) {
    let timer = null;
    let dirty = false;
    let sequence = 0;
    form.addEventListener("input", () => {
      dirty = true;
      clearTimeout(timer);
      timer = setTimeout(refresh, 500);
    });
    form.addEventListener("submit", () => { dirty = false; });
    window.addEventListener("beforeunload", (event) => {
      if (dirty) { event.preventDefault(); event.returnValue = ""; }
    });
    async function refresh() {
      const fields = Object.fromEntries(new FormData(form).entries());
      delete fields.csrf_token;
      const mine = ++sequence;
      const data = await postJSON(body.dataset.previewUrl, fields);
      if (mine !== sequence) return; // a newer preview is on its way
      if (!data.ok) {
        previewError.textContent = "展示端读不了这篇：" + data.error;
        previewError.hidden = false;
        return;
      }
      previewError.hidden = true;
      preview.replaceChildren(...data.passages.map(passageElement));
    }
  }

  function passageElement(p) {
    const row = document.createElement("div");
    row.className = "pv pv-" + p.kind + (p.kind === "heading" ? " pv-level-" + p.level : "");
    const text = document.createElement("div");
    text.className = "pv-text";
    if (p.article) {
      const label = document.createElement("strong");
      label.textContent = p.article;
      text.append(label, p.text.slice(p.article.length));
    } else {
      text.textContent = p.text;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "play";
    button.dataset.text = p.text;
    button.setAttribute("aria-label", "试听：" + p.text.slice(0, 20));
    button.textContent = "▶ 试听";
    row.append(text, button);
    return row;
  }

  // Hear it first: each paragraph through the kiosk's own voice, sentence after sentence.
  const audio = new Audio();
  let playing = null;
  let queue = [];

  function stop() {
    audio.pause();
    queue = [];
    if (playing) {
      playing.textContent = playing.dataset.label || "▶ 试听";
      playing.setAttribute("aria-pressed", "false");
    }
    playing = null;
  }

  function next() {
    if (!queue.length) { stop(); return; }
    audio.src = queue.shift();
    audio.play().catch(() => { say("浏览器没有开始播放，请再点一次"); stop(); });
  }

  audio.addEventListener("ended", next);
  audio.addEventListener("error", () => {
    if (playing) { say("这一句暂时合成不出来，请稍后再试"); stop(); }
  });

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.play");
    if (!button) return;
    if (playing === button) { stop(); return; }
    stop();
    playing = button;
    button.dataset.label = button.dataset.label || button.textContent;
    button.textContent = "■ 停止";
    button.setAttribute("aria-pressed", "true");
    say("正在准备声音…");
    const data = await postJSON(body.dataset.speakUrl, { text: button.dataset.text || "" });
    if (playing !== button) return;
    if (!data.ok) { say(data.error, true); stop(); return; }
    if (status) status.hidden = true;
    queue = data.segments.map((segment) => segment.url);
    next();
  });

  // The list: audio progress of texts still being synthesized, every five seconds.
  const pending = () => Array.from(document.querySelectorAll("[data-progress-id]"));
  async function poll() {
    const cells = pending();
    if (!cells.length) return;
    const query = cells.map((cell) => "id=" + encodeURIComponent(cell.dataset.progressId)).join("&");
    try {
      const response = await fetch(body.dataset.progressUrl + "?" + query, { credentials: "same-origin" });
      const data = await response.json();
      if (data.ok) {
        for (const cell of cells) {
          const count = data.progress[cell.dataset.progressId];
          if (!count) continue;
          const bar = cell.querySelector("progress");
          const label = cell.querySelector(".count");
          if (bar) { bar.max = count.total || 1; bar.value = count.cached; }
          if (label) label.textContent = count.cached + " / " + count.total + " 句";
          if (count.cached >= count.total) delete cell.dataset.progressId;
        }
      }
    } catch (err) { /* the next round tries again */ }
    if (pending().length) setTimeout(poll, 5000);
  }
  if (pending().length) setTimeout(poll, 5000);
})();
