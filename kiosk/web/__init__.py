"""What every blueprint shares: the app's services and settings, request bodies and text checks, links and QR codes,
the one error shape, per-client limits and the security headers. View modules import from here, never each other.

- ``current``: services(), settings(), now(): the app's long-lived parts for the request being served
- ``requests``: json_body() with a size limit, text_field() and is_text(): what a client sends, checked
- ``links``: base_url(), qr_svg(), qr_file(): the hub's address for phones and the QR codes that carry it
- ``errors``: error_response(), the message table, which paths are API paths, the app's error handlers
- ``limits``: per-address allowances (Limit, hold_back) against floods and guessing
- ``security``: the security headers on every response
- ``server``: the waitress server (its own answers with those headers, connections capped per address)
"""

from .current import now, services, settings
from .errors import error_response, is_api_path
from .limits import Limit, hold_back
from .links import base_url, qr_file, qr_svg
from .requests import is_text, json_body, text_field

__all__ = [
    "Limit",
    "base_url",
    "error_response",
    "hold_back",
    "is_api_path",
    "is_text",
    "json_body",
    "now",
    "qr_file",
    "qr_svg",
    "retry_after",
    "services",
    "settings",
    "text_field",
]
