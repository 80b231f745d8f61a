"""我的学习 and the trainer's learner page in a real Chromium against a real server: on a phone (390×844) 继续上次
leads and resumes at the exact sentence, started courses show units done, minutes heard and the quiz score; the
trainer sees the learner's answers wrong ones first, each with the passage to play; the kiosk's 每日一题 is a
question for residents."""

from __future__ import annotations

import re
import time
from urllib.parse import unquote

import pytest

from kiosk.training.catalog import current_catalog
from kiosk.training.learner import learners
from kiosk.training.learner.attempts import Answer, record_attempts
from kiosk.training.learner.database import LearningDB
from kiosk.training.learner.listening import credit
from kiosk.training.trainer.queries import find_learner
from kiosk.training.views import daily_pool
from tests.browser_fixtures import (
    KIOSK_VIEWPORT,
    PHONE_VIEWPORT,
    SCREENSHOTS,
    build_bundled,
    live_server,
    sign_in_with_the_form,
)
from tests.sites import add_account, list_community

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
COURSE = "网格员入门"
LEARNER = {"name": "测试学员", "town": "城关街道", "community": "幸福社区", "pin": "2468"}
HOUR = 3600.0


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The bundled content, indexed once for this module; audio is rendered on demand."""
    return build_bundled(tmp_path_factory.mktemp("my-learning"))


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def watch(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def signed_up(data) -> None:
    """The learner signed up at a training session three hours ago (a phone signs in as them with the PIN)."""
    with LearningDB(data.root) as db:
        name, town, community, pin = (LEARNER[k] for k in ("name", "town", "community", "pin"))
        learners.sign_in(db, name, town, community, pin, now=time.time() - 3 * HOUR)


def studied(server, data) -> tuple[str, list[str]]:
    """At that session the learner heard the whole first unit of the course and answered its quiz with the first
    answer wrong; their id and the unit's question ids."""
    with server.app.app_context():
        found = current_catalog()
    plan = found.courses[COURSE]
    first_unit = plan.units[0]
    with LearningDB(data.root) as db:
        learner = find_learner(db, LEARNER["name"], LEARNER["town"], LEARNER["community"])
        assert learner is not None
        start = time.time() - 3 * HOUR + 1
        credit(db, learner, plan, first_unit.sentences[:1], "report-first-0001", now=start)
        credit(db, learner, plan, first_unit.sentences, "report-first-0002", now=time.time())
        questions = list(first_unit.questions)
        answers = []
        for number, question_id in enumerate(questions):
            question = found.questions[question_id]
            letters = [letter for letter, _ in question.options if letter not in question.answer]
            wrong = "错" if question.answer == "对" else letters[0]
            answers.append(
                Answer(f"attempt-mine-{number:04d}", question_id, COURSE, wrong if number == 0 else question.answer)
            )
        record_attempts(db, learner, answers, found, now=time.time())
    return learner, questions


