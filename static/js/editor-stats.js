// The statistics page's charts, drawn with the vendored Chart.js from the numbers the page already lists.
"use strict";

(() => {
  const source = document.getElementById("chart-data");
  if (!source || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const red = "#b71c1c", brown = "#8d6e63", gold = "#f0b429";
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 15;
  Chart.defaults.animation = false;  // editors read numbers, they do not watch them grow
  Chart.defaults.datasets.bar.maxBarThickness = 56;
  const whole = { ticks: { precision: 0 }, beginAtZero: true };

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, { ...config, options: { maintainAspectRatio: false, ...config.options } });
  }
  if (data.daily.labels.length) {
    draw("chart-daily", { type: "bar", data: { labels: data.daily.labels, datasets: [
      { label: "收听次数", data: data.daily.plays, backgroundColor: red, yAxisID: "y" },
      { label: "收听分钟", data: data.daily.minutes, type: "line", borderColor: gold, backgroundColor: gold, yAxisID: "minutes" },
    ] }, options: { scales: { y: { ...whole, title: { display: true, text: "次" } },
      minutes: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "分钟" } } } } });
  }
  if (data.shelves.labels.length) {
    draw("chart-shelves", { type: "bar", data: { labels: data.shelves.labels,
      datasets: [{ label: "收听次数", data: data.shelves.plays, backgroundColor: brown }] },
      options: { indexAxis: "y", scales: { x: whole }, plugins: { legend: { display: false } } } });
  }
  draw("chart-stops", { type: "bar", data: { labels: data.stops.labels,
    datasets: [{ label: "在这里停下的次数", data: data.stops.counts, backgroundColor: red }] },
    options: { scales: { y: whole }, plugins: { legend: { display: false } } } });
})();
