"""Soak: `kiosk serve` for half an hour under the training session's load at a lower rate, with an editor publish
every minute and a rebuild from another process every five; does the server's memory, open files or threads grow?

Phones listen and search through Locust (bench/load_scenarios.py, as bench_load.py runs them) on a copy of the
bundled texts; the editor signs in over HTTP and publishes a changed text each minute; `kiosk build` runs beside the
server every five minutes. The server's process tree is sampled every ten seconds. The first five minutes are the
warm-up (caches fill, speech workers start); growth is measured from there to the end, against stated bounds.

    .venv/bin/python bench/bench_soak.py [--minutes 30] [--phones 15] [--engine pyttsx3] [--json out.json]
    .venv/bin/python bench/bench_soak.py --publish-every 10   # a year of publishes sooner: does memory level off?
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_load import (  # noqa: E402
    BIN,
    CONTENT,
    QUERIES,
    BenchError,
    Context,
    build_data,
    kiosk_server,
    run_locust,
    stop_everything,
)
from kiosk.editor.accounts import Accounts  # noqa: E402

SAMPLE_SECONDS = 10.0
WARM_UP_SECONDS = 300.0
PUBLISH_EVERY = 60.0
REBUILD_EVERY = 300.0
EDITOR, PASSWORD = "soak", "soak-password-1"
EDITED = "政策法规/物业管理条例导读.md"
# Bounds after the warm-up, for a server expected to run a year: a leak of a request's worth per minute shows.
MAX_RSS_GROWTH_MB = 60.0
MAX_FD_GROWTH = 20
MAX_THREAD_GROWTH = 8


def sample(pid: int) -> dict:
    """RSS of the server and its children, the server's open files and threads."""
    root = psutil.Process(pid)
    tree = [root, *root.children(recursive=True)]
    rss = 0
    for process in tree:
        try:
            rss += process.memory_info().rss
        except psutil.Error:
            continue
    return {
        "at": time.monotonic(),
        "rss_mb": rss / 2**20,
        "server_rss_mb": root.memory_info().rss / 2**20,
        "fds": root.num_fds(),
        "threads": root.num_threads(),
        "children": len(tree) - 1,
    }


class Editor:
    """An editor in a browser, as far as the server can tell: a cookie, the CSRF token, form posts."""

    def __init__(self, url: str):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def _post(self, path: str, fields: dict, token_from: str) -> int:
        fields = {**fields, "csrf_token": self._csrf(token_from)}
        body = urllib.parse.urlencode(fields).encode()
        with self.opener.open(self.url + path, data=body, timeout=120) as response:
            return response.status

    def _csrf(self, path: str) -> str:
        page = self.opener.open(self.url + path, timeout=30).read().decode("utf-8")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
            r'name="csrf-token" content="([^"]+)"', page
        )
        if not match:
            raise BenchError(f"no CSRF token on {path}")
        return match.group(1)

    def sign_in(self) -> None:
        self._post("/editor/signin", {"name": EDITOR, "password": PASSWORD}, "/editor/signin")

    def publish(self) -> int:
        return self._post("/editor/publish", {}, "/editor/")


