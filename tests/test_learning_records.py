"""The training records as plain functions: the listening clock, the completion rule, QR cards and PINs, the
trainer's queries, the course catalog following edits, and the trainer role."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.build import build_index
from indexer.content.quiz import Question
from indexer.datadir import DataDir
from indexer.store import Store
from kiosk.cli import main
from kiosk.editor.accounts import Accounts
from kiosk.services import SpeechService
from kiosk.settings import Settings
from kiosk.training.catalog import Catalog, CatalogCache, CoursePlan, UnitPlan
from kiosk.training.learner import learners, reports
from kiosk.training.learner.attempts import Answer, record_attempts
from kiosk.training.learner.cards import by_card, card_path, list_learners, new_card
from kiosk.training.learner.database import LearningDB
from kiosk.training.learner.learners import LearnerError, SignInError
from kiosk.training.learner.listening import ALLOWANCE_SECONDS, budget, credit, settle
from kiosk.training.learner.progress import course_progress, is_complete, load_records, record_completions

from .sites import TEST_PASSWORD

T0 = 1_800_000_000.0
DAY = 24 * 3600


def question(qid: str, answer: str = "B", kind: str = "single") -> Question:
    options = (("A", "甲"), ("B", "乙"), ("C", "丙")) if kind != "truefalse" else ()
    return Question(qid, "卷", kind, f"题目{qid}", options, answer, f"解析{qid}", "a.md", "原话原话", "q.md", 1)


def plan(
    course: str = "课",
    units: int = 2,
    per_unit: int = 10,
    seconds: float = 10.0,
    questions: tuple[tuple[str, ...], ...] = (("q1", "q2"), ()),
    pass_mark: int = 60,
) -> CoursePlan:
    unit_plans = [
        UnitPlan(f"单元{u}", tuple(f"{course}-{u}-{i}" for i in range(per_unit)), questions[u]) for u in range(units)
    ]
    seconds_each = {key: seconds for unit in unit_plans for key in unit.sentences}
    return CoursePlan.of(course, course, unit_plans, seconds_each, pass_mark)


@pytest.fixture
def db(tmp_path: Path):
    with LearningDB(tmp_path) as learning:
        yield learning


def learner(
    db: LearningDB, name: str = "张网格", town: str = "城关街道", community: str = "幸福社区", at: float = T0
) -> learners.Learner:
    found, _ = learners.sign_in(db, name, town, community, "2468", now=at)
    return found


def keys_of(course: CoursePlan) -> list[str]:
    return [key for unit in course.units for key in unit.sentences]


def begin(db: LearningDB, learner_id: str, course: CoursePlan, at: float) -> None:
    """The learner's phone reports the course's first sentence: the course's listening clock starts."""
    assert credit(db, learner_id, course, keys_of(course)[:1], f"begin-{learner_id}-{at}", now=at).credited == 1


# -- the listening clock ------------------------------------------------------------------------------------------


def test_the_budget_is_twice_the_time_since_sign_up_plus_the_allowance_less_what_was_credited():
    assert budget(T0, 0.0, T0) == ALLOWANCE_SECONDS
    assert budget(T0, 100.0, T0 + 60) == 2.0 * 60 + ALLOWANCE_SECONDS - 100
    assert budget(T0, 0.0, T0 - 3600) == ALLOWANCE_SECONDS  # a clock set back gives nothing extra


def test_sentences_are_credited_in_course_order_until_the_budget_is_spent(db):
    zhang = learner(db)
    course = plan(seconds=10.0)
    keys = keys_of(course)
    begin(db, zhang.id, course, T0)
    result = credit(db, zhang.id, course, list(reversed(keys)), "report-0001", now=T0 + 40)  # budget 100 s - 10 s
    assert (result.credited, result.refused, result.waiting, result.seconds) == (9, 0, 10, 90.0)
    assert load_records(db, zhang.id).heard[course.id] == set(keys[:10])
    heard = learners.get(db, zhang.id)
    assert heard is not None and heard.listened == 100.0
    # Known lengths of rendered audio override the estimates.
    later = credit(db, zhang.id, course, keys, "report-0002", now=T0 + 60, seconds={keys[10]: 30.0})
    assert (later.credited, later.seconds) == (2, 40.0)


