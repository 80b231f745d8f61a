"""Many hubs, one library: a centre and two hubs as real `kiosk serve` processes with their own data dirs on
loopback, real espeak-ng audio at the centre, `kiosk sync` as the hub's timer runs it. What a hub must never do:
render what the centre rendered, serve a file the centre did not sign, lose its own texts, or stop serving
because a sync was refused or cut short."""

from __future__ import annotations

import http.server
import json
import os
import re
import shlex
import threading
import time
import urllib.request
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from indexer.content.quiz import question_id
from kiosk.library.fetch import MAX_MANIFEST_BYTES
from kiosk.library.keys import public_text
from kiosk.library.manifest import ManifestError, parse, parse_audio_list
from kiosk.settings import BUNDLED_CONTENT, PROJECT_ROOT, Settings
from tests.test_faults import (  # noqa: F401 - the fixture stops every server a test started
    Server,
    audio_files,
    built,
    environment,
    kiosk,
    new_text,
    no_process_outlives_its_test,
    output_of,
    power_cut,
    start,
)

CENTRE_TEXTS = ["有声党建/三会一课.md", "有声党建/党费怎么交.md"]
NOTICE = "---\ntitle: 本社区停水通知\ncollection: 政策法规\n---\n\n本周六上午社区停水检修，请居民提前储水。\n"
NOTICE_FILE = "社区通知/停水.md"
OLD_TITLE = "三会一课是哪三会、哪一课"  # synced at the start of every test
QUIZ_FILE = "_quiz/党建.md"
QUIZ = """---
title: 党建 自测题
volume: 有声党建
---

## 三会一课里的“三会”，指的是哪三个会？
类型：多选
- A. 支部委员会会议
- B. 党小组会
- C. 业主大会会议
- D. 支部党员大会
答案：ABD
解析：三会是支部党员大会、支部委员会会议和党小组会，一课是党课。
出处：有声党建/三会一课.md | 头一个会，是支部党员大会
对象：居民

## 党员没有正当理由连续六个月不交党费，就被认为是自行脱党。
类型：判断
答案：对
解析：党章第九条规定，无正当理由连续六个月不交纳党费的，被认为是自行脱党。
出处：有声党建/党费怎么交.md | 连续六个月不交纳党费
"""
WAIT = 180


@pytest.fixture
def city(tmp_path):
    """A centre with two voiced texts, its public key, and two hubs that have only their own notice."""
    content, data = tmp_path / "centre" / "content", tmp_path / "centre" / "var"
    (content / QUIZ_FILE).parent.mkdir(parents=True)
    (content / QUIZ_FILE).write_text(QUIZ, encoding="utf-8")
    built(tmp_path / "centre", sources=CENTRE_TEXTS, audio=True)  # `kiosk build` voices the questions too
    embedded = kiosk(data, "build", "--content", str(content), "--no-audio")
    assert embedded.returncode == 0 and "语义向量：新生成" in embedded.stdout, embedded.stdout
    key = kiosk(data, "library-key")
    assert key.returncode == 0 and len(key.stdout.strip()) == 44, key.stdout
    centre = Server(data, content, env=environment(KIOSK_CONTENT=str(content)))
    hubs = []
    for name in ("hub-a", "hub-b"):
        own = tmp_path / name / "content"
        (own / NOTICE_FILE).parent.mkdir(parents=True)
        (own / NOTICE_FILE).write_text(NOTICE, encoding="utf-8")
        hubs.append(Hub(tmp_path / name / "var", own))
        hubs[-1].enrol(data)
    return centre, data, key.stdout.strip(), hubs


