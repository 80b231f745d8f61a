"""The address phones on the hub's Wi-Fi should open, and the QR codes that carry it: on the kiosk's pages, the
trainer's learning cards and exports, and in the startup message."""

from __future__ import annotations

import io
import ipaddress
import subprocess
import time

import segno
from flask import request
from markupsafe import Markup

from .current import settings

QR_DARK = "#1b1b1b"

ADDRESSES_FRESH_SECONDS = 60.0  # a page view must not start a process: addresses change rarely (a new DHCP lease)
_remembered: tuple[float, list[str]] = (-ADDRESSES_FRESH_SECONDS, [])


def lan_addresses() -> list[str]:
    """IPv4 addresses of this machine other than loopback, as Debian's `hostname -I` lists them, asked at most
    once a minute."""
    global _remembered
    checked, addresses = _remembered
    if time.monotonic() - checked < ADDRESSES_FRESH_SECONDS:
        return list(addresses)
    addresses = _ask_hostname()
    _remembered = (time.monotonic(), addresses)
    return list(addresses)


def _ask_hostname() -> list[str]:
    try:
        output = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=2).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    addresses = []
    for word in output.split():
        try:
            address = ipaddress.ip_address(word)
        except ValueError:
            continue
        if address.version == 4 and not address.is_loopback:
            addresses.append(word)
    return addresses


def public_base_url(configured: str, port: int) -> str:
    """KIOSK_PUBLIC_URL if set; else this machine's first LAN address at the port it serves on; else loopback (a
    kiosk with no network, whose codes only its own screen could open)."""
    if configured:
        return configured.rstrip("/")
    addresses = lan_addresses()
    host = addresses[0] if addresses else "127.0.0.1"
    return f"http://{host}" + ("" if port == 80 else f":{port}")


def base_url() -> str:
    """This hub's address for phones. Never taken from the request's Host header: any client on the hub's Wi-Fi can
    send one, and a QR code on the kiosk, a learning card or an export would then send phones to its site."""
    port = str(request.environ.get("SERVER_PORT", ""))  # the port the server listens on, not the one a client named
    return public_base_url(settings().public_url, int(port) if port.isascii() and port.isdigit() else 80)


def qr_svg(link: str, scale: int = 4, sized: bool = True) -> Markup:
    """A QR code of ``link`` as inline SVG markup for a page; not ``sized``, it fills the box the CSS gives it."""
    if not sized:
        return Markup(segno.make(link, error="m").svg_inline(scale=1, border=2, omitsize=True, dark=QR_DARK))
    return Markup(segno.make(link, error="m").svg_inline(scale=scale, dark=QR_DARK))


def qr_file(link: str) -> bytes:
    """A QR code of ``link`` as a whole SVG file (with its xmlns), for an <img> or a download."""
    svg = io.BytesIO()
    segno.make(link, error="m").save(svg, kind="svg", scale=8, dark=QR_DARK)
    return svg.getvalue()
