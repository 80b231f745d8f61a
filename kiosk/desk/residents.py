"""The resident's pages: 我要咨询 / 我要反映 (large targets, few fields), the follow page behind the secret link (also
its JSON), rating the answer, and finding a request by its number at the kiosk. Readable without JavaScript."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from ..web import Limit, hold_back, now, qr_svg, services
from .access import companies_by_community, desk_db, follow_link, hub_communities, register_from, rules
from .database import Request
from .intake import IntakeError
from .public import public_view, spoken_number, voiced
from .states import KIND_NAMES, RATINGS, RefusedMove
from .workflow import rate

bp = Blueprint("desk", __name__, url_prefix="/desk")
# Guessing numbers to read others' answers: a resident mistyping hers a few times is fine, a sweep is not.
NUMBER_LIMIT = Limit("desk-number", burst=8, per_minute=4)
GONE = "没有找到这条登记：链接可能不完整，或已超过保存期限。"
RATE_LIMIT = Limit("desk-rate", burst=6, per_minute=2)
# Taps that add a common phrase to the description: the kiosk's keyboard types letters and digits, not hanzi.
PHRASES = (
    "楼上漏水到我家",
    "物业不给维修",
    "噪音影响休息",
    "收费不合理",
    "车位被占用",
    "电梯经常坏",
    "装修扰民",
    "维修资金怎么用",
    "想问有关规定",
    "请尽快联系我",
)


@bp.get("/")
def start():
    """The desk's front page: ask a legal question, report a problem, or look up a request by its number."""
    return render_template("desk/start.html")


@bp.route("/new/<kind>", methods=["GET", "POST"])
def new(kind: str):
    """The form for a legal question (consult) or a dispute; posting it registers the request and opens its page."""
    if kind not in KIND_NAMES:
        abort(404)
    problem, fields = None, {"kind": kind}
    if request.method == "POST":
        fields = {**request.form.to_dict(), "kind": kind}
        try:
            found = register_from(fields)
        except IntakeError as exc:
            problem = str(exc)
        else:
            kiosk = "1" if request.args.get("kiosk") == "1" else None
            return redirect(url_for("desk.follow", token=found.token, new=1, kiosk=kiosk), 303)
    with desk_db() as db:
        categories = db.categories()
    return render_template(
        "desk/new.html",
        kind=kind,
        kind_name=KIND_NAMES[kind],
        communities=_by_town(),
        companies=companies_by_community() if kind == "dispute" else {},
        categories=categories,
        phrases=PHRASES,
        fields=fields,
        problem=problem,
    ), 400 if problem else 200


def _by_town() -> list[tuple[str, list[str]]]:
    """The hub's communities grouped under their 乡镇/街道, for the picker."""
    towns: dict[str, list[str]] = {}
    for community in hub_communities():
        towns.setdefault(community.town, []).append(community.name)
    return list(towns.items())


@bp.get("/f/<token>")
def follow(token: str):
    """The resident's page for one request (JSON with Accept: application/json): where it is, its history, the
    answer read aloud, and the rating once answered. Just registered (?new=1): the number, read aloud, and a QR."""
    wants_json = request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    found = _stored(token)
    if found is None:  # the error shape for the scripts that ask for JSON, the error page for people
        return (jsonify(ok=False, error=GONE, status=404), 404) if wants_json else abort(404, description=GONE)
    with desk_db() as db:
        view = public_view(found, db.history(found.id), db.attachments(found.id))
    if wants_json:
        return jsonify(ok=True, **view)
    link = follow_link(found)
    new = request.args.get("new") == "1"
    with services().store() as store:
        speech = services().speech
        audio = {
            "number": voiced(spoken_number(found.number), speech, store) if new else [],
            "answer": voiced(found.answer, speech, store),
        }
    return render_template(
        "desk/follow.html",
        item=view,
        token=token,
        new=new,
        link=link,
        qr=qr_svg(link),
        audio=audio,
        ratings=RATINGS,
    )


@bp.post("/f/<token>/rate")
def rate_answer(token: str):
    """The resident's rating: 不满意 with a reason reopens the request once."""
    hold_back(RATE_LIMIT, "太频繁了")
    found = _by_token(token)
    rating = request.form.get("rating", "")
    if rating not in RATINGS:
        abort(400, description=f"请选择 {'、'.join(RATINGS)} 中的一个")
    reason = request.form.get("reason", "")[:500]
    try:
        with desk_db() as db:
            rate(db, rules(), found, rating, reason, now())
    except RefusedMove as exc:
        abort(409, description=str(exc))
    kiosk = "1" if request.args.get("kiosk") == "1" else None
    return redirect(url_for("desk.follow", token=token, kiosk=kiosk), 303)


@bp.route("/find", methods=["GET", "POST"])
def find():
    """At the kiosk: type the six-digit number to open the request's page."""
    problem, number = None, ""
    if request.method == "POST":
        hold_back(NUMBER_LIMIT, "查询得太频繁了")
        number = "".join(ch for ch in request.form.get("number", "")[:20] if ch.isdigit())
        with desk_db() as db:
            found = db.by_number(number)
        if found is not None and not found.anonymised:
            kiosk = "1" if request.args.get("kiosk") == "1" else None
            return redirect(url_for("desk.follow", token=found.token, kiosk=kiosk), 303)
        problem = "没有找到这个受理号，请再核对一下" if number else "请输入六位受理号"
    return render_template("desk/find.html", problem=problem, number=number), 400 if problem else 200


def _stored(token: str) -> Request | None:
    with desk_db() as db:
        found = db.by_token(token)
    return None if found is None or found.anonymised else found


def _by_token(token: str) -> Request:
    found = _stored(token)
    if found is None:
        abort(404, description=GONE)
    return found
