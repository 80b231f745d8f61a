// A company's page in the 物业超市: 听简介 reads the introduction aloud, sentence by sentence, on the shared player.
"use strict";

(() => {
  const button = document.querySelector(".market-say");
  const text = document.querySelector(".market-intro [data-audio]");
  if (!button || !text) return;
  let player = null;
  let controller = null;
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
})();
