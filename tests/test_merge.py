"""Near-identical learners and the trainer's merge (kiosk/training/trainer/duplicates.py, learner/merge.py): the pairs a
trainer is warned about (and nobody else sees), and a merge that joins two learners' records without counting
anything twice, removes the merged one and ends its sessions and card."""

from __future__ import annotations

import pytest
from flask import Flask

from kiosk.places import add_community
from kiosk.settings import BUNDLED_CONTENT
from kiosk.training.learner import learners
from kiosk.training.learner.attempts import Answer, record_attempts
from kiosk.training.learner.cards import card_path, list_learners
from kiosk.training.learner.database import LEARNING_DB, LearningDB
from kiosk.training.learner.listening import credit, settle
from kiosk.training.learner.merge import merge
from kiosk.training.learner.progress import load_records, record_completions
from kiosk.training.trainer.duplicates import ONE_APART, SAME_NAME, likely_duplicates, one_apart

from .sites import AppMaker, add_account, signed_in_as
from .test_trainer import COURSE, HOUR, MONDAY, TODAY, catalog_of, course_keys

START = MONDAY.timestamp()
NOON = START + 3 * HOUR
LATER = START + 26 * HOUR


@pytest.fixture(scope="module")
def app(make_module_app: AppMaker) -> Flask:
    """The hub on the bundled courses, its clock at TODAY, its list: 西城街道 幸福里 and 幸福里社区."""
    made = make_module_app(
        content=(BUNDLED_CONTENT,),
        build=True,
        accounts=("trainer", "editor", "admin"),
        test_config={"LEARNING_CLOCK": TODAY.timestamp},
    )
    root = made.extensions["kiosk"].data.root
    for name in ("幸福里", "幸福里社区", "光明社区"):
        add_community(root, "西城街道", name)
    return made


@pytest.fixture
def db(app):
    """A fresh learning.db for each test."""
    root = app.extensions["kiosk"].data.root
    for suffix in ("", "-wal", "-shm"):
        (root / f"{LEARNING_DB}{suffix}").unlink(missing_ok=True)
    app.extensions.pop("client_limits", None)
    with LearningDB(root) as opened:
        yield opened


@pytest.fixture
def found(app):
    return catalog_of(app)


@pytest.fixture
def person(db, found):
    """person(name, community, pin): a learner of 西城街道 who signed up at START and heard the course's first
    sentence then (which starts their clock in the course)."""

    def make(name: str, community: str, pin: str = "2468") -> learners.Learner:
        made = learners.sign_in(db, name, "西城街道", community, pin, now=START)[0]
        plan = found.courses[COURSE]
        credit(db, made.id, plan, course_keys(plan)[:1], f"first-{made.id}", now=START)
        return made

    return make


def answer_all(db, learner_id: str, found, at: float, tag: str) -> int:
    """Every question of the course answered right; how many."""
    plan = found.courses[COURSE]
    questions = sorted(plan.questions)
    record_attempts(
        db,
        learner_id,
        [Answer(f"{tag}-{n:04d}-{learner_id}", q, plan.id, found.questions[q].answer) for n, q in enumerate(questions)],
        found,
        now=at,
    )
    return len(questions)


def counts(db, learner_id: str) -> dict[str, int]:
    return {
        table: db.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE learner = ?", (learner_id,)).fetchone()[0]
        for table in db.LEARNER_TABLES
    }


# -- likely duplicates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b, apart",
    [
        ("张晓梅", "张小梅", True),
        ("张晓梅", "张晓", True),
        ("张晓梅", "张晓梅梅", True),
        ("王芳", "王方", True),
        ("张晓梅", "张晓梅", False),
        ("张晓梅", "李小梅", False),
        ("张晓梅", "晓梅张", False),
        ("张三", "张三丰丰", False),
        ("网格员01号", "网格员02号", False),
        ("网格员1号", "网格员12号", False),
    ],
)
def test_names_one_character_apart(a, b, apart):
    assert one_apart(a, b) is apart and one_apart(b, a) is apart


def test_likely_duplicates_are_namesakes_elsewhere_and_near_names_in_one_community(db, person):
    people = {
        key: person(name, community)
        for key, name, community in [
            ("a", "张晓梅", "幸福里"),
            ("b", "张晓梅", "幸福里社区"),
            ("c", "张小梅", "幸福里"),
            ("d", "张小梅", "光明社区"),
            ("e", "李建国", "幸福里"),
            ("f", "李建华", "光明社区"),  # one apart, but in another community: not warned
            ("g", "王晓梅", "幸福里"),  # one apart from 张晓梅, but another surname: another person
        ]
    }
    ids = {value.id: key for key, value in people.items()}
    pairs = {(frozenset({ids[p.first.id], ids[p.second.id]}), p.reason) for p in likely_duplicates(list_learners(db))}
    assert pairs == {(frozenset("ab"), SAME_NAME), (frozenset("cd"), SAME_NAME), (frozenset("ac"), ONE_APART)}