class Hub:
    """A community kiosk: its own content root, speech switched off, synced with `kiosk sync`."""

    def __init__(self, data: Path, content: Path):
        self.data, self.content = data, content
        self.env = environment(KIOSK_CONTENT=str(content), KIOSK_RENDER="0")
        self.server: Server | None = None

    @property
    def name(self) -> str:
        return self.data.parent.name

    def sync(self, url: str, key: str, *more: str):
        return kiosk(self.data, "sync", url, "--key", key, "--hub-name", self.name, *more, env=self.env)

    def enrol(self, centre_data: Path) -> None:
        """As the installer does: `kiosk hub key` here, then at the centre the command it printed."""
        printed = kiosk(self.data, "hub", "key", env={**self.env, "KIOSK_HUB_NAME": self.name})
        assert printed.returncode == 0, printed.stdout
        command = shlex.split(printed.stdout.splitlines()[-1].removeprefix("在中心运行："))
        assert command[:4] == ["kiosk", "hub", "enrol", self.name], command
        enrolled = kiosk(centre_data, *command[1:])
        assert enrolled.returncode == 0 and f"已登记站点「{self.name}」" in enrolled.stdout, enrolled.stdout

    def serve(self) -> Server:
        if self.server is None:
            self.server = Server(self.data, self.content, env=self.env)
        return self.server


def published(centre: Server) -> dict:
    envelope = centre.get("/library/manifest").json()
    return json.loads(envelope["manifest"])


def wait_until_voiced(centre: Server, title: str) -> dict:
    """The centre's manifest once it lists the text and every sentence and passage has its MP3 and vector."""
    deadline = time.monotonic() + WAIT
    while True:
        manifest = published(centre)
        if not any(manifest["missing"].values()) and any(title in t["path"] for t in manifest["texts"]):
            return manifest
        assert time.monotonic() < deadline, f"the centre never voiced {title}: {manifest['missing']}"
        time.sleep(0.5)


def publish(centre: Server, title: str, body: str) -> None:
    assert centre.sign_in().status == 200
    saved = centre.form("/editor/save", new_text(title, body), timeout=120)
    assert saved.status == 200, saved.text


def plays_without_rendering(hub: Hub, title: str) -> None:
    """The text is found and every sentence plays from the hub's cache; the cache is the same afterwards."""
    server = hub.serve()
    before = set(audio_files(hub.data))
    assert title in server.search(title)
    doc_id = server.doc_id(title)
    segments = server.get(f"/api/docs/{doc_id}").json()["segments"]
    assert segments
    for segment in segments:
        answer = server.get(segment["url"])
        assert answer.status == 200 and answer.headers["Content-Type"] == "audio/mpeg", (segment, answer.text)
        assert segment["duration"], "the centre's durations came with its audio"
    assert set(audio_files(hub.data)) == before, "the hub rendered audio itself"


def questions_play_without_rendering(hub: Hub) -> None:
    """Every sentence said for the library's questions (each question, option, answer, prompt) plays."""
    server = hub.serve()
    before = set(audio_files(hub.data))
    assert server.get("/api/questions/daily").status == 200
    urls = []
    for text in ("三会一课里的“三会”，指的是哪三个会？", "党员没有正当理由连续六个月不交党费，就被认为是自行脱党。"):
        answer = server.get(f"/api/questions/{question_id('有声党建', text)}").json()
        question = answer["question"]
        urls += [url for said in answer["prompts"].values() for url in said]
        urls += question["audio"]["question"] + question["audio"]["answer"]
        urls += [url for option in question["options"] for url in option["audio"]]
    assert len(set(urls)) > 10, urls
    for url in urls:
        heard = server.get(url)
        assert heard.status == 200 and heard.headers["Content-Type"] == "audio/mpeg", (url, heard.text)
    assert set(audio_files(hub.data)) == before, "the hub rendered a question's audio itself"


def keeps_its_own_notice(hub: Hub) -> None:
    assert (hub.content / NOTICE_FILE).read_text(encoding="utf-8") == NOTICE
    assert "本社区停水通知" in hub.serve().search("停水")


