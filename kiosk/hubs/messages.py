"""A hub's signed JSON message to the centre: the one way a hub tells the centre anything (its counts for the wall,
later the front desk's messages), and the centre's check of it before any route believes a word.

The hub signs, with its own key (keys.py), the method, the path, its name, the time, a random nonce and the body's
SHA-256, and sends them in four headers. The centre takes the message only from an enrolled hub (enrolment.py),
only with that hub's signature, only within WINDOW of its own clock, and only once: the nonce is remembered for as
long as the time would let the message through. The query string is not signed: routes read only the body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Response, abort, request
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey

from indexer.errors import KioskError

from ..city.database import CityDB
from ..library import keys as centre_keys
from ..library.fetch import ANSWER_BYTES, Fetcher, json_object
from ..web import error_response, json_body, services, settings
from .enrolment import Enrolled, find, first_use
from .keys import public_key
from .names import skeleton

HUB = "X-Kiosk-Hub"  # the hub's name, percent-encoded UTF-8: headers carry latin-1 only
SENT = "X-Kiosk-Sent"  # when it was signed, whole seconds since 1970 (UTC)
NONCE = "X-Kiosk-Nonce"  # 32 random hex digits, never sent twice
SIGNATURE = "X-Kiosk-Signature"  # Ed25519 over signed_text(), base64
CENTRE_SIGNATURE = "X-Kiosk-Centre-Signature"  # on answers a hub acts on: the centre's library key, over answer_text()
WINDOW = 600  # seconds a message's time may be off the centre's clock, either way
VERSION = b"kiosk-hub-message/1"
ANSWER_VERSION = b"kiosk-centre-answer/1"
FORMATS = {
    HUB: re.compile(r"[A-Za-z0-9%._~-]{1,720}"),  # 40 characters of 4 UTF-8 bytes, each %XX
    SENT: re.compile(r"\d{1,12}"),
    NONCE: re.compile(r"[0-9a-f]{32}"),
    SIGNATURE: re.compile(r"[A-Za-z0-9+/]{86}=="),
}
# What the centre's refusal (its "refused" field) means for the person at the hub, in the hub's own words.
REFUSALS = {
    "unsigned": "中心要求签名的消息，本站发的没有签名：请把本站升级到与中心相同的版本",
    "unknown-hub": (
        "中心还没有登记这个站点：「{hub}」。在本站运行 kiosk hub key，把打印的名称和公钥交给中心，"
        "在中心运行 kiosk hub enrol 名称 公钥"
    ),
    "signature": (
        "中心登记的「{hub}」的公钥与本站的不符（本站的数据目录换过了？）：在本站运行 kiosk hub key，"
        "请中心先 kiosk hub remove {hub}，再用新公钥 kiosk hub enrol"
    ),
    "clock": f"本站电脑的时钟与中心相差超过 {WINDOW // 60} 分钟，中心不收：请把本站的日期和时间调准",
    "replay": "中心说这条消息已经收到过了（被人重发了？）；下次同步会重新发送",
}


class Refused(KioskError):
    """A message the centre does not take: the HTTP status, the message, and ``reason`` (a REFUSALS key)."""

    def __init__(self, status: int, reason: str, message: str):
        super().__init__(message)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class Message:
    """A message the centre has checked: who sent it (its name as enrolled), when, and its nonce."""

    hub: str
    sent: int
    nonce: str


@dataclass(frozen=True)
class Answer:
    """The centre's answer to a hub's message: its HTTP status, when refused why, and the answer's JSON object."""

    status: int
    refused: str = ""
    body: dict[str, Any] = field(default_factory=dict)

    def problem(self, hub: str) -> str:
        """Why the centre refused, in words the hub's installer can act on; "" for a refusal it did not explain."""
        return REFUSALS.get(self.refused, "").format(hub=hub)


def signed_text(method: str, path: str, hub: str, sent: str, nonce: str, body: bytes) -> bytes:
    """Exactly what the signature covers; ``hub`` as sent in its header (percent-encoded)."""
    parts = (method.upper(), path, hub, sent, nonce, hashlib.sha256(body).hexdigest())
    return b"\n".join([VERSION, *(part.encode("utf-8") for part in parts)])


def signed_headers(
    key: SigningKey, hub: str, method: str, path: str, body: bytes, at: float | None = None
) -> dict[str, str]:
    """The four headers that make ``body`` a message from ``hub`` to ``method path`` at the centre, signed now (or
    ``at``) with a fresh nonce."""
    headers = {
        HUB: urllib.parse.quote(hub, safe=""),
        SENT: str(int(time.time() if at is None else at)),
        NONCE: secrets.token_hex(16),
    }
    text = signed_text(method, path, headers[HUB], headers[SENT], headers[NONCE], body)
    return {**headers, SIGNATURE: base64.b64encode(key.sign(text).signature).decode("ascii")}


class ForgedAnswer(KioskError):
    """An answer the hub was to act on that the centre's key did not sign, as the answer to this very message."""


