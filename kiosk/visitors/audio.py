"""Sentence MP3s as HTTP responses, and the fast path that answers cached ones before Flask dispatches anything.

Listening is the hub's busiest traffic (a phone asks for a sentence every few seconds) and a cached sentence is a
file with a content-addressed name, so it is served at close to a static file server's cost.
"""

from __future__ import annotations

import re

from flask import Response
from werkzeug.http import parse_range_header

from indexer.speech.audio_cache import KEY

from ..web.security import HEADERS

AUDIO_MAX_AGE = 365 * 24 * 3600  # content-addressed: a key's sound never changes
AUDIO_PATH = re.compile(r"/audio/([0-9a-f]+)\.mp3")
CACHE_CONTROL = f"public, max-age={AUDIO_MAX_AGE}, immutable"


def audio_response(key: str, data: bytes, environ) -> Response:
    """The MP3 with a year of caching, its key as ETag, and Range and If-None-Match answered (206, 304, 416)."""
    response = Response(data, mimetype="audio/mpeg")
    response.cache_control.public = True
    response.cache_control.max_age = AUDIO_MAX_AGE
    response.cache_control.immutable = True
    response.set_etag(key)
    response.make_conditional(environ, accept_ranges=True, complete_length=len(data))  # sets the status and range
    return response


class CachedAudio:
    """WSGI middleware: a plain GET or HEAD of a sentence already in the audio cache (the whole file, or one byte
    range of it, as media elements ask) is answered here with the same headers as the app's; anything else (a
    sentence still to voice, a conditional request, an odd or unsatisfiable Range, every other path) goes on to
    the app."""

    def __init__(self, app, services):
        self.app = app
        self.services = services

    def __call__(self, environ, start_response):
        match = AUDIO_PATH.fullmatch(environ.get("PATH_INFO", ""))
        method = environ.get("REQUEST_METHOD")
        if (
            not match
            or method not in ("GET", "HEAD")
            or "HTTP_IF_NONE_MATCH" in environ
            or "HTTP_IF_RANGE" in environ
            or not KEY.match(match[1])
        ):
            return self.app(environ, start_response)
        data = self.services.speech.cache.read(match[1])
        if data is None:
            return self.app(environ, start_response)
        status, body, headers = "200 OK", data, []
        if "HTTP_RANGE" in environ:
            asked = parse_range_header(environ["HTTP_RANGE"])
            span = asked.range_for_length(len(data)) if asked else None
            if span is None:
                return self.app(environ, start_response)
            start, stop = span
            status, body = "206 Partial Content", data[start:stop]
            headers.append(("Content-Range", f"bytes {start}-{stop - 1}/{len(data)}"))
        headers += [
            ("Content-Type", "audio/mpeg"),
            ("Content-Length", str(len(body))),
            ("Accept-Ranges", "bytes"),
            ("Cache-Control", CACHE_CONTROL),
            ("ETag", f'"{match[1]}"'),
            *HEADERS.items(),
        ]
        start_response(status, headers)
        return [] if method == "HEAD" else [body]
