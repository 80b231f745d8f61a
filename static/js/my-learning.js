// 我的学习 on a phone: 继续上次 (the sentence this phone stopped at, from course.js's saved places), then every course
// started with its units done, minutes heard and quiz score, then the courses not started, quieter.
"use strict";

(() => {
  const store = window.kioskStore;
  const others = document.getElementById("other-courses");
  if (!others) return;
  const started = document.getElementById("started-courses");
  const cards = [...document.querySelectorAll("[data-my-course]")];

  // Listening in minutes, or hours and minutes: never "0.01 小时".
  const listening = (seconds) => {
    const minutes = Math.round((seconds || 0) / 60);
    if (minutes < 1) return "不到 1 分钟";
    const hours = Math.floor(minutes / 60), rest = minutes % 60;
    return hours ? `${hours} 小时` + (rest ? ` ${rest} 分钟` : "") : `${rest} 分钟`;
  };

  function showResume() {
    const places = cards.map((card) => ({ id: card.dataset.myCourse, ...store.get("course:" + card.dataset.myCourse, null) }))
      .filter((place) => place.key && place.text);
    const last = places.sort((a, b) => (b.at || 0) - (a.at || 0))[0];
    const box = document.getElementById("resume");
    box.hidden = !last;
    if (!last) return;
    const link = document.getElementById("resume-link");
    link.href = `/course/${encodeURIComponent(last.id)}?play=1&at=${encodeURIComponent(last.key)}`;
    const title = cards.find((card) => card.dataset.myCourse === last.id)?.querySelector(".course-title").textContent;
    box.querySelector(".resume-course").textContent = title || last.title || "";
    box.querySelector(".resume-unit").textContent = last.unit != null ? `第${last.unit + 1}单元 ${last.unitTitle || ""}` : "";
    box.querySelector(".resume-sentence").textContent = last.text;
  }

  // One course's numbers: the hub's when signed in, else (and when ahead) this phone's.
  function numbers(card) {
    const id = card.dataset.myCourse;
    const hub = window.kioskLearner?.progress(id);
    const mine = store.get("heard:" + id, { keys: [], seconds: 0 });
    const answers = Object.values(store.get("quiz:" + id, {}));
    const hubAnswered = hub ? hub.units.reduce((sum, unit) => sum + unit.quiz.answered, 0) : 0;
    const quiz = hubAnswered
      ? { right: hub.units.reduce((sum, unit) => sum + unit.quiz.right, 0), answered: hubAnswered }
      : { right: answers.filter(Boolean).length, answered: answers.length };
    return {
      seconds: Math.max(hub?.seconds || 0, mine.seconds || 0),
      heard: Math.max(hub?.heard || 0, mine.keys.length),
      unitsDone: hub ? hub.units.filter((unit) => unit.done).length : null,
      quiz,
      answeredHere: answers.length,
      completed: !!hub?.completed,
      place: !!store.get("course:" + id, null),
    };
  }

  function showCourses() {
    let any = false;
    for (const card of cards) {
      const n = numbers(card);
      // An answer given in another course counts in this one's quiz too, but does not start it.
      const begun = n.heard > 0 || n.answeredHere > 0 || n.place || n.completed;
      any ||= begun;
      card.classList.toggle("not-started", !begun);
      (begun ? started : others).append(card);
      card.querySelector(".my-stats").hidden = !begun;
      card.querySelector(".my-done").hidden = !n.completed;
      if (!begun) continue;
      card.querySelector(".my-units").textContent = n.unitsDone != null ? `完成 ${n.unitsDone}/${card.dataset.units} 单元` : "";
      card.querySelector(".my-minutes").textContent = `已听 ${listening(n.seconds)}`;
      const questions = Number(card.dataset.questions);
      card.querySelector(".my-quiz").textContent = !questions ? "" : n.quiz.answered
        ? `测验答对 ${n.quiz.right}/${questions} 道` : "测验还没做";
    }
    document.getElementById("started").hidden = !any;
    document.getElementById("others-h").textContent = any ? "还没开始的课程" : "课程";
    // Courses in their own order within each list.
    for (const list of [started, others]) {
      [...list.children].sort((a, b) => cards.indexOf(a) - cards.indexOf(b)).forEach((card) => list.append(card));
    }
  }

  const show = () => { showResume(); showCourses(); };
  show();
  addEventListener("kiosk:learner", show);
})();