class Tamperer(http.server.ThreadingHTTPServer):
    """A man in the middle between a hub and the centre (outside the project: simulated): passes everything on,
    but changes one byte of every text, or one field of the manifest."""

    def __init__(self, centre: Server, mode: str):
        self.centre, self.mode = centre, mode
        super().__init__(("127.0.0.1", 0), _TamperingHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _TamperingHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        proxy = self.server
        assert isinstance(proxy, Tamperer)
        with urllib.request.urlopen(proxy.centre.url + self.path, timeout=30) as response:
            body = response.read()
        if self.path == "/library/manifest" and proxy.mode == "manifest":
            envelope = json.loads(body)
            envelope["manifest"] = envelope["manifest"].replace("物业管理篇", "物业管理篇X", 1)
            body = json.dumps(envelope, ensure_ascii=False).encode("utf-8")
        elif self.path.startswith("/library/objects/") and proxy.mode == "file" and "。".encode() in body:
            body = body.replace("。".encode(), "！".encode(), 1)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_two_hubs_receive_what_the_centre_publishes_and_render_nothing(city):
    centre, centre_data, key, hubs = city
    publish(
        centre, "电梯应急维修", "小区电梯坏了，业主可以申请使用专项维修资金应急维修。\n\n维修完成后，费用要在小区公示。"
    )
    manifest = wait_until_voiced(centre, "电梯应急维修")
    for hub in hubs:
        result = hub.sync(centre.url, key)
        assert result.returncode == 0, result.stdout
        assert "已切换" in result.stdout and "文库仍缺语音 0 句" in result.stdout, result.stdout
        plays_without_rendering(hub, "电梯应急维修")
        plays_without_rendering(hub, OLD_TITLE)
        questions_play_without_rendering(hub)
        keeps_its_own_notice(hub)
        library = hub.serve().get("/healthz").json()["library"]
        # The centre's snapshot, or a later one if the centre changed something more (a duration recorded).
        assert library["ok"] and library["serial"] >= manifest["serial"] and library["files"] > 0, library
    # The hubs hold the centre's audio byte for byte, under the same keys.
    centre_audio = {key: path.read_bytes() for key, path in audio_files(centre_data).items()}
    for hub in hubs:
        assert {key: path.read_bytes() for key, path in audio_files(hub.data).items()} == centre_audio
    # Each sync also filed the hub's anonymous counts for the city wall.
    wall = {hub["name"]: hub for hub in centre.get("/api/city/wall").json()["hubs"]}
    assert {"hub-a", "hub-b"} <= set(wall), wall
    again = hubs[0].sync(centre.url, key)
    assert again.returncode == 0 and "已是最新" in again.stdout and "下载 0 个文件" in again.stdout, again.stdout
    assert "统计没有报给中心" not in again.stdout, again.stdout
    # A hub the centre no longer enrols still syncs its library, and is told how to be enrolled again.
    assert kiosk(centre_data, "hub", "remove", "hub-a").returncode == 0
    unknown = hubs[0].sync(centre.url, key)
    assert unknown.returncode == 0 and "已是最新" in unknown.stdout, unknown.stdout
    assert "统计没有报给中心：中心还没有登记这个站点：「hub-a」" in unknown.stdout, unknown.stdout
    assert "kiosk hub key" in unknown.stdout and "kiosk hub enrol" in unknown.stdout


def test_a_resync_after_one_edit_fetches_only_that_text_and_its_new_sentences(city):
    centre, _, key, hubs = city
    hub = hubs[0]
    assert hub.sync(centre.url, key).returncode == 0
    publish(centre, "楼道堆物", "楼道里不能堆放杂物，这是消防安全的要求。")
    manifest = wait_until_voiced(centre, "楼道堆物")
    new_audio = [
        v
        for d in manifest["documents"]
        if "楼道堆物" in d["source"] and d["audio"]
        for v in json.loads(centre.get(f"/library/objects/{d['audio']['sha256']}").body)
    ]
    result = hub.sync(centre.url, key)
    assert result.returncode == 0, result.stdout
    # The new text, its audio list and vector part (if any), and its sentences' MP3s: nothing else.
    downloaded = int(result.stdout.split("下载 ")[1].split(" 个文件")[0])
    assert len(new_audio) + 1 <= downloaded <= len(new_audio) + 3, result.stdout
    plays_without_rendering(hub, "楼道堆物")


def test_a_tampered_file_or_manifest_is_refused_and_the_old_library_keeps_serving(city):
    centre, _, key, hubs = city
    hub = hubs[0]
    assert hub.sync(centre.url, key).returncode == 0
    publish(centre, "电梯年检", "电梯每年要检验一次，检验合格才能继续使用。")
    wait_until_voiced(centre, "电梯年检")
    for mode, reason in (("file", "校验值与清单不符"), ("manifest", "签名与中心公钥不符")):
        tamperer = Tamperer(centre, mode)
        try:
            refused = hub.sync(tamperer.url, key)
        finally:
            tamperer.shutdown()
        assert refused.returncode == 1, refused.stdout
        assert reason in refused.stdout and "Traceback" not in refused.stdout, refused.stdout
        assert "电梯年检" not in hub.serve().search("电梯年检")
        plays_without_rendering(hub, OLD_TITLE)
        assert hub.serve().get("/healthz").json()["library"]["ok"] is False
    other = hub.sync(centre.url, public_text(SigningKey.generate()))  # another centre's key
    assert other.returncode == 1 and "签名与中心公钥不符" in other.stdout, other.stdout
    assert hub.sync(centre.url, key).returncode == 0
    plays_without_rendering(hub, "电梯年检")
    keeps_its_own_notice(hub)


def test_a_sync_killed_halfway_leaves_the_old_library_and_the_next_one_completes(city):
    centre, _, key, hubs = city
    hub = hubs[0]
    assert hub.sync(centre.url, key).returncode == 0
    publish(centre, "高空抛物", "禁止从建筑物中抛掷物品。\n\n" + "物业服务企业应当采取必要的安全保障措施。" * 40)
    wait_until_voiced(centre, "高空抛物")
    incoming = hub.data / "library" / "incoming"
    syncing = start(hub.data, "sync", centre.url, "--key", key, "--limit-rate", "8", env=hub.env)
    deadline = time.monotonic() + WAIT
    while not (incoming.is_dir() and any(p.stat().st_size for p in incoming.glob("*.part"))):
        assert syncing.poll() is None, output_of(syncing)
        assert time.monotonic() < deadline, "the sync never started downloading"
        time.sleep(0.01)
    power_cut(syncing)
    assert "高空抛物" not in hub.serve().search("高空抛物")
    plays_without_rendering(hub, OLD_TITLE)
    keeps_its_own_notice(hub)
    finished = hub.sync(centre.url, key)
    assert finished.returncode == 0, finished.stdout
    plays_without_rendering(hub, "高空抛物")
    keeps_its_own_notice(hub)


def test_sync_refuses_what_it_cannot_use_with_one_line(tmp_path, city):
    centre, _, key, hubs = city
    hub = hubs[0]
    unreachable = hub.sync("http://127.0.0.1:9", key)
    assert unreachable.returncode == 1 and "连不上中心" in unreachable.stdout, unreachable.stdout
    not_a_centre = hub.sync(hub.serve().url, key)
    assert not_a_centre.returncode == 1 and "不是中心站点" in not_a_centre.stdout, not_a_centre.stdout
    bad_key = hub.sync(centre.url, "not a key")
    assert bad_key.returncode == 1 and "公钥格式不对" in bad_key.stdout, bad_key.stdout
    bundled = kiosk(
        tmp_path / "bundled-hub", "sync", centre.url, "--key", key, env=environment(KIOSK_CONTENT=str(BUNDLED_CONTENT))
    )
    assert bundled.returncode == 1 and "KIOSK_CONTENT" in bundled.stdout, bundled.stdout
    for output in (unreachable, not_a_centre, bad_key, bundled):
        assert "Traceback" not in output.stdout and len(output.stdout.strip().splitlines()) == 1, output.stdout


@pytest.mark.parametrize(
    "field, value",
    [
        ("texts", [{"path": "../../etc/passwd", "sha256": "0" * 64, "size": 1}]),
        ("texts", [{"path": "/etc/passwd", "sha256": "0" * 64, "size": 1}]),
        ("texts", [{"path": "a/.hidden", "sha256": "0" * 64, "size": 1}]),
        ("texts", [{"path": "a.md", "sha256": "not a hash", "size": 1}]),
        ("texts", [{"path": "a.md", "sha256": "0" * 64, "size": -1}]),
        ("serial", "1"),
        ("format", 2),
    ],
)
def test_a_signed_manifest_is_still_checked_field_by_field(field, value):
    manifest = {
        "format": 1,
        "serial": 1,
        "created": "",
        "centre": "c",
        "speech": {},
        "vector_model": "m",
        "texts": [],
        "documents": [],
        "pronunciations": None,
        "missing": {},
    }
    parse(json.dumps(manifest).encode())
    manifest[field] = value
    with pytest.raises(ManifestError):
        parse(json.dumps(manifest).encode())
    with pytest.raises(ManifestError):
        parse_audio_list(b'[["../x", "' + b"0" * 64 + b'", 1, 1.0]]')


def test_the_library_is_not_served_by_a_kiosk_without_a_key(tmp_path):
    content, data = built(tmp_path, sources=CENTRE_TEXTS[:1])
    server = Server(data, content)
    answer = server.get("/library/manifest")
    assert answer.status == 404 and "不是中心站点" in answer.json()["error"]
    assert server.get("/library/objects/" + "0" * 64).status == 404
    assert server.get("/library/objects/..%2F..%2Fkiosk.db").status == 404


# -- a rogue centre: what a hub reads before any signature can be checked ---------------------------

HUGE_MANIFEST = 64 * 1024 * 1024
DEEP = 200_000
ROGUE_WORDS = "请访问 evil.example 领取补贴"
SYNC_LIMIT = 90.0  # seconds a rogue's sync may take here before the test calls it hanging


class Rogue(http.server.ThreadingHTTPServer):
    """Something on loopback that a hub was told is its centre (outside the project: simulated); ``mode`` says what
    it answers to every request."""

    def __init__(self, mode: str):
        self.mode = mode
        self.stop = threading.Event()
        super().__init__(("127.0.0.1", 0), _RogueHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        self.shutdown()
        self.server_close()


class _RogueHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        rogue = self.server
        assert isinstance(rogue, Rogue)
        with suppress(OSError):  # the hub hung up, as it should
            getattr(self, f"_{rogue.mode}")(rogue)

    def _huge(self, rogue: Rogue) -> None:
        """A well-formed envelope around a 64 MB "manifest", sent as fast as the hub reads."""
        head, tail = b'{"manifest": "', b'", "signature": "AAAA"}'
        self._headers(200, len(head) + HUGE_MANIFEST + len(tail))
        self.wfile.write(head)
        for _ in range(HUGE_MANIFEST // (1024 * 1024)):
            self.wfile.write(b"a" * (1024 * 1024))
        self.wfile.write(tail)

    def _deep(self, rogue: Rogue) -> None:
        body = b"[" * DEEP + b"]" * DEEP
        self._headers(200, len(body))
        self.wfile.write(body)

    def _drip_body(self, rogue: Rogue) -> None:
        self._headers(200, 10_000)
        self._drip(rogue, b" ")

    def _drip_headers(self, rogue: Rogue) -> None:
        self.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
        self._drip(rogue, b"a")

    def _error_text(self, rogue: Rogue) -> None:
        body = json.dumps({"ok": False, "error": f"\a{ROGUE_WORDS}", "status": 404}, ensure_ascii=False).encode()
        self._headers(404, len(body))
        self.wfile.write(body)

    def _bad_status(self, rogue: Rogue) -> None:
        self.wfile.write(f"EVIL\a {ROGUE_WORDS}\r\n\r\n".encode())

    def _headers(self, status: int, length: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _drip(self, rogue: Rogue, byte: bytes) -> None:
        """A byte every half second: never quiet long enough for a socket timeout."""
        while not rogue.stop.wait(0.5):
            self.wfile.write(byte)
            self.wfile.flush()

    def log_message(self, *args):
        pass


@dataclass
class Outcome:
    code: int
    output: str
    seconds: float
    peak_mb: float  # the sync process's largest resident size
    last_sync: dict | None


def rogue_sync(tmp_path: Path, mode: str, **env: str) -> Outcome:
    """`kiosk sync` on a fresh hub against a rogue in ``mode``, measured; killed after SYNC_LIMIT seconds."""
    hub = Hub(tmp_path / mode / "var", tmp_path / mode / "content")
    hub.content.mkdir(parents=True)
    rogue = Rogue(mode)
    key = public_text(SigningKey.generate())
    started = time.monotonic()
    process = start(hub.data, "sync", rogue.url, "--key", key, "--no-report", env={**hub.env, **env})
    timer = threading.Timer(SYNC_LIMIT, power_cut, [process])
    timer.start()
    assert process.stdout is not None
    try:
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
        rogue.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    record = hub.data / "library" / "last-sync.json"
    last = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else None
    return Outcome(process.returncode, output, time.monotonic() - started, usage.ru_maxrss / 1024, last)


def refused_in_our_words(outcome: Outcome, reason: str) -> None:
    """One line that says ``reason``, the same recorded for /healthz; nothing of what the rogue wrote."""
    assert outcome.code == 1, outcome
    assert reason in outcome.output and len(outcome.output.strip().splitlines()) == 1, outcome.output
    assert "Traceback" not in outcome.output and outcome.last_sync and outcome.last_sync["ok"] is False, outcome
    for said in (outcome.output, outcome.last_sync["reason"]):
        assert "\a" not in said and "evil.example" not in said, said


def test_a_huge_manifest_is_refused_after_reading_only_what_a_manifest_can_be(tmp_path):
    baseline = rogue_sync(tmp_path, "error_text")
    huge = rogue_sync(tmp_path, "huge")
    refused_in_our_words(huge, f"超过 {MAX_MANIFEST_BYTES // 1024 // 1024} MB")
    assert huge.peak_mb - baseline.peak_mb < 32, (huge.peak_mb, baseline.peak_mb)


def test_a_manifest_nested_too_deep_is_a_failed_sync_not_a_traceback(tmp_path):
    refused_in_our_words(rogue_sync(tmp_path, "deep"), "不是文库清单")


@pytest.mark.parametrize("mode", ["drip_body", "drip_headers"])
def test_a_centre_that_drips_cannot_keep_a_sync_past_its_deadline(tmp_path, mode):
    outcome = rogue_sync(tmp_path, mode, KIOSK_SYNC_MINUTES="0.05")  # three seconds
    refused_in_our_words(outcome, "KIOSK_SYNC_MINUTES")
    assert outcome.seconds < 3 + 30, outcome  # the deadline, and a slow start of the command on a busy machine


@pytest.mark.parametrize("mode, reason", [("error_text", "HTTP 404"), ("bad_status", "不是正常的 HTTP")])
def test_what_the_other_end_writes_is_never_echoed(tmp_path, mode, reason):
    refused_in_our_words(rogue_sync(tmp_path, mode), reason)


def test_the_sync_unit_stops_a_sync_that_outlives_its_own_deadline():
    unit = (PROJECT_ROOT / "deploy" / "suiting-kiosk-sync.service").read_text(encoding="utf-8")
    found = re.search(r"^TimeoutStartSec=(\d+)min$", unit, re.MULTILINE)
    assert found, "the sync unit has no TimeoutStartSec"
    minutes = int(found.group(1))
    assert Settings().sync_minutes + 10 <= minutes < 60  # room for the index update; done before the next hour