def churn(
    ctx: Context,
    url: str,
    content: Path,
    stop: threading.Event,
    events: list,
    publish_every: float,
    rebuild_every: float,
) -> None:
    """An edited text published through the editor every minute (or publish_every seconds); a rebuild beside the
    server every five minutes."""
    editor = Editor(url)
    editor.sign_in()
    started, publishes, rebuilds = time.monotonic(), 0, 0
    path = content / EDITED
    original = path.read_text(encoding="utf-8")
    while not stop.wait(1.0):
        elapsed = time.monotonic() - started
        if elapsed >= (publishes + 1) * publish_every:
            publishes += 1
            path.write_text(
                original + f"\n第 {publishes} 次修改：业主可以向业主委员会查询维修资金的使用情况。\n", encoding="utf-8"
            )
            began = time.monotonic()
            status: int | str
            try:
                status = editor.publish()
            except OSError as exc:
                status = f"failed: {exc}"
            events.append({"kind": "publish", "at": elapsed, "status": status, "seconds": time.monotonic() - began})
        if elapsed >= (rebuilds + 1) * rebuild_every:
            rebuilds += 1
            began = time.monotonic()
            result = subprocess.run(
                [
                    str(BIN / "kiosk"),
                    "--data",
                    str(ctx.data),
                    "build",
                    "--no-audio",
                    "--no-vectors",
                    "--content",
                    str(content),
                ],
                env=ctx.env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            events.append(
                {
                    "kind": "rebuild",
                    "at": elapsed,
                    "status": result.returncode,
                    "seconds": time.monotonic() - began,
                    "tail": result.stderr.strip()[-200:],
                }
            )


def growth(samples: list[dict], key: str, warm: float) -> dict:
    """From the warm-up's end to the last sample, and over the second half of that alone: a cache filling up
    grows in the first half and not in the second; a leak grows in both."""
    after = [s[key] for s in samples if s["at"] - samples[0]["at"] >= warm] or [samples[-1][key]]
    second_half = after[len(after) // 2 :]
    return {
        "start": round(samples[0][key], 1),
        "after_warm_up": round(after[0], 1),
        "end": round(after[-1], 1),
        "max": round(max(s[key] for s in samples), 1),
        "growth": round(after[-1] - after[0], 1),
        "second_half_growth": round(second_half[-1] - second_half[0], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--phones", type=int, default=15, help="listening phones (the training session has 50)")
    parser.add_argument("--searchers", type=int, default=2)
    parser.add_argument("--engine", help="KIOSK_ENGINE for the server (default: what auto picks)")
    parser.add_argument("--publish-every", type=float, default=PUBLISH_EVERY, help="seconds between publishes")
    parser.add_argument("--rebuild-every", type=float, default=REBUILD_EVERY, help="seconds between rebuilds")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    seconds = args.minutes * 60
    warm = min(WARM_UP_SECONDS, seconds / 3)
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-soak-"))
    content = workdir / "content"
    shutil.copytree(CONTENT, content)
    env = {**os.environ, "KIOSK_CONTENT": str(content)}
    if args.engine:
        env["KIOSK_ENGINE"] = args.engine
    ctx = Context(workdir=workdir, data=workdir / "var", env=env)
    try:
        docs = build_data(ctx)
        with Accounts(ctx.data) as accounts:
            accounts.add(EDITOR, PASSWORD, "editor")
        doc = next(d for d in docs if d["volume"] == "物业管理基层处理篇")
        plan = {
            "phones": args.phones,
            "searchers": args.searchers,
            "arrival_seconds": 10.0,
            "phone_docs": [{"doc": doc["id"], "cached": False}] * args.phones,
            "queries": QUERIES,
        }
        with kiosk_server(ctx, "soak") as (process, url, _):
            samples, stop = [sample(process.pid)], threading.Event()
            events: list[dict] = []

            def sampler() -> None:
                while not stop.wait(SAMPLE_SECONDS):
                    samples.append(sample(process.pid))

            threads = [
                threading.Thread(target=sampler, daemon=True),
                threading.Thread(
                    target=churn,
                    args=(ctx, url, content, stop, events, args.publish_every, args.rebuild_every),
                    daemon=True,
                ),
            ]
            for thread in threads:
                thread.start()
            print(
                f"soak: {args.phones} phones on 「{doc['title']}」 and {args.searchers} searching, "
                f"{args.minutes:.0f} min; a publish every {args.publish_every:.0f} s, a rebuild every "
                f"{args.rebuild_every:.0f} s",
                flush=True,
            )
            try:
                raw = run_locust(
                    ctx, "soak", url, ["TrainingPhone", "TrainingSearcher"], args.phones + args.searchers, seconds, plan
                )
            finally:
                stop.set()
                for thread in threads:
                    thread.join(timeout=120)
            samples.append(sample(process.pid))
            alive = process.poll() is None
    finally:
        stop_everything()
    requests = raw.get("records", [])
    failures = [r for r in requests if r["outcome"] == "failed"]
    report = {
        "minutes": args.minutes,
        "phones": args.phones,
        "warm_up_seconds": warm,
        "rss_mb": growth(samples, "rss_mb", warm),
        "server_rss_mb": growth(samples, "server_rss_mb", warm),
        "fds": growth(samples, "fds", warm),
        "threads": growth(samples, "threads", warm),
        "children_max": max(s["children"] for s in samples),
        "publishes": [e for e in events if e["kind"] == "publish"],
        "rebuilds": [e for e in events if e["kind"] == "rebuild"],
        "requests": len(requests),
        "failed_requests": len(failures),
        "server_alive": alive,
    }
    bounds = {
        f"rss growth ≤ {MAX_RSS_GROWTH_MB:.0f} MB": report["rss_mb"]["growth"] <= MAX_RSS_GROWTH_MB,
        f"open files growth ≤ {MAX_FD_GROWTH:d}": report["fds"]["growth"] <= MAX_FD_GROWTH,
        f"threads growth ≤ {MAX_THREAD_GROWTH:d}": report["threads"]["growth"] <= MAX_THREAD_GROWTH,
        "every publish answered": all(e["status"] == 200 for e in report["publishes"]),
        "every rebuild ran": all(e["status"] in (0, 1) for e in report["rebuilds"]),
        "no failed request": not failures,
        "server still up": alive,
    }
    print(f"\nover {args.minutes:.0f} min ({len(samples)} samples, warm-up {warm:.0f} s):")
    for key, label in (
        ("rss_mb", "memory of the tree, MB"),
        ("server_rss_mb", "memory of the server, MB"),
        ("fds", "open files"),
        ("threads", "threads"),
    ):
        g = report[key]
        print(
            f"  {label:<26} start {g['start']:>7}  after warm-up {g['after_warm_up']:>7}  end {g['end']:>7}  "
            f"max {g['max']:>7}  growth {g['growth']:>+7}  (second half {g['second_half_growth']:>+6})"
        )
    publish_times = [e["seconds"] for e in report["publishes"]]
    print(
        f"  publishes {len(publish_times)}, slowest {max(publish_times, default=0):.1f} s; rebuilds "
        f"{len(report['rebuilds'])}; requests {len(requests)}, failed {len(failures)}"
    )
    for name, passed in bounds.items():
        print(f"  {'pass' if passed else 'FAIL'}  {name}")
    if args.json:
        args.json.write_text(
            json.dumps(report | {"bounds": bounds, "samples": samples}, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(bounds.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