def test_the_trainer_is_warned_and_anonymous_visitors_never_are(app, db, person):
    person("张晓梅", "幸福里")
    trainer = signed_in_as(app, "trainer")
    page = trainer.page("/editor/training/learners")
    assert "可能是同一个人（0 对）" not in page and 'id="likely-duplicates"' not in page
    phone = app.test_client()
    signed = phone.post(
        "/api/learner/signin", json={"name": "张晓梅", "town": "西城街道", "community": "幸福里社区", "pin": "1357"}
    )
    assert signed.status_code == 200 and signed.get_json()["created"] is True
    assert set(signed.get_json()) == {"ok", "learner", "created", "csrf"}  # nothing about anyone else
    for url in ("/learn", "/api/learner", "/api/communities"):
        shown = phone.get(url).get_data(as_text=True)
        assert "可能" not in shown and "幸福里社区）" not in shown, url
    assert app.test_client().get("/learn").get_data(as_text=True).count("张晓梅") == 0
    page = trainer.page("/editor/training/learners")
    assert "可能是同一个人（1 对）" in page and SAME_NAME in page
    added = trainer.post("/editor/training/learners", {"name": "张小梅", "community": "幸福里", "pin": "2468"})
    assert added.status_code == 302
    after = trainer.page(added.headers["Location"])
    assert "请核对：这位学员可能和 张晓梅（西城街道 幸福里） 是同一个人" in after
    assert 'id="merge"' in after and "可能和这位是同一个人" in after


# -- the merge ------------------------------------------------------------------------------------------------


def test_a_merge_joins_the_records_counts_shared_sentences_once_and_ends_the_merged_sessions(app, db, found, person):
    plan = found.courses[COURSE]
    keys = course_keys(plan)
    kept, merged = person("张晓梅", "幸福里社区", "2468"), person("张晓梅", "幸福里", "1357")
    credit(db, kept.id, plan, keys[:30], "kept-1", now=LATER)
    record_attempts(
        db, kept.id, [Answer(f"kept-attempt-{kept.id}", sorted(plan.questions)[0], COURSE, "对")], found, LATER
    )
    credit(db, merged.id, plan, keys, "merged-1", now=NOON)  # the whole course; 30 of them the kept one heard too
    answered = answer_all(db, merged.id, found, NOON, "merged")
    assert record_completions(db, merged.id, [plan], NOON) == [COURSE]
    before_kept, before_merged = counts(db, kept.id), counts(db, merged.id)

    phone = app.test_client()  # the merged learner's phone, signed in
    assert (
        phone.post(
            "/api/learner/signin", json={"name": "张晓梅", "town": "西城街道", "community": "幸福里", "pin": "1357"}
        ).status_code
        == 200
    )
    assert phone.get("/api/learner").get_json()["learner"]["community"] == "幸福里"
    kept_phone = app.test_client()
    kept_phone.post(
        "/api/learner/signin", json={"name": "张晓梅", "town": "西城街道", "community": "幸福里社区", "pin": "2468"}
    )

    trainer = signed_in_as(app, "trainer")
    confirm = trainer.page(f"/editor/training/learners/{kept.id}/merge?other={merged.id}")
    assert "两人都听过的 30 句只算一次" in confirm
    assert f"<td>{before_kept['heard']}</td><td>{before_merged['heard']}</td>" in confirm
    assert f"<td>{before_kept['attempts']}</td><td>{before_merged['attempts']}</td>" in confirm
    assert "<td>0</td><td>1</td>" in confirm  # completions
    unconfirmed = trainer.post(f"/editor/training/learners/{kept.id}/merge", {"other": merged.id})
    assert unconfirmed.status_code == 400 and learners.get(db, merged.id) is not None
    done = trainer.post(f"/editor/training/learners/{kept.id}/merge", {"other": merged.id, "confirm": merged.id})
    assert done.status_code == 302 and done.headers["Location"] == f"/editor/training/learners/{kept.id}"
    assert "已把「张晓梅」（西城街道 幸福里）合并到「张晓梅」" in trainer.page(done.headers["Location"])

    assert learners.get(db, merged.id) is None and counts(db, merged.id) == dict.fromkeys(db.LEARNER_TABLES, 0)
    after = counts(db, kept.id)
    assert after["heard"] == len(keys) == before_kept["heard"] + before_merged["heard"] - 30
    assert after["attempts"] == 1 + answered and after["reports"] == before_kept["reports"] + before_merged["reports"]
    records = load_records(db, kept.id)
    assert records.completed == {COURSE: NOON}
    joined = learners.get(db, kept.id)
    assert joined is not None and joined.listened == pytest.approx(sum(plan.seconds[key] for key in keys))
    assert trainer.get(f"/editor/training/certificate/{kept.id}/{COURSE}").status_code == 200
    assert phone.get("/api/learner").get_json()["learner"] is None  # the merged one's old cookie opens nothing
    assert app.test_client().get(card_path(merged.card)).status_code == 404
    assert kept_phone.get("/api/learner").get_json()["learner"]["community"] == "幸福里社区"


