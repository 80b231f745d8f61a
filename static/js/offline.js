// Phones: the service worker, whole documents downloaded for listening without a network, and the list of downloads.
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

  const cacheName = (id) => "doc:" + id;
  const tellWorker = () => navigator.serviceWorker.ready.then((registration) => registration.active?.postMessage("downloads-changed"));
  const downloads = () => store.get("downloads", {});
  const megabytes = (bytes) => (bytes / 1048576).toFixed(bytes < 1048576 ? 2 : 1) + " MB";
  const sizeOf = async (response) => (await response.clone().blob()).size;

  // Everything the document needs without a network: its page, its JSON and every sentence's MP3.
  // Fetching an MP3 also makes the server render it, so the first download of a document takes a while.
  async function download(id, meta, progress) {
    const cache = await caches.open(cacheName(id));
    const api = `/api/docs/${encodeURIComponent(id)}`;
    const page = `/doc/${encodeURIComponent(id)}`;
    const response = await fetch(api, { cache: "no-store" });
    const body = await response.clone().json();
    if (!response.ok || !body.ok) throw new Error(body.error || "下载失败");
    if (body.speech_note || !body.segments.length) throw new Error("这一篇暂时不能朗读");
    const pageResponse = await fetch(page, { cache: "no-store" });
    if (!pageResponse.ok) throw new Error("下载失败");
    let bytes = (await sizeOf(response)) + (await sizeOf(pageResponse));
    await cache.put(api, response);
    await cache.put(page, pageResponse);
    const queue = [...new Set(body.segments.map((s) => s.url))];
    const total = queue.length;
    let done = 0;
    progress(done, total, bytes);
    const worker = async () => {
      while (queue.length) {
        const url = queue.shift();
        let audio = await cache.match(url);
        if (!audio) {
          audio = await fetch(url);
          if (!audio.ok) throw new Error("有一句声音没能下载，请稍后重试");
          await cache.put(url, audio.clone());
        }
        bytes += await sizeOf(audio);
        progress(++done, total, bytes);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    store.set("downloads", { ...downloads(), [id]: { ...meta, bytes, sentences: total, at: Date.now() } });
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

  // The document page: the download button, its progress and the size.
  const article = document.getElementById("doc");
  const button = document.getElementById("download");
  if (article && button) {
    const id = article.dataset.doc;
    const bar = document.getElementById("download-progress");
    const status = document.getElementById("download-status");
    const showDone = () => {
      const saved = downloads()[id];
      button.textContent = saved ? "删除下载" : "下载离线收听";
      button.dataset.state = saved ? "saved" : "";
      status.textContent = saved ? `已下载，没有网络也能听（${megabytes(saved.bytes)}）` : "";
    };
    // Without a service worker (a plain http:// address) the MP3 file beside the button is the way to listen offline.
    if (supported) {
      button.hidden = false;
      showDone();
      button.addEventListener("click", async () => {
        if (button.dataset.state === "saved") { await remove(id); showDone(); return; }
        button.disabled = true; button.textContent = "正在下载…"; bar.hidden = false; bar.value = 0;
        try {
          await download(id, { title: article.dataset.title, shelf: article.dataset.shelf }, (done, total, bytes) => {
            bar.max = total; bar.value = done;
            status.textContent = `正在下载 ${done}/${total} 句 · ${megabytes(bytes)}`;
          });
          showDone();
        } catch (error) {
          await caches.delete(cacheName(id));
          showDone();
          status.textContent = (navigator.onLine ? error.message : "网络断了") + "，没有下载完";
        } finally { button.disabled = false; bar.hidden = true; }
      });
    }
  }

  // The home page: what is downloaded, how big, and a way to delete it.
  const list = document.getElementById("downloads");
  function showDownloads() {
    const entries = Object.entries(downloads()).sort((a, b) => b[1].at - a[1].at);
    list.hidden = !entries.length;
    list.querySelector("ol").replaceChildren(...entries.map(([id, d]) => {
      const li = document.createElement("li");
      li.innerHTML = `<a href="/doc/${encodeURIComponent(id)}"><span class="mine-title">${escapeHtml(d.title)}</span>` +
        `<span class="mine-text">${escapeHtml(d.shelf || "")} · ${d.sentences} 句 · ${megabytes(d.bytes)}</span></a>` +
        `<button type="button" class="remove" data-remove="${escapeHtml(id)}" aria-label="删除下载：${escapeHtml(d.title)}">删除</button>`;
      return li;
    }));
    const total = entries.reduce((sum, [, d]) => sum + d.bytes, 0);
    document.getElementById("downloads-total").textContent = `共 ${entries.length} 篇，占用 ${megabytes(total)}`;
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
})();
