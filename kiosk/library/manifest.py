"""What a library snapshot lists, by hash, and how it is written and read: one format for centre and hub.

A manifest names every text file of the library and, per document, one *audio list* (the document's sentences
the centre has voiced: audio key, SHA-256, size, seconds) and one *vector part* (its passages' vectors), plus the
centre's pronunciations. Audio keys and vector keys are the caches' own content addresses; every file a hub
downloads is named and checked by its SHA-256. The manifest is signed as the exact bytes it is sent as.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath

from indexer.errors import KioskError
from indexer.speech.audio_cache import KEY as AUDIO_KEY

FORMAT = 1
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_FILE_BYTES = 2 * 1024**3
MAX_ENTRIES = 2_000_000


class ManifestError(KioskError):
    """A manifest or audio list that is not what a centre writes."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(value) -> bytes:
    """The one byte form of a JSON value: what is hashed and signed."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class Blob:
    """A file by its content: what a hub downloads from /library/objects/<sha256> and checks."""

    sha256: str
    size: int


@dataclass(frozen=True)
class TextFile:
    path: str  # relative to the library's root, as the content loader sees it (also _courses/, _quiz/)
    sha256: str
    size: int


@dataclass(frozen=True)
class DocumentMedia:
    """A document's audio list and vector part, either None when the centre has none yet."""

    source: str
    audio: Blob | None = None
    vectors: Blob | None = None


@dataclass(frozen=True)
class Voiced:
    """One sentence's MP3 in an audio list."""

    key: str
    sha256: str
    size: int
    seconds: float


@dataclass
class Manifest:
    serial: int  # grows with every snapshot the centre makes: a hub never goes back to an older one
    created: str
    centre: str
    speech: dict  # engine, voice, rate, version: a hub with other settings computes other audio keys
    vector_model: str
    texts: list[TextFile] = field(default_factory=list)
    documents: list[DocumentMedia] = field(default_factory=list)
    pronunciations: Blob | None = None
    spoken: Blob | None = None  # the audio list of the questions', options', answers' and prompts' sentences
    missing: dict = field(default_factory=dict)  # sentences and passages the centre has not rendered yet
    format: int = FORMAT

    def encode(self) -> bytes:
        return canonical(asdict(self))

    def blobs(self) -> list[Blob]:
        """Every file a hub needs besides the MP3s: texts, audio lists, vector parts, pronunciations."""
        found = [Blob(t.sha256, t.size) for t in self.texts]
        for doc in self.documents:
            found += [blob for blob in (doc.audio, doc.vectors) if blob]
        return found + [blob for blob in (self.pronunciations, self.spoken) if blob]

    def audio_lists(self) -> list[Blob]:
        """Every audio list: the documents' and the questions'."""
        return [doc.audio for doc in self.documents if doc.audio] + ([self.spoken] if self.spoken else [])


def parse(data: bytes) -> Manifest:
    """A manifest from its bytes, every field checked; ManifestError says what is wrong."""
    try:
        raw = json.loads(data.decode("utf-8"))
        if raw.get("format") != FORMAT:
            raise ManifestError(f"文库清单的格式版本是 {raw.get('format')!r}，本站只认 {FORMAT}；请升级本站软件")
        texts = [TextFile(_path(t["path"]), _sha(t["sha256"]), _size(t["size"])) for t in _list(raw["texts"])]
        documents = [
            DocumentMedia(_path(d["source"]), _blob(d.get("audio")), _blob(d.get("vectors")))
            for d in _list(raw["documents"])
        ]
        speech = raw["speech"]
        if not (isinstance(speech, dict) and all(isinstance(v, (str, int, float)) for v in speech.values())):
            raise ValueError("speech")
        manifest = Manifest(
            serial=_whole(raw["serial"]),
            created=_text(raw["created"]),
            centre=_text(raw["centre"]),
            speech=speech,
            vector_model=_text(raw["vector_model"]),
            texts=texts,
            documents=documents,
            pronunciations=_blob(raw.get("pronunciations")),
            spoken=_blob(raw.get("spoken")),
            missing={k: _whole(v) for k, v in dict(raw.get("missing") or {}).items()},
        )
    except ManifestError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError, RecursionError) as exc:
        raise ManifestError(f"文库清单不完整或格式不对（{type(exc).__name__}: {exc}），未同步") from None
    if len({t.path for t in texts}) != len(texts):
        raise ManifestError("文库清单里有重复的文件，未同步")
    return manifest


def audio_list(voiced: list[Voiced]) -> bytes:
    return canonical([[v.key, v.sha256, v.size, v.seconds] for v in voiced])


def parse_audio_list(data: bytes) -> list[Voiced]:
    try:
        rows = _list(json.loads(data.decode("utf-8")))
        voiced = [Voiced(key, _sha(sha), _size(size), float(seconds)) for key, sha, size, seconds in rows]
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise ManifestError(f"音频清单格式不对（{exc}），未同步") from None
    if any(not AUDIO_KEY.match(v.key) for v in voiced):
        raise ManifestError("音频清单里有不是音频键的条目，未同步")
    return voiced


def _list(value) -> list:
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        raise ValueError("list")
    return value


def _text(value) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise ValueError("text")
    return value


def _whole(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("number")
    return value


def _size(value) -> int:
    if _whole(value) > MAX_FILE_BYTES:
        raise ValueError("size")
    return value


def _sha(value) -> str:
    if not isinstance(value, str) or not SHA256.match(value):
        raise ValueError("sha256")
    return value


def _blob(value) -> Blob | None:
    return None if value is None else Blob(_sha(value["sha256"]), _size(value["size"]))


def _path(value) -> str:
    """A relative path that stays inside the library folder: no '..', no absolute, no hidden or odd parts."""
    path = PurePosixPath(value if isinstance(value, str) and len(value) <= 300 else "")
    if (
        not path.parts
        or path.is_absolute()
        or str(path) != value
        or "\\" in value
        or any(part.startswith(".") or any(ord(c) < 32 for c in part) for part in path.parts)
    ):
        raise ValueError(f"unsafe path {value!r}")
    return value
