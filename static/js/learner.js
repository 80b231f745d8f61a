// Learners on phones: who is signed in, the /learn page's sign-in, and reporting what a learner heard and answered.
// Reports go through the outbox (offline.js), so a phone without signal loses nothing and nothing counts twice.
// The kiosk never signs anyone in; until the hub has the learner API, everyone simply listens anonymously.
"use strict";

(() => {
  if (document.body.classList.contains("kiosk")) return;
  const store = window.kioskStore;
  const KEY = "learner";  // the last answer of GET /api/learner, so a phone offline still knows who listens
  let state = store.get(KEY, null);  // {learner, courses} or null
  let available = null;  // does the hub have the learner API? null until asked

  const uuid = () => {
    // crypto.randomUUID exists only in secure contexts; phones reach the hub at a plain http:// LAN address.
    if (crypto.randomUUID) try { return crypto.randomUUID(); } catch { /* not a secure context */ }
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
  const changed = () => dispatchEvent(new CustomEvent("kiosk:learner", { detail: state }));
  const keep = (next) => { state = next; store.set(KEY, next); changed(); };

  async function refresh() {
    try {
      const response = await fetch("/api/learner", { cache: "no-store" });
      if (response.status === 404) { available = false; keep(null); return state; }  // no learner API on this hub
      const body = await response.json();
      if (!body.ok) throw new Error(body.error);
      available = true;
      // csrf: the token the hub wants with every POST of this learner (it lasts as long as the session).
      keep(body.learner ? { learner: body.learner, courses: body.courses || {}, csrf: body.csrf || "" } : null);
    } catch { /* no network: keep what we knew */ }
    return state;
  }

  // The hub's progress for one course, after each report, so the pages show it at once.
  addEventListener("kiosk:sent", (event) => {
    const { url, request, response } = event.detail;
    if (url === "/api/learner/heard" && response.progress && state) {
      state.courses = { ...state.courses, [request.course]: response.progress };
      store.set(KEY, state);
      changed();
    }
  });

  const headers = () => ({ "Content-Type": "application/json", ...(state?.csrf ? { "X-CSRF-Token": state.csrf } : {}) });
  const send = (url, body) => {
    if (window.kioskOutbox) window.kioskOutbox.add(url, body, headers());
    else fetch(url, { method: "POST", headers: headers(), body: JSON.stringify(body), keepalive: true }).catch(() => {});
  };

  window.kioskLearner = {
    uuid,
    ready: refresh(),
    refresh,
    get available() { return available; },
    get current() { return state?.learner || null; },
    progress: (course) => state?.courses?.[course] || null,
    /** Sentences heard to the end (keys), reported as one batch with its own id. */
    heard(course, keys) {
      if (!state?.learner || !keys.length) return;
      send("/api/learner/heard", { course, keys, report: uuid() });
    },
    /** One answered question; anonymous answers are not sent, as the hub would keep nothing of them. */
    attempt({ question, course = "", answer }) {
      if (!state?.learner) return;
      send("/api/learner/attempts", { attempts: [{ id: uuid(), question, course, answer }] });
    },
    async signIn(fields) {
      const response = await fetch("/api/learner/signin", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(fields) });
      const body = await response.json().catch(() => ({ ok: false, error: "登录失败，请稍后再试。" }));
      if (body.ok) await refresh();
      return body;
    },
    async signOut() {
      await window.kioskOutbox?.flush();  // what this learner heard reaches the hub before the cookie goes
      const response = await fetch("/api/learner/signout", { method: "POST", headers: headers(), body: "{}" });
      if (!response.ok) throw new Error("退出失败");
      window.kioskOutbox?.clear();
      keep(null);
    },
  };

  // The /learn page: sign in, or see who is signed in and sign out.
  const form = document.getElementById("signin");
  if (!form) return;
  const me = document.getElementById("me");
  const unavailable = document.getElementById("learn-unavailable");
  const error = document.getElementById("signin-error");
  const show = () => {
    const learner = state?.learner;
    unavailable.hidden = available !== false;
    form.hidden = !!learner || available === false || form.hasAttribute("data-closed");
    me.hidden = !learner;
    if (learner) {
      document.getElementById("me-name").textContent = learner.name;
      document.getElementById("me-where").textContent = [learner.town, learner.community].filter(Boolean).join(" · ");
    }
  };
  addEventListener("kiosk:learner", show);
  window.kioskLearner.ready.then(() => {
    show();
    if (available === null && !state) {
      unavailable.textContent = "现在连不上物业港，登录要等有网络的时候。下载过的课程可以直接听。";
      unavailable.hidden = false;
    }
  });
  const fail = (text) => { error.textContent = text; error.hidden = false; };
  // The 社区 is chosen, never typed: the chosen 乡镇/街道 shows its own 社区 and clears a choice from another.
  const chosen = (name) => form.querySelector(`input[name="${name}"]:checked`)?.value || "";
  const showCommunities = () => {
    const town = chosen("town");
    document.getElementById("pick-town-first").hidden = !!town;
    for (const group of form.querySelectorAll(".choice-group")) {
      group.hidden = group.dataset.town !== town;
      if (group.hidden) for (const input of group.querySelectorAll("input:checked")) input.checked = false;
    }
  };
  form.addEventListener("change", (event) => { if (event.target.name === "town") showCommunities(); });
  form.addEventListener("reset", () => setTimeout(showCommunities));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const fields = { name: form.elements.name.value.trim(), town: chosen("town"), community: chosen("community"), pin: form.elements.pin.value.trim() };
    if (!fields.name) { fail("请填写姓名。"); return; }
    if (!fields.town || !fields.community) { fail("请选您的乡镇/街道和社区。"); return; }
    if (!/^\d{4,8}$/.test(fields.pin)) { fail("PIN 是 4 到 8 位数字。"); return; }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const body = await window.kioskLearner.signIn(fields);
      if (!body.ok) { fail(body.error || "登录失败，请检查填写的内容。"); return; }
      form.reset();
      show();
      window.kioskToast?.(`${body.learner?.name || fields.name}，已登录`);
    } catch { fail("网络不通，请连上物业港的 Wi-Fi 再试。"); } finally { button.disabled = false; }
  });
  document.getElementById("signout").addEventListener("click", async () => {
    try { await window.kioskLearner.signOut(); show(); window.kioskToast?.("已退出"); } catch { window.kioskToast?.("现在没有网络，不能退出。"); }
  });
})();
