// The import page follows the running import: stage, count, the file being worked on, and the outcome.
"use strict";

(() => {
  const box = document.getElementById("import-job");
  if (!box || box.dataset.running !== "true") return;
  const stages = { copying: "正在复制和转换文件", indexing: "正在建立检索库", done: "已完成", failed: "没有完成" };
  const field = (name) => box.querySelector(`[data-field="${name}"]`);
  const bar = box.querySelector("progress");

  async function poll() {
    let job;
    try {
      const body = await (await fetch(box.dataset.url, { headers: { Accept: "application/json" } })).json();
      if (!body.ok) throw new Error(body.error);
      job = body.job;
    } catch { setTimeout(poll, 3000); return; }  // the server may be busy; the import goes on regardless
    field("stage-name").textContent = stages[job.stage] || "";
    field("count").textContent = job.total ? `${job.done} / ${job.total}` : "";
    field("current").textContent = job.current;
    field("summary").textContent = job.summary;
    field("failures").replaceChildren(...job.failures.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
    bar.max = job.total || 1; bar.value = job.done; bar.hidden = !job.running;
    if (job.running) setTimeout(poll, 1000);
    else document.querySelectorAll("form [disabled]").forEach((el) => { el.disabled = false; });
  }
  poll();
})();
