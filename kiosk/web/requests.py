"""The JSON object a POST sends, read so that no body a client can make (an array, nesting past the parser's depth,
a lone surrogate) reaches the view as anything but a dict it can store, or a 400."""

from __future__ import annotations

import json

from flask import abort, request


def json_object() -> dict:
    """The request body as a JSON object, whatever its content type (sendBeacon sends text/plain); 400 otherwise."""
    try:
        body = request.get_json(force=True, silent=True)
    except RecursionError:  # [[[[… : Python's parser gives up past about a thousand levels, and not with a ValueError
        body = None
    if not isinstance(body, dict) or not _storable(body):
        abort(400)
    return body


def _storable(body: dict) -> bool:
    """False when the JSON held "\\ud800": a lone surrogate, which no UTF-8 page, file or database can take."""
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