def test_the_clock_since_sign_up_is_one_per_learner_across_courses(db):
    zhang = learner(db)
    first, second = plan("甲"), plan("乙")
    begin(db, zhang.id, first, T0)
    assert credit(db, zhang.id, first, keys_of(first), "report-0001", now=T0 + 40).credited == 9
    assert credit(db, zhang.id, second, keys_of(second), "report-0002", now=T0 + 40).credited == 0
    other = learner(db, name="李网格")
    begin(db, other.id, second, T0)
    assert credit(db, other.id, second, keys_of(second), "report-0003", now=T0 + 40).credited == 9


def test_a_course_s_clock_starts_at_its_first_credited_sentence_not_at_sign_up(db):
    zhang = learner(db, at=T0 - 365 * DAY)  # signed up a year ago: the clock since sign-up allows everything
    course = plan(seconds=10.0)
    keys = keys_of(course)
    first = credit(db, zhang.id, course, keys, "report-0001", now=T0)
    assert (first.credited, first.waiting, first.seconds) == (2, 18, 20.0)  # the allowance only
    assert credit(db, zhang.id, course, keys, "report-0002", now=T0).credited == 0
    later = credit(db, zhang.id, course, keys, "report-0003", now=T0 + 30)  # 60 s more at double speed
    assert (later.credited, later.seconds) == (6, 60.0)
    other = plan("乙", seconds=10.0)  # another course has a clock of its own, started by its own first report
    assert credit(db, zhang.id, other, keys_of(other), "report-0004", now=T0 + 30).credited == 2


def test_an_hour_heard_offline_and_sent_as_the_first_report_is_credited_as_the_clock_allows_never_lost(db):
    """A grid worker listened with no signal, then the phone sent it all at once: the hub keeps what it cannot
    credit yet and credits it with later reports or looks at progress, never faster than it could be heard."""
    zhang = learner(db, at=T0 - 365 * DAY)
    course = plan(seconds=10.0)
    keys = keys_of(course)
    sent = credit(db, zhang.id, course, [*keys, "not-in-this-course"], "offline-0001", now=T0)
    assert (sent.credited, sent.refused, sent.waiting) == (2, 1, 18)
    assert settle(db, zhang.id, {course.id: course}, now=T0) == 0
    assert settle(db, zhang.id, {course.id: course}, now=T0 + 30) == 6  # 60 s more at double speed
    assert load_records(db, zhang.id).heard[course.id] == set(keys[:8])
    assert settle(db, zhang.id, {course.id: course}, now=T0 + 90) == 12
    assert load_records(db, zhang.id).heard[course.id] == set(keys)
    assert settle(db, zhang.id, {course.id: course}, now=T0 + 9999) == 0  # nothing waits any more
    heard = learners.get(db, zhang.id)
    assert heard is not None and heard.listened == 200.0


def test_waiting_sentences_edited_out_of_the_course_are_dropped(db):
    zhang = learner(db, at=T0 - DAY)
    course = plan(seconds=10.0)
    credit(db, zhang.id, course, keys_of(course), "offline-0001", now=T0)
    shorter = plan(units=1, per_unit=3, questions=(("q1", "q2"),))
    assert settle(db, zhang.id, {shorter.id: shorter}, now=T0 + 9999) == 1
    assert db.conn.execute("SELECT COUNT(*) FROM waiting").fetchone()[0] == 0


def test_an_unknown_learner_is_a_lookup_error(db):
    with pytest.raises(LookupError):
        credit(db, "000000000000", plan(), [], "report-0001", now=T0)


# -- completion ---------------------------------------------------------------------------------------------------