def test_where_both_completed_the_course_the_earlier_completion_is_kept(db, found, person):
    plan = found.courses[COURSE]
    keys = course_keys(plan)
    kept, merged = person("张晓梅", "幸福里社区"), person("张晓梅", "幸福里")
    for who, at in ((kept, LATER), (merged, NOON)):
        credit(db, who.id, plan, keys, f"all-{who.id}", now=at)
        answer_all(db, who.id, found, at, "all")
        record_completions(db, who.id, [plan], at)
    outcome = merge(db, kept.id, merged.id, found.courses.values(), LATER + HOUR)
    assert outcome.shared_sentences == len(keys) and outcome.completed == []
    assert load_records(db, kept.id).completed == {COURSE: NOON}
    assert counts(db, kept.id)["heard"] == len(keys)
    first_heard = db.conn.execute("SELECT MIN(at) FROM heard WHERE learner = ?", (kept.id,)).fetchone()[0]
    assert first_heard == START  # a sentence both heard keeps the earlier time


def test_two_halves_make_a_completed_course(db, found, person):
    plan = found.courses[COURSE]
    keys = course_keys(plan)
    kept, merged = person("张晓梅", "幸福里社区"), person("张晓梅", "幸福里")
    half = len(keys) // 2
    credit(db, kept.id, plan, keys[:half], "kept-half", now=NOON)
    credit(db, merged.id, plan, keys[half:], "merged-half", now=NOON)
    answer_all(db, merged.id, found, NOON, "half")
    assert record_completions(db, merged.id, [plan], NOON) == []
    outcome = merge(db, kept.id, merged.id, found.courses.values(), LATER)
    assert outcome.completed == [COURSE] and load_records(db, kept.id).completed == {COURSE: LATER}


def test_sentences_waiting_for_the_clock_move_with_the_merge(db, found, person):
    """Heard offline and sent at once by the learner merged away: still credited, to the kept one, in time."""
    plan = found.courses[COURSE]
    keys = course_keys(plan)
    kept, merged = person("张晓梅", "幸福里社区"), person("张晓梅", "幸福里")
    a_minute_later = START + 60  # both heard the first sentence at START (person): the clocks allow two minutes
    minute_each = dict.fromkeys(keys, 60.0)
    waiting = credit(db, merged.id, plan, keys, "merged-all", now=a_minute_later, seconds=minute_each).waiting
    assert waiting > 0
    merge(db, kept.id, merged.id, found.courses.values(), a_minute_later)
    moved = {row[0] for row in db.conn.execute("SELECT sentence FROM waiting WHERE learner = ?", (kept.id,))}
    assert moved and keys[0] not in moved and moved <= set(keys)
    assert settle(db, kept.id, found.courses, now=LATER) == len(moved)
    assert load_records(db, kept.id).heard[COURSE] == set(keys)


def test_a_learner_cannot_be_merged_into_itself_or_with_someone_gone(db, found, person):
    kept = person("张晓梅", "幸福里社区")
    with pytest.raises(learners.LearnerError, match="不能把学员合并到自己"):
        merge(db, kept.id, kept.id, found.courses.values(), LATER)
    with pytest.raises(learners.LearnerError, match="没有这位学员"):
        merge(db, kept.id, "nobody", found.courses.values(), LATER)
    assert learners.get(db, kept.id) is not None


@pytest.mark.parametrize("role", ["editor", "visitor"])
def test_only_trainers_and_admins_merge(app, db, person, role):
    kept, merged = person("张晓梅", "幸福里社区"), person("张晓梅", "幸福里")
    confirm = f"/editor/training/learners/{kept.id}/merge?other={merged.id}"
    form = {"other": merged.id, "confirm": merged.id}
    if role == "editor":
        editor = signed_in_as(app, "editor")
        assert editor.get(confirm).status_code == 403
        assert editor.post(f"/editor/training/learners/{kept.id}/merge", form).status_code == 403
    else:
        visitor = app.test_client()
        assert visitor.get(confirm).status_code == 302
        assert visitor.post(f"/editor/training/learners/{kept.id}/merge", data=form).status_code in (302, 400)
    assert learners.get(db, merged.id) is not None
    add_account(app.extensions["kiosk"].data, "admin")
    admin = signed_in_as(app, "admin")
    assert admin.post(f"/editor/training/learners/{kept.id}/merge", form).status_code == 302
    assert learners.get(db, merged.id) is None
