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

  // A dispute's company: the registered names of the chosen community's companies, tapped into the box.
  const company = document.querySelector("input[name=company]");
  const companies = document.getElementById("desk-companies");
  function showCompanies() {
    const chosen = document.querySelector("input[name=community]:checked")?.value;
    let shown = 0;
    for (const chip of companies.querySelectorAll("[data-company]")) {
      chip.hidden = chip.dataset.community !== chosen;
      shown += !chip.hidden;
    }
    companies.hidden = !shown;
  }
  if (company && companies) {
    for (const radio of document.querySelectorAll("input[name=community]")) radio.addEventListener("change", showCompanies);
    for (const chip of companies.querySelectorAll("[data-company]")) {
      chip.addEventListener("click", () => {
        company.value = chip.dataset.company;
        for (const other of companies.querySelectorAll("[data-company]")) other.setAttribute("aria-pressed", String(other === chip));
      });
    }
    showCompanies();
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
