// Phones: the service worker, documents and whole courses downloaded for listening without a network, the list of
// downloads, and the outbox that keeps a learner's reports until the hub has them.
"use strict";

(() => {
  const store = window.kioskStore;
  // Service workers and Cache Storage exist only on https:// or on this machine (localhost).
  const supported = window.isSecureContext && "serviceWorker" in navigator && "caches" in window;
  if (supported) navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => { /* still works online */ });

  const banner = document.getElementById("offline-banner");
  const showNetwork = () => { banner.hidden = navigator.onLine; };
  window.addEventListener("online", showNetwork);
  window.addEventListener("offline", showNetwork);
  showNetwork();

  // A download is one cache: "doc:<id>" for a document, "course:<id>" for a course. The list of downloads is keyed
  // by the document's id (as it always was) or by the course's cache name.
  const cacheName = (id) => (id.startsWith("course:") ? id : "doc:" + id);
  const tellWorker = () => navigator.serviceWorker.ready.then((registration) => registration.active?.postMessage("downloads-changed"));
  const downloads = () => store.get("downloads", {});
  const megabytes = (bytes) => (bytes / 1048576).toFixed(bytes < 1048576 ? 2 : 1) + " MB";
  const sizeOf = async (response) => (await response.clone().blob()).size;
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function fetchJson(url) {
    const response = await fetch(url, { cache: "no-store" });
    const body = await response.clone().json().catch(() => ({}));
    if (!response.ok || !body.ok) throw new Error(body.error || "下载失败");
    return { response, body };
  }
  async function fetchPage(url) {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) throw new Error("下载失败");
    return response;
  }
  // A sentence the hub is still voicing, or a network that dropped, is waited for as the sentence player waits for
  // it (its one retry policy); the download and the listening give up at the same point.
  async function fetchAudio(url) {
    const waiting = { since: Date.now() };
    for (;;) {
      const response = await fetch(url).catch(() => null);
      if (response?.ok) return response;
      const retry = window.KioskSentencePlayer.retryDelay(response, waiting);
      if (!retry) throw new Error("有一句声音没能下载，请稍后重试");
      await wait(retry.ms);
    }
  }

  // What a document needs without a network: its page, its JSON and every sentence's MP3.
  async function planDocument(id) {
    const api = `/api/docs/${encodeURIComponent(id)}`;
    const { response, body } = await fetchJson(api);
    if (body.speech_note || !body.segments.length) throw new Error("这一篇暂时不能朗读");
    const page = `/doc/${encodeURIComponent(id)}`;
    return { files: [[api, response], [page, await fetchPage(page)]], audio: body.segments.map((s) => s.url),
      sentences: new Set(body.segments.map((s) => s.url)).size };
  }

  // What a course needs: its page and JSON, every sentence, and each unit's questions with their sound and the
  // words said around them (答对了, 请选择答案…).
  async function planCourse(key) {
    const id = key.slice("course:".length);
    const api = `/api/courses/${encodeURIComponent(id)}`;
    const { response, body } = await fetchJson(api);
    const units = body.course.units;
    if (body.course.speech_note || !units.some((u) => u.segments.length)) throw new Error("这门课暂时不能朗读");
    const page = `/course/${encodeURIComponent(id)}`;
    const files = [[api, response], [page, await fetchPage(page)]];
    const audio = units.flatMap((u) => u.segments.map((s) => s.url));
    const sentences = new Set(audio).size;
    audio.push(...Object.values(body.prompts).flat());
    const ids = [...new Set(units.flatMap((u) => u.questions))];
    for (const qid of ids) {
      const url = `/api/questions/${encodeURIComponent(qid)}`;
      const question = await fetchJson(url);
      const q = question.body.question;
      files.push([url, question.response]);
      audio.push(...q.audio.question, ...q.options.flatMap((o) => o.audio), ...q.audio.answer);
    }
    return { files, audio, sentences, questions: ids.length };
  }

  // Fetching an MP3 also makes the server render it, so the first download of a text takes a while.
  async function download(id, meta, progress) {
    const cache = await caches.open(cacheName(id));
    const plan = await (id.startsWith("course:") ? planCourse(id) : planDocument(id));
    let bytes = 0;
    for (const [url, response] of plan.files) {
      bytes += await sizeOf(response);
      await cache.put(url, response);
    }
    const queue = [...new Set(plan.audio)];
    const total = queue.length;
    let done = 0;
    progress(done, total, bytes);
    const worker = async () => {
      while (queue.length) {
        const url = queue.shift();
        let audio = await cache.match(url);
        if (!audio) {
          audio = await fetchAudio(url);
          await cache.put(url, audio.clone());
        }
        bytes += await sizeOf(audio);
        progress(++done, total, bytes);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    const saved = { ...meta, bytes, sentences: plan.sentences, at: Date.now() };
    if (plan.questions != null) Object.assign(saved, { kind: "course", questions: plan.questions });
    store.set("downloads", { ...downloads(), [id]: saved });
    navigator.storage?.persist?.();  // ask the phone not to clear it when space runs low
    tellWorker();
    return bytes;
  }

  async function remove(id) {
    await caches.delete(cacheName(id));
    const all = downloads();
    delete all[id];
    store.set("downloads", all);
    tellWorker();
  }

  // The download button of a document or a course page: its progress, the size, and deleting it again.
  function downloadButton({ id, meta, button, bar, status, labels }) {
    const showDone = () => {
      const saved = downloads()[id];
      button.textContent = saved ? "删除下载" : labels.start;
      button.dataset.state = saved ? "saved" : "";
      status.textContent = saved ? `${labels.done}（${megabytes(saved.bytes)}）` : "";
    };
    // Without a service worker (a plain http:// address) there is nothing to keep the download in.
    if (!supported) return;
    button.hidden = false;
    showDone();
    button.addEventListener("click", async () => {
      if (button.dataset.state === "saved") { await remove(id); showDone(); return; }
      button.disabled = true; button.textContent = "正在下载…"; bar.hidden = false; bar.value = 0;
      try {
        await download(id, meta, (done, total, bytes) => {
          bar.max = total; bar.value = done;
          status.textContent = `正在下载 ${done}/${total} ${labels.unit} · ${megabytes(bytes)}`;
        });
        showDone();
      } catch (error) {
        await caches.delete(cacheName(id));
        showDone();
        status.textContent = (navigator.onLine ? error.message : "网络断了") + "，没有下载完";
      } finally { button.disabled = false; bar.hidden = true; }
    });
  }

  const article = document.getElementById("doc");
  const docButton = document.getElementById("download");
  if (article && docButton) {
    downloadButton({ id: article.dataset.doc, meta: { title: article.dataset.title, shelf: article.dataset.shelf },
      button: docButton, bar: document.getElementById("download-progress"), status: document.getElementById("download-status"),
      labels: { start: "下载离线收听", done: "已下载，没有网络也能听", unit: "句" } });
  }
  const course = document.getElementById("course");
  const courseButton = document.getElementById("course-download");
  if (course && courseButton) {
    downloadButton({ id: "course:" + course.dataset.course, meta: { title: course.dataset.title, shelf: "课程" },
      button: courseButton, bar: document.getElementById("course-download-progress"),
      status: document.getElementById("course-download-status"),
      labels: { start: "下载整门课", done: "整门课已下载，没有网络也能听，测验也能做", unit: "段声音" } });
  }

  // The home page: what is downloaded, how big, and a way to delete it.
  const list = document.getElementById("downloads");
  function showDownloads() {
    const entries = Object.entries(downloads()).sort((a, b) => b[1].at - a[1].at);
    list.hidden = !entries.length;
    list.querySelector("ol").replaceChildren(...entries.map(([id, d]) => {
      const li = document.createElement("li");
      const course = d.kind === "course";
      const href = course ? `/course/${encodeURIComponent(id.slice("course:".length))}` : `/doc/${encodeURIComponent(id)}`;
      const what = course ? `课程 · ${d.sentences} 句 · ${d.questions} 道题` : `${escapeHtml(d.shelf || "")} · ${d.sentences} 句`;
      li.innerHTML = `<a href="${href}"><span class="mine-title">${escapeHtml(d.title)}</span>` +
        `<span class="mine-text">${what} · ${megabytes(d.bytes)}</span></a>` +
        `<button type="button" class="remove" data-remove="${escapeHtml(id)}" aria-label="删除下载：${escapeHtml(d.title)}">删除</button>`;
      return li;
    }));
    const total = entries.reduce((sum, [, d]) => sum + d.bytes, 0);
    const courses = entries.filter(([, d]) => d.kind === "course").length;
    const counted = [entries.length - courses ? `${entries.length - courses} 篇` : "", courses ? `${courses} 门课` : ""];
    document.getElementById("downloads-total").textContent = `共 ${counted.filter(Boolean).join("、")}，占用 ${megabytes(total)}`;
  }
  if (list) {
    showDownloads();
    list.addEventListener("click", async (event) => {
      const id = event.target.closest("[data-remove]")?.dataset.remove;
      if (!id) return;
      await remove(id);
      showDownloads();
    });
  }
  // The outbox: a learner's reports (sentences heard, answers given) wait here, oldest first, until the hub has
  // answered ok. A phone without signal loses nothing, and as every batch carries its own id the hub counts a
  // batch once however often it arrives (a reply lost on the way means the batch is simply sent again).
  const OUTBOX = "outbox";
  const OUTBOX_MAX = 500;  // batches; a phone offline for weeks keeps the newest
  // The hub will never take these (a malformed batch, another learner's token, no such course): dropped, or they
  // would block the rest.
  const REFUSED = new Set([400, 404, 405, 413, 415, 422]);
  const queued = () => store.get(OUTBOX, []);
  let sending = null, retry = null;
  const json = (entry, keepalive = false) => ({ method: "POST", body: JSON.stringify(entry.body), keepalive,
    headers: { "Content-Type": "application/json", ...entry.headers } });

  // headers: kept with the batch (the learner's CSRF token), as the page that sends it may not know them.
  function add(url, body, headers = {}) {
    const entry = { id: window.kioskLearner?.uuid() || String(Date.now()), url, body, headers, at: Date.now() };
    store.set(OUTBOX, [...queued(), entry].slice(-OUTBOX_MAX));
    return flush();
  }
  const settle = (id) => store.set(OUTBOX, queued().filter((entry) => entry.id !== id));

  function flush() {
    if (sending) return sending;
    sending = (async () => {
      clearTimeout(retry);
      for (let entry = queued()[0]; entry && navigator.onLine !== false; entry = queued()[0]) {
        let response, reply;
        try {
          response = await fetch(entry.url, json(entry));
          reply = await response.json().catch(() => null);
        } catch { break; }  // no network after all
        if (response.ok && reply?.ok) {
          settle(entry.id);
          dispatchEvent(new CustomEvent("kiosk:sent", { detail: { url: entry.url, request: entry.body, response: reply } }));
        } else if (REFUSED.has(response.status)) settle(entry.id);
        else break;  // signed out (401), too many (429), the hub busy (5xx): keep it for later
      }
      if (queued().length) retry = setTimeout(flush, 30000);  // a weak signal does not always say when it is back
    })().finally(() => { sending = null; });
    return sending;
  }

  // Leaving the page: what is queued goes out with keepalive, which outlives the page; it stays queued until a
  // reply says ok, so the next page sends again whatever did not arrive.
  function sendOnHide() {
    if (navigator.onLine === false) return;  // certainly no network: the next page load sends it
    let budget = 60000;  // keepalive bodies share a 64 KB allowance
    for (const entry of queued()) {
      const request = json(entry, true);
      budget -= request.body.length;
      if (budget < 0) break;
      fetch(entry.url, request).then((r) => r.json().then((reply) => {
        if (r.ok && reply?.ok) settle(entry.id);
      })).catch(() => {});
    }
  }

  window.kioskOutbox = { add, flush, get size() { return queued().length; }, clear: () => store.set(OUTBOX, []) };
  window.addEventListener("online", flush);
  addEventListener("pagehide", sendOnHide);
  flush();
})();
