"""Sync benchmark: a hub's first sync of the bundled library and its re-sync after one edited article, against
fetching the same files with a bare HTTP loop from the same centre in the same run.

    .venv/bin/python bench/bench_sync.py                 # espeak-ng voice, no vectors (~3 min)
    .venv/bin/python bench/bench_sync.py --vectors       # also embed at the centre and ship the vectors

The centre is a real `kiosk serve` on loopback with its own data dir, built on a copy of content/; the hub syncs
in this process (kiosk.library.sync.sync, what `kiosk sync` runs). "Library size" is the sum of every file the
manifest names (texts, pronunciations, audio lists, vector parts and MP3s): what a hub holds once synced.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from kiosk.library.manifest import Manifest, parse, parse_audio_list
from kiosk.library.sync import sync
from kiosk.settings import BUNDLED_CONTENT, Settings

KIOSK = Path(sys.executable).with_name("kiosk")
EDITED = "有声物业/物业管理篇/专项维修资金怎么用.md"
APPENDED = "\n\n本段为同步基准测试追加的文字：维修资金的使用情况应当每年向业主公布一次。\n"


def run(data: Path, *args: str, env: dict) -> str:
    result = subprocess.run([str(KIOSK), "--data", str(data), *args], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise SystemExit(f"kiosk {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def library_files(url: str) -> tuple[Manifest, list[tuple[str, int]]]:
    """The centre's manifest and every (sha256, size) it names, MP3s included."""
    manifest = parse(json.loads(get(url + "/library/manifest"))["manifest"].encode("utf-8"))
    files = {blob.sha256: blob.size for blob in manifest.blobs()}
    for blob in manifest.audio_lists():
        files.update((v.sha256, v.size) for v in parse_audio_list(get(f"{url}/library/objects/{blob.sha256}")))
    return manifest, list(files.items())


def bare_fetch(url: str, files: list[tuple[str, int]]) -> float:
    """The reference: the same files, one after another, no hash check, nothing written."""
    started = time.perf_counter()
    for sha, _ in files:
        get(f"{url}/library/objects/{sha}")
    return time.perf_counter() - started


def wait_until_voiced(url: str, serial: int, within: float = 900) -> None:
    deadline = time.monotonic() + within
    while True:
        manifest = json.loads(json.loads(get(url + "/library/manifest"))["manifest"])
        if manifest["serial"] > serial and manifest["missing"]["audio"] == 0:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"the centre did not finish voicing the edit: {manifest['missing']}")
        time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="pyttsx3", help="the voice of centre and hub (default espeak-ng)")
    parser.add_argument("--vectors", action="store_true", help="embed passages at the centre and sync them too")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(KIOSK_ENGINE=args.engine, PYTHONUNBUFFERED="1")
    content, centre_data = work / "content", work / "centre"
    shutil.copytree(BUNDLED_CONTENT, content)
    centre_env = dict(env, KIOSK_CONTENT=str(content))
    print(f"centre: building the bundled library with {args.engine} …", flush=True)
    run(centre_data, "build", *([] if args.vectors else ["--no-vectors"]), env=centre_env)
    key = run(centre_data, "library-key", env=centre_env).strip()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(KIOSK), "--data", str(centre_data), "serve", "--port", str(port)],
        env=centre_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    figures: dict = {}
    try:
        for _ in range(600):
            try:
                get(url + "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        manifest, files = library_files(url)
        size = sum(size for _, size in files)
        reference = bare_fetch(url, files)
        own = work / "hub-content"
        own.mkdir()
        hub = Settings(data=work / "hub", content=(own,), engine=args.engine, render=False)
        started = time.perf_counter()
        first = sync(hub, url, key)
        first_seconds = time.perf_counter() - started
        if first.index is None:
            raise SystemExit("the first sync indexed nothing")
        figures["first"] = {
            "files": first.files,
            "bytes": first.bytes,
            "library_files": len(files),
            "library_bytes": size,
            "seconds": round(first_seconds, 2),
            "bare_fetch_seconds": round(reference, 2),
            "index_seconds": round(first.index.seconds, 2),
            "audio": first.audio,
            "vectors": first.vectors,
        }
        edited = content / EDITED
        edited.write_text(edited.read_text(encoding="utf-8") + APPENDED, encoding="utf-8")
        run(centre_data, "build", *([] if args.vectors else ["--no-vectors"]), env=centre_env)
        wait_until_voiced(url, manifest.serial)
        started = time.perf_counter()
        again = sync(hub, url, key)
        figures["resync"] = {
            "files": again.files,
            "bytes": again.bytes,
            "audio": again.audio,
            "vectors": again.vectors,
            "seconds": round(time.perf_counter() - started, 2),
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    first, again = figures["first"], figures["resync"]
    print(
        f"\nfirst sync to an empty hub: {first['files']} files, {first['bytes'] / 2**20:.1f} MB on the wire "
        f"for a library of {first['library_files']} files, {first['library_bytes'] / 2**20:.1f} MB "
        f"(ratio {first['bytes'] / first['library_bytes']:.3f}); {first['seconds']:.1f} s, against "
        f"{first['bare_fetch_seconds']:.1f} s to fetch the same files bare "
        f"(ratio {first['seconds'] / first['bare_fetch_seconds']:.2f}; ours also checks and switches, and indexes "
        f"for {first['index_seconds']:.1f} s)"
    )
    print(
        f"re-sync after one edited article: {again['files']} files ({again['audio']} MP3s, "
        f"{again['vectors']} vectors), {again['bytes'] / 1024:.1f} KB on the wire "
        f"({again['bytes'] / first['library_bytes']:.4%} of the library), {again['seconds']:.1f} s"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
