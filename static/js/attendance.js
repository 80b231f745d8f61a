// The attendance page at the door: a card scanner in keyboard mode types the card's URL and Enter into the box.
// Each scan is posted like the form would be, and the answer (the learner's name, large) is swapped in without
// leaving the page, so the box keeps the focus for the next card and a running camera keeps running. Scans are
// sent one after another, in the order they were made. Without JavaScript the form posts and the page reloads.
"use strict";

(() => {
  const form = document.getElementById("scan-form");
  const box = document.getElementById("scan-code");
  if (!form || !box) return;
  let queue = Promise.resolve();

  const fail = (text) => {
    const answer = document.getElementById("scan-answer");
    const panel = document.createElement("section");
    panel.className = "scan-result scan-bad";
    panel.setAttribute("role", "alert");
    panel.innerHTML = '<p class="scan-mark">✗</p><p class="scan-text"></p>';
    panel.querySelector(".scan-text").textContent = text;
    answer.querySelector(".scan-result")?.remove();
    answer.prepend(panel);
  };
  // The answer is the attendance page itself; anything else (the sign-in page after a long break, an error page)
  // means the scan was not recorded.
  const show = (html) => {
    const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("scan-answer");
    if (fresh) document.getElementById("scan-answer").replaceWith(fresh);
    else fail("没有签到：登录已经过期，或者页面过期了。请刷新页面（需要时重新登录）后再扫。");
  };
  const send = (data) => {
    queue = queue.then(async () => {
      try {
        const response = await fetch(form.action || location.href, { method: "POST", body: new URLSearchParams(data), credentials: "same-origin" });
        show(await response.text());
      } catch {
        fail("连不上服务器，没有签到。请检查网络后再扫一次。");
      }
    });
    return queue;
  };

  document.addEventListener("submit", (event) => {
    const sent = event.target;
    if (sent !== form && sent.id !== "walk-in") return;
    event.preventDefault();
    const data = new FormData(sent);
    if (sent === form && !String(data.get("code") || "").trim()) return;
    box.value = "";
    box.focus();
    send(data);
  });

  // A phone or tablet without a scanner: its camera, where the browser can read QR codes itself (Android Chrome
  // over https or on the hub PC itself); elsewhere the button stays hidden.
  const button = document.getElementById("scan-camera");
  const video = document.getElementById("scan-video");
  const desk = document.getElementById("scan-desk");
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return;
  button.hidden = false;
  let stream = null;
  let last = { code: "", at: 0 };
  const stop = () => {
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
    desk.classList.remove("camera-on");
    button.textContent = "用摄像头扫码";
  };
  button.addEventListener("click", async () => {
    if (stream) { stop(); return; }
    let detector;
    try {
      detector = new BarcodeDetector({ formats: ["qr_code"] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch {
      stop();
      fail("打不开摄像头。请在浏览器里允许使用摄像头，或者用扫码枪。");
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    desk.classList.add("camera-on");
    button.textContent = "关闭摄像头";
    await video.play();
    const look = async () => {
      if (!stream) return;
      try {
        const [found] = await detector.detect(video);
        const now = Date.now();
        if (found && (found.rawValue !== last.code || now - last.at > 3000)) {  // the same card held up: once
          last = { code: found.rawValue, at: now };
          const data = new FormData(form);
          data.set("code", found.rawValue);
          // The card is held up to the camera, not typed: bring its answer into sight.
          send(data).then(() => document.querySelector("#scan-answer .scan-result")?.scrollIntoView({ block: "nearest" }));
        }
      } catch { /* a frame not ready yet */ }
      setTimeout(look, 250);
    };
    look();
  });
})();
