"""This hub's own Ed25519 key pair, which signs its messages to the centre: made on first use in the data dir."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from nacl.signing import SigningKey, VerifyKey

from indexer.errors import KioskError

from ..library.keys import stored_key

KEY_FILE = "hub-key"  # the 32-byte seed, base64; readable by the kiosk's user only


class PublicKeyError(KioskError):
    """Text that is not a hub's public key as `kiosk hub key` prints it."""


def hub_key(data_root: Path) -> SigningKey:
    """This hub's private key, made (and written 0600) on first use."""
    return stored_key(Path(data_root) / KEY_FILE, True, "站点密钥", "否则要在中心重新登记本站（kiosk hub enrol）")


def public_key(text: str) -> VerifyKey:
    """The public key in ``text`` (44 characters of base64), or PublicKeyError."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise PublicKeyError("站点公钥格式不对：应是在站点上运行 kiosk hub key 打印的 44 个字符")
    return VerifyKey(raw)