def test_my_learning_leads_with_resume_and_the_trainer_sees_wrong_answers_first(browser, data):
    list_community(data, LEARNER["town"], LEARNER["community"])
    add_account(data, "trainer")
    signed_up(data)
    with live_server(data) as server:
        context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", has_touch=True)
        context.set_default_timeout(60_000)
        try:
            page = context.new_page()
            errors = watch(page)
            # Signed up on the phone, then a training session's listening and quiz on the hub's records.
            page.goto(server.url + "/learn")
            page.locator("#f-name").fill(LEARNER["name"])
            page.locator("#pick-town").get_by_text(LEARNER["town"], exact=True).click()
            page.locator("#pick-community").get_by_text(LEARNER["community"], exact=True).click()
            page.locator("#f-pin").fill(LEARNER["pin"])
            page.locator('#signin button[type="submit"]').click()
            expect(page.locator("#me")).to_be_visible()
            expect(page.locator("#resume")).to_be_hidden()  # nothing heard on this phone yet
            learner, questions = studied(server, data)

            # On the course page she taps 从这一单元听 for unit 2, then 下一句 twice, and stops there.
            page.goto(f"{server.url}/course/{COURSE}")
            page.wait_for_function("() => window.kioskCourse && window.kioskCourse.segments.length > 0")
            page.locator('[data-unit-play="1"]').tap()
            page.locator('#course-player [data-action="next"]').tap()
            page.locator('#course-player [data-action="next"]').tap()
            page.locator('#course-player [data-action="play"]').tap()  # pause
            at = page.evaluate("() => window.kioskCourse.current")
            segment = page.evaluate("i => window.kioskCourse.segments[i]", at)
            assert at == page.evaluate("() => window.kioskCourse.unitStart[1]") + 2
            # Play and next do not look alike.
            icons = page.evaluate("""() => ['play', 'next'].map((a) =>
                document.querySelector(`#course-player [data-action="${a}"]`).firstElementChild.outerHTML)""")
            assert icons[0] != icons[1] and "▶" in icons[0] and "▶" not in icons[1]

            # 我的学习: 继续上次 first, with the very sentence; then the course started, with its numbers.
            page.goto(server.url + "/learn")
            resume = page.locator("#resume")
            expect(resume).to_be_visible()
            expect(resume.locator(".resume-sentence")).to_have_text(segment["text"])
            expect(resume.locator(".resume-unit")).to_contain_text("第2单元")
            card = page.locator(f'#started-courses [data-my-course="{COURSE}"]')
            expect(card).to_be_visible()
            units = card.get_attribute("data-units")
            expect(card.locator(".my-units")).to_have_text(f"完成 1/{units} 单元")
            minutes = card.locator(".my-minutes").inner_text()
            assert re.fullmatch(r"已听 (\d+ 分钟|\d+ 小时( \d+ 分钟)?)", minutes), minutes
            total = card.get_attribute("data-questions")
            expect(card.locator(".my-quiz")).to_have_text(f"测验答对 {len(questions) - 1}/{total} 道")
            assert "小时" not in minutes or not re.search(r"\d\.\d", minutes)
            assert not re.search(r"\d+\.\d+ ?小时", page.locator("main").inner_text())
            expect(page.locator("#started-courses .course-card")).to_have_count(1)  # shared questions start nothing
            others = page.locator("#other-courses .course-card.not-started")
            assert others.count() >= 1 and page.locator(f'#other-courses [data-my-course="{COURSE}"]').count() == 0
            expect(page.locator("#others-h")).to_have_text("还没开始的课程")
            tops = [page.locator(s).bounding_box()["y"] for s in ("#resume", "#started", "#other-courses")]
            assert tops == sorted(tops), tops
            fits_width = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert fits_width <= 0
            shoot(page, "phone-my-learning")
            page.locator('[data-toggle="high-contrast"]').click()
            shoot(page, "phone-my-learning-high-contrast")
            page.locator('[data-toggle="high-contrast"]').click()

            # One tap resumes at exactly that sentence.
            resume.locator("#resume-link").tap()
            page.wait_for_function("() => window.kioskCourse && window.kioskCourse.segments.length > 0")
            assert unquote(page.url).endswith(f"at={segment['key']}")
            page.wait_for_function("i => window.kioskCourse.current === i", arg=at)
            expect(page.locator("#cp-sentence")).to_have_text(segment["text"])
            page.locator("#course-player").screenshot(path=str(SCREENSHOTS / "phone-course-resumed.png"))
            page.locator('#course-player [data-action="play"]').tap()  # it played from there; stop it
            assert not errors, errors
        finally:
            context.close()

        # The trainer's page of this learner: her answers, the wrong one first, each with the passage to play.
        desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        try:
            page = desk.new_page()
            errors = watch(page)
            page.goto(server.url + "/editor/")
            expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
            expect(page.locator("main")).to_contain_text("编辑、培训老师和前台值班人员")
            shoot(page, "editor-signin")
            sign_in_with_the_form(page, "刘老师")
            page.goto(f"{server.url}/editor/training/learners/{learner}")
            rows = page.locator("#table-answers tbody tr")
            expect(rows).to_have_count(len(questions))
            expect(rows.nth(0)).to_have_class(re.compile("tr-wrong"))
            expect(rows.nth(0).locator("td").nth(0)).to_have_text("✗ 错")
            for number in range(1, len(questions)):
                expect(rows.nth(number).locator("td").nth(0)).to_have_text("✓ 对")
            expect(page.locator("#table-progress")).not_to_contain_text("小时")
            play = rows.nth(0).get_by_role("link", name="▶ 听出处")
            with desk.expect_page() as opened:
                play.click()
            passage = opened.value
            passage.wait_for_load_state()
            assert "/doc/" in passage.url and "play=1" in passage.url
            page.locator("#answers").scroll_into_view_if_needed()
            shoot(page, "trainer-learner-answers")
            assert not errors, errors
        finally:
            desk.close()


def test_the_kiosk_daily_question_is_one_for_residents(browser, data):
    with live_server(data, kiosk_mode=True) as kiosk:
        with kiosk.app.app_context():
            residents = {question.id: question.text for question in daily_pool(current_catalog())}
        context = browser.new_context(viewport=KIOSK_VIEWPORT, locale="zh-CN", has_touch=True)
        try:
            page = context.new_page()
            page.goto(kiosk.url + "/?kiosk=1")
            expect(page.locator("#daily")).to_be_visible()
            question = page.evaluate("() => window.kioskDaily.question")
            assert question["id"] in residents
            expect(page.locator("#daily")).to_contain_text(residents[question["id"]])
            page.locator("#daily").scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / "kiosk-daily-resident.png"))
        finally:
            context.close()
