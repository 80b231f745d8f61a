// The city wall (/wall): draws the numbers embedded in the page, then asks /api/city/wall again every minute.
// When the centre does not answer, the last numbers stay up with a quiet 「上次更新 HH:MM」. Text goes in as
// textContent only: hub names, titles and searches come from other machines.
"use strict";

(() => {
  const every = Number(document.body.dataset.refreshSeconds || 60) * 1000;
  const stale = document.getElementById("wall-stale");
  let shown = JSON.parse(document.getElementById("wall-data").textContent);

  const count = (n) => Math.round(n).toLocaleString("zh-CN");

  function element(tag, className, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    node.append(...children);
    return node;
  }

  function setField(name, text) {
    document.querySelector(`[data-field="${name}"]`).textContent = text;
  }

  function fill(id, items, make, empty = items.length === 0) {
    document.getElementById(id).replaceChildren(...items.map(make));
    document.getElementById(`${id}-empty`).hidden = !empty;
  }

  function amount(n, unit, note) {
    return [element("b", "", count(n)), unit, ...(note ? [element("small", "", note)] : [])];
  }

  function bars(daily) {
    const top = Math.max(1, ...daily);
    return element("span", "bars", ...daily.map((plays, day) => {
      const bar = element("i", day === daily.length - 1 ? "today" : "");
      bar.style.height = `${Math.max(4, (100 * plays) / top)}%`;
      return bar;
    }));
  }

  function hubRow(hub) {
    const name = element("th", hub.centre ? "centre" : "", hub.name,
      element("small", "", hub.centre ? "本机" : hub.reported && `最后报告 ${hub.reported}`));
    return element("tr", "", name,
      element("td", "", ...amount(hub.today.plays, "次", `${count(hub.today.minutes)} 分钟`)),
      element("td", "", ...amount(hub.today.searches, "次")),
      element("td", "", ...amount(hub.period.plays, "次", `${count(hub.period.minutes)} 分钟`)),
      element("td", "", ...amount(hub.period.searches, "次")),
      element("td", "", bars(hub.daily)));
  }

  function item(label, detail, n, unit) {
    return element("li", "", element("span", "what", label, ...(detail ? [element("small", "", detail)] : [])),
      element("span", "count", element("b", "", count(n)), unit));
  }

  function deskRow(row) {
    const shown = (n) => (Number.isInteger(n) ? count(n) : n.toFixed(1));
    const cell = (n, unit, className = "") => element("td", className, element("b", "", n === null ? "—" : shown(n)),
      n === null ? "" : unit);
    return element("tr", "", element("th", "", row.name),
      cell(row.registered, "件"), cell(row.answered, "件"), cell(row.overdue, "件", row.overdue ? "late" : ""),
      cell(row.median_days, "天"), cell(row.satisfied, "%"));
  }

  function drawDesk(desk) {
    setField("desk-month", `${desk.month} · 共 ${count(desk.total.registered)} 件`);
    document.getElementById("desk-levels").replaceChildren(...desk.levels.map(deskRow));
    const pairs = (items, label, n) => items.length
      ? items.map((it) => element("span", "", it[label], element("b", "", `${count(it[n])}件`)))
      : [element("span", "", "本月还没有")];
    document.getElementById("desk-towns").replaceChildren(...pairs(desk.towns, "town", "registered"));
    document.getElementById("desk-categories").replaceChildren(...pairs(desk.categories, "category", "count"));
  }

  function draw(data) {
    setField("date", data.date);
    setField("today-plays", count(data.totals.today.plays));
    setField("today-minutes", `${count(data.totals.today.minutes)} 分钟`);
    setField("today-searches", count(data.totals.today.searches));
    setField("period-plays", count(data.totals.period.plays));
    setField("period-minutes", `${count(data.totals.period.minutes)} 分钟`);
    setField("period-completed", count(data.totals.period.completed));
    fill("hubs", data.hubs, hubRow, !data.hubs.some((hub) => !hub.centre));
    fill("texts", data.texts, (text) => item(text.title, "", text.plays, "次"));
    fill("questions", data.questions, (question) => item(question.query, "", question.times, "次"));
    fill("completions", data.completions,
      (unit) => item(`${unit.town} ${unit.community}`, unit.course, unit.learners, "人"));
    drawDesk(data.desk);
  }

  async function refresh() {
    try {
      const response = await fetch("/api/city/wall", { cache: "no-store", signal: AbortSignal.timeout(20000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      shown = await response.json();
      draw(shown);
      stale.hidden = true;
    } catch {
      stale.textContent = `上次更新 ${shown.now}`;
      stale.hidden = false;
    }
    setTimeout(refresh, every);
  }

  draw(shown);
  setTimeout(refresh, every);
})();
