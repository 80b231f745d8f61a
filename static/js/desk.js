// The desk's pages: the kiosk's on-screen keyboard types into the field being filled (not the search box), common
// phrases add to the description, and the request number and the answer are read aloud.
"use strict";

(() => {
  const keyboard = document.getElementById("keyboard");
  const fields = document.querySelectorAll("[data-desk-keyboard]");
  let active = null;
  const show = (on) => {
    keyboard.hidden = !on;
    document.body.classList.toggle("keyboard-open", on);
    document.body.style.setProperty("--keyboard-height", on ? keyboard.offsetHeight + "px" : "0px");
  };
  if (keyboard) {
    for (const field of fields) field.addEventListener("focus", () => { active = field; show(true); });
    document.getElementById("q")?.addEventListener("focus", () => { active = null; });
    // Captured before the search box's own handler (app.js), which would otherwise type into the search.
    keyboard.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button || !active) return;
      event.stopPropagation();
      const key = button.dataset.key;
      if (key === "close") { show(false); return; }
      if (key === "back") active.value = active.value.slice(0, -1);
      else if (key === "clear") active.value = "";
      else active.value += button.dataset.topic || key;
      active.dispatchEvent(new Event("input"));
    }, true);
  }

  const text = document.querySelector("textarea[name=text]");
  for (const chip of document.querySelectorAll("[data-phrase]")) {
    chip.addEventListener("click", () => {
      text.value = text.value ? `${text.value.replace(/[，。,\s]+$/, "")}，${chip.dataset.phrase}` : chip.dataset.phrase;
      chip.setAttribute("aria-pressed", "true");
    });
  }

  // Read aloud: the number when the request was just registered, the answer when asked.
  let player = null;
  let controller = null;
  async function say(element) {
    const urls = JSON.parse(element?.dataset.audio || "[]");
    if (!urls.length || !window.KioskSentencePlayer) return;
    player ??= new window.KioskSentencePlayer();
    controller?.abort();
    controller = new AbortController();
    const mine = controller;
    try {
      for (const url of urls) await player.speak(url, { signal: mine.signal });
    } catch (error) {
      if (error.name !== "AbortError") window.kioskToast?.("现在无法朗读，请看屏幕上的文字");
    }
  }
  const targets = { number: document.querySelector(".desk-number"), answer: document.querySelector(".desk-answer [data-audio]") };
  for (const button of document.querySelectorAll("[data-say]")) {
    button.addEventListener("click", () => say(targets[button.dataset.say]));
  }
  if (targets.number?.hasAttribute("data-autoplay")) say(targets.number);
})();
