// The desk's pages: common phrases add to the description, and the request number and the answer are read aloud.
// (The kiosk's on-screen keyboard types into the field being filled: its fields are marked data-keyboard, app.js.)
"use strict";

(() => {
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
