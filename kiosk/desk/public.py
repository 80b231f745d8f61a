"""What a resident (or anyone holding the follow link or the number) may read of a request: where it is, what was
done and why, the answer and its articles. Never the name or phone, never which staff account did what."""

from __future__ import annotations

import datetime as dt

from indexer.store import Store

from ..services import SpeechService
from .database import Attachment, Change, Request
from .states import ACTION_NAMES, KIND_NAMES, LEVEL_NAMES, STATUS_NAMES
from .workflow import RESIDENT, SYSTEM

DIGITS = "零一二三四五六七八九"


def moment(timestamp: float | None) -> str | None:
    """A time as the hub's local ISO date-time to the minute."""
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp).isoformat(timespec="minutes")


def spoken_number(number: str) -> str:
    """The sentence the kiosk says when a request is registered: the number digit by digit, as people read it."""
    return f"您的受理号是：{'，'.join(DIGITS[int(digit)] for digit in number)}。请记好这个号码。"


def public_view(request: Request, history: list[Change], attachments: list[Attachment]) -> dict:
    """The follow link's JSON (and the follow page's content)."""
    return {
        "number": request.number,
        "kind": request.kind,
        "kind_name": KIND_NAMES[request.kind],
        "status": request.status,
        "status_name": STATUS_NAMES[request.status],
        "level": request.level,
        "level_name": LEVEL_NAMES[request.level],
        "category": request.category,
        "community": request.community,
        "text": request.text,
        "answer": request.answer,
        "rating": request.rating,
        "may_rate": request.status == "answered",
        "reopened": bool(request.reopened),
        "created": moment(request.created),
        "due": moment(request.due),
        "articles": [{"doc": a.doc, "title": a.title, "url": f"/doc/{a.doc}"} for a in attachments],
        "history": [
            {
                "at": moment(change.at),
                "action": change.action,
                "action_name": ACTION_NAMES.get(change.action, change.action),
                "status": change.status,
                "level": change.level,
                "by": change.actor if change.actor in (RESIDENT, SYSTEM) else "工作人员",
                "note": change.note if change.action not in ("register", "publish") else "",
            }
            for change in history
        ],
    }


def voiced(text: str, speech: SpeechService, store: Store) -> list[str]:
    """The sentence MP3s that read ``text`` aloud (empty when this kiosk has no voice)."""
    return [f"/audio/{line.key}.mp3" for line in speech.say(text, store)] if text else []
