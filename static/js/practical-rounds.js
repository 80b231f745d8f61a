// 实训报名 on a phone: 报名 and 取消报名 post to the hub with the learner's token, then the page is shown anew
// (seats left change as others sign up). A refusal (full, already started) is said on the page.
"use strict";

(() => {
  const mine = document.getElementById("my-rounds");
  const message = document.getElementById("rounds-message");
  if (!mine) return;
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const round = button.closest("[data-round]").dataset.round;
    button.disabled = true;
    message.hidden = true;
    let body;
    try {
      const response = await fetch(`/api/practical/rounds/${round}/${button.dataset.action}`, {
        method: "POST", credentials: "same-origin", body: "{}",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": mine.dataset.csrf },
      });
      body = await response.json();
    } catch {
      body = { ok: false, error: "网络不通，没有办成。请连上物业港的 Wi-Fi 再试。" };
    }
    if (body.ok) {
      sessionStorage.setItem("rounds-done", body.message);
      location.reload();
      return;
    }
    message.textContent = body.error;
    message.hidden = false;
    button.disabled = false;
  });
  const done = sessionStorage.getItem("rounds-done");
  if (done) {
    sessionStorage.removeItem("rounds-done");
    window.kioskToast?.(done);
  }
})();
