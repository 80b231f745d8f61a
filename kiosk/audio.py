"""Sentence MP3s as HTTP responses, and the fast path that answers cached ones before Flask dispatches anything.

Listening is the hub's busiest traffic (a phone asks for a sentence every few seconds) and a cached sentence is a
file with a content-addressed name, so it is served at close to a static file server's cost.
"""

from __future__ import annotations

import re

from flask import Response
from werkzeug.exceptions import HTTPException

from indexer.speech.audio_cache import KEY

from .security import add_headers

AUDIO_MAX_AGE = 365 * 24 * 3600  # content-addressed: a key's sound never changes
AUDIO_PATH = re.compile(r"/audio/([0-9a-f]+)\.mp3")


def audio_response(key: str, data: bytes, environ) -> Response:
    """The MP3 with a year of caching, its key as ETag, and Range and If-None-Match answered (206, 304, 416)."""
    response = Response(data, mimetype="audio/mpeg")
    response.cache_control.public = True
    response.cache_control.max_age = AUDIO_MAX_AGE
    response.cache_control.immutable = True
    response.set_etag(key)
    return response.make_conditional(environ, accept_ranges=True, complete_length=len(data))


class CachedAudio:
    """WSGI middleware: GET or HEAD of a sentence already in the audio cache is answered here, security headers
    included; anything else (a sentence still to voice, a bad key, every other path) goes on to the app."""

    def __init__(self, app, services):
        self.app = app
        self.services = services

    def __call__(self, environ, start_response):
        match = AUDIO_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match and KEY.match(match[1]) and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            data = self.services.speech.cache.read(match[1])
            if data is not None:
                try:
                    response = audio_response(match[1], data, environ)
                except HTTPException:  # an unsatisfiable Range: the app answers it in the one error shape
                    return self.app(environ, start_response)
                return add_headers(response)(environ, start_response)
        return self.app(environ, start_response)
