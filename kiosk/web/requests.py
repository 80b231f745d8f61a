"""What a request sends, read so that no body or field a client can make (another content type, a body past its
route's limit, an array, nesting past the parser's depth, a lone surrogate) reaches a view as anything but what it
can store, or a 4xx with the error shape."""

from __future__ import annotations

import json
from typing import Any, TypeGuard

from flask import abort, request

MAX_FIELD = 64


def json_body(limit: int, *, any_type: bool = False) -> dict[str, Any]:
    """The request's JSON object of at most ``limit`` bytes. Content-Type must be application/json (which a form on
    another site cannot send without the browser asking first) unless ``any_type``: sendBeacon sends text/plain."""
    if not any_type and request.mimetype != "application/json":
        abort(415)
    if (request.content_length or 0) > limit:
        abort(413)
    request.max_content_length = limit  # also bounds a body sent without a length (chunked)
    try:
        body = request.get_json(force=any_type, silent=True)
    except RecursionError:  # [[[[… : Python's parser gives up past about a thousand levels, and not with a ValueError
        body = None
    if not isinstance(body, dict) or not _storable(body):
        abort(400, description="请求的格式不对：应当是一个 JSON 对象。")
    return body


def text_field(body: dict[str, Any], name: str, limit: int = MAX_FIELD, default: str | None = None) -> str:
    """A string field of the body, at most ``limit`` characters; 400 naming the field otherwise."""
    value = body.get(name, default)
    if not is_text(value, limit):
        abort(400, description=f"请求的格式不对：{name} 应当是不超过 {limit} 个字的文字。")
    return value


def is_text(value: object, limit: int) -> TypeGuard[str]:
    """A string of at most ``limit`` characters that UTF-8 can hold."""
    if not isinstance(value, str) or len(value) > limit:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable(body: dict[str, Any]) -> bool:
    """False when the JSON held "\\ud800": a lone surrogate, which no UTF-8 page, file or database can take."""
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
