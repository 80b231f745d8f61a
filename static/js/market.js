// The 物业超市's pages: each 听简介 reads its company's introduction aloud, sentence by sentence, on one shared player
// (a second button stops the first).
"use strict";

(() => {
  let player = null;
  let controller = null;
  for (const intro of document.querySelectorAll(".market-intro")) {
    const button = intro.querySelector(".market-say");
    const text = intro.querySelector("[data-audio]");
    if (!button || !text) continue;
    button.addEventListener("click", async () => {
      if (!window.KioskSentencePlayer) return;
      player ??= new window.KioskSentencePlayer();
      controller?.abort();
      controller = new AbortController();
      const mine = controller;
      try {
        for (const url of JSON.parse(text.dataset.audio || "[]")) await player.speak(url, { signal: mine.signal });
      } catch (error) {
        if (error.name !== "AbortError") window.kioskToast?.("现在无法朗读，请看屏幕上的文字");
      }
    });
  }
})();
