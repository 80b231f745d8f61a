// The 形象墙 (/market/wall): shows one good work at a time, turns to the next every few seconds, and fetches the
// list again now and then; nothing to touch.
(() => {
  const body = document.body;
  const rotate = Number(body.dataset.rotateSeconds) * 1000;
  const every = Number(body.dataset.refreshSeconds) * 1000;
  const work = document.getElementById("good-work");
  const photo = document.getElementById("good-photo");
  const empty = document.getElementById("good-empty");
  const count = document.getElementById("good-count");
  let works = JSON.parse(document.getElementById("good-data").textContent).works;
  let at = 0;

  function field(name, text) {
    work.querySelector(`[data-field="${name}"]`).textContent = text;
  }

  function show() {
    empty.hidden = works.length > 0;
    work.hidden = works.length === 0;
    count.textContent = works.length ? `${at + 1} / ${works.length}` : "";
    if (!works.length) return;
    const shown = works[at];
    photo.src = shown.photo;
    field("kind", shown.kind);
    field("date", shown.date);
    field("company", shown.company);
    field("title", shown.title);
    field("line1", shown.lines[0] || "");
    field("line2", shown.lines[1] || "");
    work.dataset.id = shown.id;
  }

  function next() {
    at = works.length ? (at + 1) % works.length : 0;
    show();
  }

  async function refresh() {
    try {
      const response = await fetch(body.dataset.source, { cache: "no-store", signal: AbortSignal.timeout(20000) });
      if (response.ok) {
        const was = works[at] && works[at].id;
        works = (await response.json()).works;
        const same = works.findIndex((item) => item.id === was);
        at = same >= 0 ? same : 0;
        show();
      }
    } catch {
      // the screen keeps turning through what it has until the next try
    }
    setTimeout(refresh, every);
  }

  show();
  setInterval(next, rotate);
  setTimeout(refresh, every);
})();
