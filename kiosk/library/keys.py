"""The centre's Ed25519 key pair: made on first use, kept in the data dir, its public half given to every hub."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Literal, overload

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from indexer.atomic import write_atomic
from indexer.errors import ConfigError, KioskError

KEY_FILE = "library-key"  # the 32-byte seed, base64; readable by the kiosk's user only


class SignatureError(KioskError):
    """A manifest that the centre's key did not sign."""


@overload
def signing_key(data_root: Path, create: Literal[True] = True) -> SigningKey: ...
@overload
def signing_key(data_root: Path, create: bool) -> SigningKey | None: ...


def signing_key(data_root: Path, create: bool = True) -> SigningKey | None:
    """The centre's private key; made (and written 0600) on first use when ``create``, else None if absent."""
    return stored_key(Path(data_root) / KEY_FILE, create, "文库密钥", "否则各站点要换新的公钥")


@overload
def stored_key(path: Path, create: Literal[True], name: str, else_: str) -> SigningKey: ...
@overload
def stored_key(path: Path, create: bool, name: str, else_: str) -> SigningKey | None: ...


def stored_key(path: Path, create: bool, name: str, else_: str) -> SigningKey | None:
    """The Ed25519 key kept in ``path`` (its seed, base64, 0600), made on first use when ``create``; a file that
    cannot be read is a ConfigError naming it as ``name`` and what follows if it is lost (``else_``)."""
    try:
        seed = base64.b64decode(path.read_bytes().strip(), validate=True)
    except FileNotFoundError:
        if not create:
            return None
        key = SigningKey.generate()
        write_atomic(path, base64.b64encode(bytes(key)) + b"\n")
        os.chmod(path, 0o600)
        return key
    except (OSError, binascii.Error) as exc:
        raise ConfigError(f"{name} {path} 无法读取（{exc}）；从备份恢复它，{else_}") from None
    if len(seed) != 32:
        raise ConfigError(f"{name} {path} 已损坏；从备份恢复它，{else_}")
    return SigningKey(seed)


def public_text(key: SigningKey) -> str:
    """The public key as hubs are given it: 44 characters of base64."""
    return base64.b64encode(bytes(key.verify_key)).decode("ascii")


def sign(key: SigningKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message).signature).decode("ascii")


def verify(public: str, message: bytes, signature: str) -> None:
    """Raises SignatureError unless ``signature`` is the centre's over exactly ``message``."""
    try:
        verify_key = VerifyKey(base64.b64decode(public.strip(), validate=True))
    except (binascii.Error, ValueError, TypeError):
        raise ConfigError("中心公钥格式不对：应是 kiosk library-key 在中心打印的 44 个字符") from None
    try:
        verify_key.verify(message, base64.b64decode(signature, validate=True))
    except (BadSignatureError, binascii.Error, ValueError, TypeError):
        raise SignatureError("文库清单的签名与中心公钥不符（清单被改动过，或公钥不是这个中心的），未同步") from None
