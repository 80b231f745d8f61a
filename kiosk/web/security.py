"""Security headers on every response, so markup that slips into a page can neither run nor load anything: the
app's own answers, and (through kiosk.web.server) those waitress makes before the app sees a request."""

from __future__ import annotations

from flask import Flask, Response

# Everything the pages use comes from this server, and nothing runs inline: scripts are files under /static (the
# statistics page's numbers sit in a <script type="application/json"> block, which is data, not code), QR codes
# are inline SVG markup or /doc/<id>/qr.svg, sound is /audio/<key>.mp3, the pages fetch /api/… and /sw.js is the
# phones' service worker. Anything not named here (fonts, frames, plugins, other sites) is refused.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",  # app.js, sentence-player.js, player.js, offline.js, the editor's scripts, Chart.js
        "style-src 'self'",  # kiosk.css and editor.css; scripts set sizes through element.style, which CSP allows
        "img-src 'self'",  # icon.svg, the hand-off QR image
        "media-src 'self'",  # the sentences' MP3s
        "connect-src 'self'",  # fetch and sendBeacon to /api, the document preload, the service worker's own fetches
        "worker-src 'self'",  # /sw.js
        "manifest-src 'self'",  # manifest.webmanifest
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers too old to know it
}


def init_app(app: Flask) -> None:
    """Send the headers with every response: pages, API, audio, static files, error pages."""
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    """The headers a view has not set itself."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