def test_a_unit_without_questions_needs_listening_only(db):
    zhang = learner(db, at=T0 - DAY)
    course = plan(questions=(("q1",), ()), pass_mark=0)  # a pass mark of 0: answering is enough
    catalog = Catalog({course.id: course}, {"q1": question("q1")})
    begin(db, zhang.id, course, T0 - DAY)
    credit(db, zhang.id, course, keys_of(course), "report-0001", now=T0)
    assert not is_complete(course, load_records(db, zhang.id))
    record_attempts(db, zhang.id, [Answer("attempt-0001", "q1", "", "A")], catalog, now=T0)
    records = load_records(db, zhang.id)
    assert is_complete(course, records)  # answered, if wrongly
    assert record_completions(db, zhang.id, [course], T0 + 5) == ["课"]
    assert record_completions(db, zhang.id, [course], T0 + 9) == []  # recorded once, at the first time
    progress = course_progress(course, load_records(db, zhang.id))
    assert progress["units"][0]["quiz"] == {"answered": 1, "right": 0, "total": 1}
    assert dt.datetime.fromisoformat(progress["completed"]).timestamp() == T0 + 5


def test_nine_of_ten_sentences_are_enough_and_eight_are_not(db):
    zhang = learner(db, at=T0 - DAY)
    course = plan(questions=((), ()))
    first, second = course.units
    begin(db, zhang.id, course, T0 - DAY)
    credit(db, zhang.id, course, [*first.sentences[:9], *second.sentences[:8]], "report-0001", now=T0)
    assert not is_complete(course, load_records(db, zhang.id))
    credit(db, zhang.id, course, [second.sentences[8]], "report-0002", now=T0)
    assert is_complete(course, load_records(db, zhang.id))


def test_a_course_without_sentences_is_never_complete(db):
    zhang = learner(db)
    empty = CoursePlan.of("空", "空", [UnitPlan("一", (), ())], {})
    assert not is_complete(empty, load_records(db, zhang.id))


def test_the_latest_answer_decides_right_and_anonymous_answers_leave_nothing(db):
    zhang = learner(db)
    catalog = Catalog({}, {"q1": question("q1", "AC", "multiple"), "q2": question("q2", "对", "truefalse")})
    checked = record_attempts(
        db,
        zhang.id,
        [
            Answer("attempt-0001", "q1", "", "a"),
            Answer("attempt-0002", "q1", "", "CA"),
            Answer("attempt-0003", "q2", "", " 对 "),
        ],
        catalog,
        now=T0,
    )
    assert [r["right"] for r in checked.results] == [False, True, True] and checked.accepted == 3
    assert load_records(db, zhang.id).latest_right == {"q1": True, "q2": True}
    assert db.conn.execute("SELECT answer FROM attempts WHERE id = 'attempt-0002'").fetchone()[0] == "AC"
    visitor = record_attempts(db, None, [Answer("attempt-0004", "q1", "", "B")], catalog, now=T0)
    assert visitor.accepted == 0 and visitor.results[0]["right"] is False
    assert db.conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 3


# -- learners, PINs and cards -------------------------------------------------------------------------------------


def test_cards_list_by_unit_and_a_new_card_revokes_the_old(db):
    zhang = learner(db)
    learner(db, name="李网格", community="和平社区")
    learner(db, name="王网格", town="东城街道")
    assert [person.name for person in list_learners(db)] == ["王网格", "李网格", "张网格"]  # by town, community, name
    assert [person.name for person in list_learners(db, town="城关街道", community="幸福社区")] == ["张网格"]
    assert by_card(db, zhang.card) == zhang and card_path(zhang.card) == f"/learn/card/{zhang.card}"
    token = new_card(db, zhang.id)
    assert token != zhang.card and by_card(db, zhang.card) is None
    renewed = by_card(db, token)
    assert renewed is not None and renewed.id == zhang.id and renewed.generation == zhang.generation + 1
    assert by_card(db, "") is None
    with pytest.raises(LearnerError):
        new_card(db, "000000000000")