def answer_text(nonce: str, body: bytes) -> bytes:
    """What the centre's signature on an answer covers: the nonce of the hub's message it answers (so an old
    answer cannot be played back) and the answer's SHA-256."""
    return b"\n".join([ANSWER_VERSION, nonce.encode("ascii"), hashlib.sha256(body).hexdigest().encode("ascii")])


def post_signed(
    fetcher: Fetcher,
    key: SigningKey,
    hub: str,
    path: str,
    message: dict[str, Any],
    most: int = ANSWER_BYTES,
    centre_key: str | None = None,
) -> Answer:
    """Send ``message`` as JSON to the centre's ``path``, signed as from ``hub``, and read an answer of at most
    ``most`` bytes; FetchError if the centre is not reached. With ``centre_key`` (the library's public key) a
    successful answer must carry the centre's signature (sign_answer), else ForgedAnswer: what a hub changes on
    the strength of an answer comes from the centre, never from whoever sits between them."""
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    headers = signed_headers(key, hub, "POST", path, body)
    status, data, answer_headers = fetcher.post(path, body, headers, most)
    if centre_key is not None and status == 200:
        try:
            centre_keys.verify(centre_key, answer_text(headers[NONCE], data), answer_headers.get(CENTRE_SIGNATURE, ""))
        except centre_keys.SignatureError:
            raise ForgedAnswer("中心的回答没有中心的签名（路上被改过，或回答的不是中心）：没有采用") from None
    answer = json_object(data)
    refused = answer.get("refused", "")
    return Answer(status, refused if isinstance(refused, str) else "", answer)


def sign_answer(response: Response, message: Message) -> Response:
    """The centre's signature, with its library key, on its answer to ``message``: see post_signed."""
    signature = centre_keys.sign(
        centre_keys.signing_key(services().data.root), answer_text(message.nonce, response.get_data())
    )
    response.headers[CENTRE_SIGNATURE] = signature
    return response


def verified(
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    enrolled: Callable[[str], Enrolled | None],
    now: float,
) -> Message:
    """The message these headers sign, if ``enrolled`` (name → the hub enrolled under it) knows the hub, its key
    signed exactly this, and it was signed within WINDOW of ``now``; Refused otherwise. Replays are the caller's."""
    values = {name: headers.get(name, "") for name in FORMATS}
    if not all(FORMATS[name].fullmatch(value) for name, value in values.items()):
        raise Refused(
            401, "unsigned", f"这个请求没有站点的签名：站点要用 kiosk sync 发送（需要 {', '.join(FORMATS)} 这几个头）。"
        )
    try:
        name = urllib.parse.unquote(values[HUB], errors="strict")
    except UnicodeDecodeError:
        raise Refused(401, "unsigned", f"{HUB} 应当是百分号编码的 UTF-8 站点名称。") from None
    hub = enrolled(name)
    if hub is None:
        raise Refused(
            403,
            "unknown-hub",
            f"中心没有登记站点「{name}」：请在那个站点运行 kiosk hub key，再在中心运行 kiosk hub enrol 名称 公钥。",
        )
    text = signed_text(method, path, values[HUB], values[SENT], values[NONCE], body)
    try:
        public_key(hub.key).verify(text, base64.b64decode(values[SIGNATURE], validate=True))
    except (BadSignatureError, binascii.Error, ValueError):
        raise Refused(
            403, "signature", f"签名与中心为「{hub.name}」登记的公钥不符：消息被改动过，或不是这个站点发的。"
        ) from None
    sent = int(values[SENT])
    if abs(sent - now) > WINDOW:
        raise Refused(
            403, "clock", f"消息的时间与中心的时钟相差超过 {WINDOW // 60} 分钟：请把站点电脑的日期和时间调准。"
        )
    return Message(hub.name, sent, values[NONCE])


def signed_json(limit: int) -> tuple[Message, dict[str, Any]]:
    """For a centre route: this request's JSON body of at most ``limit`` bytes and the enrolled hub that signed it,
    taken once and not under the centre's own name; otherwise the request ends in the API's error shape with
    ``refused`` saying why."""
    body = json_body(limit)
    now = time.time()  # the real clock: a hub signs with its own, not with a test's learning clock
    with CityDB(services().data.root) as db:
        try:
            message = verified(
                {name: request.headers.get(name, "") for name in FORMATS},
                request.method,
                request.path,
                request.get_data(cache=True),
                lambda n: find(db, n),
                now,
            )
            if not first_use(db, message.nonce, message.hub, message.sent, now - WINDOW):
                raise Refused(403, "replay", "这条消息已经收到过了：每条消息只收一次。")
        except Refused as refused:
            abort(error_response(refused.status, str(refused), refused=refused.reason))
    if skeleton(message.hub) == skeleton(settings().hub_name):  # a hub left on the centre's name would pass as it
        own = f"「{message.hub}」是中心自己的名称：请在这个站点设置 KIOSK_HUB_NAME，给它起自己的名字。"
        abort(error_response(409, own, refused="own-name"))
    return message, body
