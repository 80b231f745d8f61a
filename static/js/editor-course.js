// The course form without reloading the page: a button (加入, 上移, 下移, 移除, 查找…) posts the form exactly as it
// does without JavaScript, and the form in the server's answer replaces this one. The server alone changes the
// course and estimates its minutes; saving is an ordinary submit.
(() => {
  "use strict";
  const form = document.getElementById("course-form");
  const status = document.getElementById("ed-status");
  if (!form) return;
  let dirty = false;
  let busy = false;

  form.addEventListener("input", () => { dirty = true; });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  form.addEventListener("submit", async (event) => {
    const button = event.submitter;
    if (!button || button.value === "save") { dirty = false; return; }
    event.preventDefault();
    if (busy) return;
    busy = true;
    const data = new FormData(form);
    data.append(button.name, button.value);
    // Until the answer replaces the form, nothing in it can be typed into or pressed: a click now would be
    // lost, and text typed now would be replaced with the form the server sends back.
    const controls = Array.from(form.elements).filter((el) => !el.disabled);
    for (const el of controls) el.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(form.action, { method: "POST", body: data, credentials: "same-origin" });
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("course-form");
      if (!fresh) throw new Error("no form in the answer");
      const open = new Set(Array.from(form.querySelectorAll("details[open][data-doc]"), (d) => d.dataset.doc));
      form.replaceChildren(...fresh.childNodes);
      for (const details of form.querySelectorAll("details[data-doc]")) if (open.has(details.dataset.doc)) details.open = true;
      if (button.value !== "search") dirty = true;
      form.querySelector("[autofocus]:not([disabled])")?.focus();
    } catch (err) {
      if (status) {
        status.textContent = "没有完成：连不上服务器，或者登录已过期。请刷新页面后再试。";
        status.hidden = false;
      }
    } finally {
      for (const el of controls) el.disabled = false;  // the old ones, still here if the answer never came
      form.removeAttribute("aria-busy");
      busy = false;
    }
  });
})();