def test_a_new_pin_lifts_the_lock_out(db):
    zhang = learner(db)
    for _ in range(5):
        with pytest.raises(SignInError):
            learners.sign_in(db, "张网格", "城关街道", "幸福社区", "0000", now=T0)
    with pytest.raises(SignInError, match="锁定"):
        learners.sign_in(db, "张网格", "城关街道", "幸福社区", "2468", now=T0 + 60)
    learners.set_pin(db, zhang.id, "13579")
    found, created = learners.sign_in(db, "张网格", "城关街道", "幸福社区", "13579", now=T0 + 61)
    assert found.id == zhang.id and not created and found.generation == zhang.generation + 1
    with pytest.raises(LearnerError):
        learners.set_pin(db, zhang.id, "12")


def test_the_learner_id_is_12_hex_and_the_pin_is_stored_hashed(db):
    zhang = learner(db)
    assert len(zhang.id) == 12 and int(zhang.id, 16) >= 0
    stored = db.conn.execute("SELECT pin_hash FROM learners").fetchone()[0]
    assert "2468" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_removing_an_unknown_learner_says_so(db):
    assert learners.remove(db, "000000000000") is False


# -- the trainer's queries ----------------------------------------------------------------------------------------


@pytest.fixture
def session(db):
    """A training day: two communities, one learner finishing, one listening the week after, wrong answers."""
    course = plan(questions=(("q1", "q2"), ()), pass_mark=50)
    catalog = Catalog({course.id: course}, {"q1": question("q1", "B"), "q2": question("q2", "对", "truefalse")})
    zhang, li = learner(db, at=T0 - DAY), learner(db, name="李网格", community="和平社区", at=T0 - DAY)
    wang = learner(db, name="王网格", at=T0 - DAY)
    begin(db, zhang.id, course, T0 - 300)
    credit(db, zhang.id, course, keys_of(course), "report-0001", now=T0)
    begin(db, li.id, course, T0 + 7 * DAY - 300)
    credit(db, li.id, course, keys_of(course)[:5], "report-0002", now=T0 + 7 * DAY)
    record_attempts(
        db,
        zhang.id,
        [Answer("attempt-0001", "q1", "课", "B"), Answer("attempt-0002", "q2", "课", "错")],
        catalog,
        now=T0,
    )
    record_attempts(
        db,
        li.id,
        [Answer("attempt-0003", "q2", "课", "错"), Answer("attempt-0004", "q1", "课", "C")],
        catalog,
        now=T0 + 7 * DAY,
    )
    record_attempts(
        db,
        wang.id,
        [Answer("attempt-0005", "q2", "", "错"), Answer("attempt-0006", "q1", "", "A")],
        catalog,
        now=T0 + 7 * DAY,
    )
    record_completions(db, zhang.id, [course], T0)
    return {"zhang": zhang, "li": li, "wang": wang}


def test_completions_by_unit_and_period(db, session):
    (row,) = reports.completions(db)
    assert (row["town"], row["community"], row["name"], row["course"], row["at"]) == (
        "城关街道",
        "幸福社区",
        "张网格",
        "课",
        T0,
    )
    assert reports.completions(db, community="和平社区") == []
    assert reports.completions(db, since=T0 + 1) == []
    assert [tuple(r) for r in reports.completion_counts(db)] == [("城关街道", "幸福社区", "课", 1)]


def test_listening_seconds_per_learner_and_unit(db, session):
    week_after = reports.listening_by_learner(db, since=T0 + DAY)
    seconds = {row["name"]: row["seconds"] for row in week_after}
    assert seconds == {"李网格": pytest.approx(50), "张网格": 0.0, "王网格": 0.0}
    everything = {row["name"]: (row["sentences"], row["last"]) for row in reports.listening_by_learner(db)}
    assert everything["张网格"] == (20, T0) and everything["王网格"] == (0, None)
    units = {
        (r["town"], r["community"]): (r["learners"], r["listeners"], r["seconds"])
        for r in reports.listening_by_unit(db)
    }
    assert units == {
        ("城关街道", "和平社区"): (1, 1, pytest.approx(50)),
        ("城关街道", "幸福社区"): (2, 1, pytest.approx(200)),
    }


