"""The address phones on the hub's Wi-Fi should open, for the QR codes and the startup message."""

from __future__ import annotations

import ipaddress
import subprocess
import time

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


def public_base_url(configured: str, request_host_url: str, port: int | None) -> str:
    """KIOSK_PUBLIC_URL if set; else the first LAN address with the serving port; else what the browser used."""
    if configured:
        return configured.rstrip("/")
    addresses = lan_addresses()
    if addresses and port:
        return f"http://{addresses[0]}:{port}"
    return request_host_url.rstrip("/")