def test_question_stats_put_the_most_often_wrong_first(db, session):
    rows = reports.question_stats(db)
    assert [
        (r["question"], r["attempts"], r["right"], r["wrong"], r["right_percent"], r["common_wrong"]) for r in rows
    ] == [("q2", 3, 0, 3, 0.0, "错"), ("q1", 3, 1, 2, 33.3, "A")]
    in_course = reports.question_stats(db, course="课")
    assert [(r["question"], r["attempts"]) for r in in_course] == [("q2", 2), ("q1", 2)]
    assert reports.question_stats(db, until=T0 + 1)[0]["attempts"] == 1


def test_day_bounds_are_whole_local_days():
    since, until = reports.day_bounds(dt.date(2027, 1, 15), dt.date(2027, 1, 21))
    assert until - since == pytest.approx(7 * DAY, abs=3600)  # a daylight-saving change moves it by an hour at most
    assert dt.datetime.fromtimestamp(since) == dt.datetime(2027, 1, 15)
    assert reports.day_bounds() == (0.0, reports.FOREVER)


# -- the catalog follows edits ------------------------------------------------------------------------------------

COURSE = "title: 试听课\nunits:\n  - title: 一\n    items:\n      - 有声物业/物业管理篇/维修资金.md\n"
QUIZ = (
    "---\ntitle: 题\nvolume: 物业管理篇\n---\n\n## 电梯坏了能用维修资金吗？\n类型：判断\n答案：对\n解析：可以。\n"
    "出处：有声物业/物业管理篇/维修资金.md | 电梯故障危及安全时\n"
)


def test_the_catalog_is_rebuilt_when_a_course_question_or_text_changes(tmp_path, content_dir):
    (content_dir / "_courses").mkdir()
    (content_dir / "_courses" / "试听.yaml").write_text(COURSE, encoding="utf-8")
    (content_dir / "_quiz").mkdir()
    (content_dir / "_quiz" / "题.md").write_text(QUIZ, encoding="utf-8")
    data = DataDir.create(tmp_path / "var")
    assert build_index(data, [content_dir]).ok
    speech = SpeechService(data, Settings(data=data.root, engine="pyttsx3"))
    cache = CatalogCache()
    try:
        with Store(data.database) as store:
            first = cache.get(store, speech, [content_dir])
            assert cache.get(store, speech, [content_dir]) is first  # nothing changed: the same catalog
            (unit,) = first.courses["试听"].units
            assert unit.sentences and len(unit.questions) == 1 and first.courses_asking(unit.questions[0]) == ["试听"]
            (content_dir / "_courses" / "试听.yaml").write_text(
                COURSE + "  - title: 二\n    items:\n      - 政策法规/业主委员会.md\n", encoding="utf-8"
            )
            second = cache.get(store, speech, [content_dir])
            assert len(second.courses["试听"].units) == 2
            text = content_dir / "有声物业" / "物业管理篇" / "维修资金.md"
            text.write_text(text.read_text(encoding="utf-8") + "\n新加的一句话，也要听到。\n", encoding="utf-8")
            assert build_index(data, [content_dir]).ok
            third = cache.get(store, speech, [content_dir])
            assert len(third.courses["试听"].units[0].sentences) > len(unit.sentences)
    finally:
        speech.close()


# -- the trainer role ---------------------------------------------------------------------------------------------


def test_kiosk_user_add_makes_a_trainer(tmp_path):
    result = CliRunner().invoke(
        main,
        ["--data", str(tmp_path), "user", "add", "刘老师", "--role", "trainer"],
        input=f"{TEST_PASSWORD}\n{TEST_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "培训老师账号「刘老师」" in result.output
    with Accounts(tmp_path) as accounts:
        assert accounts.get("刘老师").role == "trainer"
