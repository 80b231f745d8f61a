"""The `kiosk` command: build the index and audio, search, speak, and serve the web app."""

from __future__ import annotations

import html
import json
import logging
import os
import shlex
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click

from indexer.build import build_index
from indexer.datadir import DataDir
from indexer.errors import KioskError, SpeechError
from indexer.progress import ProgressLog
from indexer.search import embedding, learned
from indexer.search.searcher import MODES, Searcher
from indexer.search.vectors import VectorStore, embed_in_background, embed_missing
from indexer.speech.engines import ENGINE_NAMES, EngineChoice, set_up_speech
from indexer.store import Store

from .desk.states import LEVELS, STATUSES
from .settings import Settings, describe, from_environment
from .web.links import lan_addresses

# The speech side (normalization, engines, MP3 encoding) is imported inside the commands that speak, so that
# `kiosk build --no-audio` and `kiosk search` start quickly.


class KioskGroup(click.Group):
    """Turns the kiosk's own errors into one-line messages instead of tracebacks."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KioskError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=KioskGroup)
@click.option(
    "--data", type=click.Path(path_type=Path), help="数据目录（检索库、音频、数据库）；默认 KIOSK_DATA 或 ./var"
)
@click.pass_context
def main(ctx: click.Context, data: Path | None) -> None:
    """随听随学 listening kiosk: build, search, speak and serve texts."""
    try:
        settings = from_environment()
    except KioskError as exc:
        raise click.ClickException(str(exc)) from None
    ctx.obj = settings.with_overrides(data=data)
    ctx.meta["overridden"] = {"data": "命令行 --data"} if data is not None else {}


def data_dir(settings: Settings) -> DataDir:
    return DataDir.create(settings.data)


@contextmanager
def progress_display(label: str) -> Iterator[Callable[[int, int], None]]:
    """Yields update(done, total): a bar on a terminal, a line with counts and ETA every half minute elsewhere."""
    if not sys.stderr.isatty():
        yield ProgressLog(label, emit=lambda line: click.echo(line, err=True))
        return
    with click.progressbar(length=1, label=label, file=sys.stderr, show_eta=True, show_pos=True) as bar:

        def update(done: int, total: int) -> None:
            bar.length = max(1, total)
            bar.update(done - bar.pos)

        yield update


@main.command()
@click.option(
    "--content",
    "content",
    multiple=True,
    type=click.Path(path_type=Path),
    help="内容目录，可重复；给出时替代 KIOSK_CONTENT",
)
@click.option("--full", is_flag=True, help="丢弃旧检索库，全部重建")
@click.option("--no-audio", is_flag=True, help="只建检索库，不合成语音")
@click.option("--no-vectors", is_flag=True, help="不生成语义向量（只用关键词检索）")
@click.option(
    "--cluster",
    "address",
    metavar="ADDRESS",
    help="缺少的语音和语义向量交给 Dask 集群合成：dask scheduler 的地址，如 tcp://192.168.1.10:8786",
)
@click.pass_obj
def build(
    settings: Settings, content: tuple[Path, ...], full: bool, no_audio: bool, no_vectors: bool, address: str | None
) -> None:
    """Index new and changed texts, embed their passages for semantic search and synthesize their audio;
    exit code 1 if any file was skipped. The keyword index is usable as soon as it is written; vectors are
    added while the build goes on and can be interrupted and resumed. With --cluster, vectors and audio are
    made by the workers of a Dask cluster and come back into this data dir."""
    roots = list(content) or settings.roots()
    data = data_dir(settings)
    cluster = _connect_cluster(address) if address is not None else None  # before indexing: a bad address fails fast
    with progress_display("建立检索库") as update:
        report = build_index(data, roots, full=full, progress=lambda done, total, source: update(done, total))
    click.echo(
        f"检索库：新增 {len(report.added)}，更新 {len(report.updated)}，删除 {len(report.removed)}，"
        f"未变 {report.unchanged}，跳过 {len(report.skipped)}（{report.seconds:.1f} 秒）"
    )
    for source, reason in report.warnings:
        click.echo(f"注意 {source}：{reason}", err=True)
    for source, reason in report.skipped:
        click.echo(f"跳过 {source}：{reason}", err=True)
    if not no_vectors:
        _build_vectors(data, cluster)
    failed_audio = 0 if no_audio else _build_audio(settings, data, roots, cluster)
    if not report.ok or failed_audio:
        sys.exit(1)


def _connect_cluster(address: str):
    """The Dask client for --cluster, closed with the command."""
    from indexer.cluster import connect

    client = connect(address)
    click.get_current_context().call_on_close(client.close)
    threads = client.nthreads()
    click.echo(
        f"集群 {address}：{len(threads)} 个工作进程，{sum(threads.values())} 个线程"
        + ("" if threads else "；等工作机加入后开始")
    )
    return client


def _build_vectors(data: DataDir, cluster=None) -> None:
    """Embed passages that have no vector for their current text; a missing model is a note, not a failure."""
    model: embedding.BatchEmbedder | None
    if cluster is None:
        model = embedding.build_embedder()
    else:  # only a cluster build loads the cluster's module, and with it the speech side
        from indexer.cluster import ClusterEmbedder

        model = ClusterEmbedder(cluster)
    if model is None:
        click.echo(f"没有生成语义向量：{embedding.problem()}", err=True)
        return
    with progress_display("生成语义向量") as update:
        report = embed_missing(data, model, progress=update)
    if report.busy:
        click.echo("语义向量：另一个建库任务正在生成，这次跳过", err=True)
        return
    for part in report.dropped_parts:
        click.echo(f"语义向量：{part} 已损坏，已删除并重新生成", err=True)
    click.echo(
        f"语义向量：新生成 {report.embedded}，沿用 {report.reused}，删除过时 {report.removed}"
        f"（{report.seconds:.1f} 秒）"
    )


def _build_audio(settings: Settings, data: DataDir, roots: list[Path], cluster=None) -> int:
    """Render every missing sentence of the texts and of the self-test questions with all cores, or on the
    cluster; returns how many failed."""
    from indexer.speech.audio_cache import AudioCache
    from indexer.speech.questions import missing_library_audio

    try:
        speech = set_up_speech(settings.engine, settings.rate, data)
    except SpeechError as exc:  # a broken pronunciation dictionary (ConfigError) still fails the build
        click.echo(f"没有合成语音：{exc}（检索和阅读照常可用）", err=True)
        return 0
    if speech.note:
        click.echo(speech.note, err=True)
    jobs = missing_library_audio(data, speech.settings, roots)
    if not jobs:
        click.echo(f"语音（{speech.name}）：全部已合成")
        return 0
    if cluster is None:
        report = _render_with_every_core(data, speech.choice, AudioCache(data.audio), jobs)
    else:
        from indexer.cluster import render_audio

        with progress_display(f"在集群上合成语音（{speech.name}）") as update:
            report = render_audio(cluster, data, speech.choice, jobs, progress=update)
    click.echo(f"语音：合成 {len(report.done)} 句，失败 {len(report.failed)} 句（{report.seconds:.1f} 秒）")
    for reason, count in Counter(reason for _, reason in report.failed).most_common(5):
        click.echo(f"合成失败 {count} 句：{reason}", err=True)  # a full disk fails every sentence the same way
    return len(report.failed)


def _render_with_every_core(data: DataDir, choice: EngineChoice, cache, jobs: list[tuple[str, str]]):
    """Render (key, spoken) jobs with a speech worker per core and a progress display; the report of what failed."""
    from indexer.speech.narration import render
    from indexer.speech.synthesis import SynthesisPool

    pool = SynthesisPool(choice, cache, workers=os.cpu_count() or 1)
    try:
        with progress_display(f"合成语音（{choice.name}）") as update:
            return render(data, pool, jobs, progress=update)
    finally:
        pool.close()


@main.command()
@click.argument("query", required=False)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 50), help="最多几条结果")
@click.option("--collection", help="只搜这个书架，例如 政策法规")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（每个查询一行）")
@click.option("--batch", type=click.File("r", encoding="utf-8"), help="每行一个查询的文件（- 为标准输入）")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    help="lexical 按词、semantic 按意思、hybrid 两者结合；默认有语义向量时 hybrid，否则 lexical",
)
@click.pass_obj
def search(
    settings: Settings, query: str | None, limit: int, collection: str | None, as_json: bool, batch, mode: str | None
) -> None:
    """Search the index; with --batch, one query per line in and one JSON line per query out."""
    if (query is None) == (batch is None):
        raise click.UsageError("给出一个查询，或用 --batch 指定查询文件")
    searcher = Searcher(data_dir(settings))
    if mode is None and searcher.vector_count and searcher.semantic_problem():
        click.echo(searcher.semantic_problem(), err=True)  # vectors built, model gone: say why it is words only
    queries = [query] if query is not None else [line.rstrip("\n") for line in batch]
    for text in queries:
        result = searcher.search(text, limit=limit, collection=collection, mode=mode)
        if as_json or batch:
            hits = [vars(h) for h in result.hits]
            suggestions = [vars(s) for s in result.suggestions]
            click.echo(
                json.dumps(
                    {
                        "query": result.query,
                        "took_ms": result.took_ms,
                        "route": result.route,
                        "mode": result.mode,
                        "hits": hits,
                        "suggestions": suggestions,
                    },
                    ensure_ascii=False,
                )
            )
            continue
        if not result.hits:
            click.echo(f"没有找到「{result.query}」的结果。")
        for rank, hit in enumerate(result.hits, 1):
            where = " ".join(x for x in (hit.title, hit.article or "") if x)
            click.echo(f"{rank:>2}. {where}  [{hit.collection}]  {hit.source}")
            click.echo("    " + _terminal_snippet(hit.snippet))
        if result.suggestions:
            click.echo("您是不是想找：")
            for suggestion in result.suggestions:
                click.echo(f"  · {suggestion.label}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址；0.0.0.0 让手机也能访问")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--kiosk", "kiosk_mode", is_flag=True, default=None, help="触摸屏模式：大字、屏幕键盘、无人操作时自动回首页"
)
@click.option("--threads", default=48, show_default=True, help="同时处理的请求数（等待语音的请求最多占用一秒）")
@click.option(
    "--finish-build",
    is_flag=True,
    help="在后台补齐语义向量和全部语音（先服务收听的人），首次运行时不用等合成完就能访问",
)
@click.pass_obj
def serve(settings: Settings, host: str, port: int, kiosk_mode: bool | None, threads: int, finish_build: bool) -> None:
    """Serve the kiosk and phone web app with waitress."""
    from . import create_app
    from .desk.escalation import Ticker
    from .web.server import create_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app({"SETTINGS": settings.with_overrides(kiosk_mode=kiosk_mode)})
    speech = app.extensions["kiosk"].speech
    speech.warm_up()
    data = app.extensions["kiosk"].data
    uses_vectors = bool(VectorStore(data).parts())
    if uses_vectors:  # hybrid search: its learned order (LightGBM, 0.3 s to load) is ready before the first question
        threading.Thread(target=learned.ranker, daemon=True, name="kiosk-ranker-warm-up").start()
    # A data dir that uses vectors has them completed; --finish-build embeds a new one's too.
    if (finish_build or uses_vectors) and embed_in_background(data):
        click.echo("语义向量：在后台补齐缺少的向量（如有），补齐前这些段落按关键词检索")
    Ticker(data.root, app.config["SETTINGS"]).start()  # the desk's deadlines: overdue requests go up a level
    if speech.render_missing_in_background(openings_only=not finish_build):
        click.echo(
            "语音：在后台合成缺少的句子（每篇的开头先合成），有人收听时先合成他要听的"
            if finish_build
            else "语音：在后台合成每篇文章开头的两句，谁打开哪篇都能马上听到；其余的句子收听时合成"
        )
    click.echo(
        f"语音：{speech.engine_name or '不可用'}，{speech.workers} 个合成进程"
        + (f"（{speech.note}）" if speech.note else "")
    )
    click.echo(f"触摸屏打开：http://127.0.0.1:{port}/?kiosk=1")
    if host in ("0.0.0.0", "::"):
        for address in lan_addresses():
            click.echo(f"手机连上同一 Wi-Fi 后打开：http://{address}:{port}/")
    create_server(
        app, settings.connections_per_address, host=host, port=port, threads=threads, ident="suiting-kiosk"
    ).run()


@main.command()
@click.argument("text", required=False)
@click.option("--batch", type=click.File("r", encoding="utf-8"), help="每行一段文字的文件；按顺序每行输出一个结果")
def normalize(text: str | None, batch) -> None:
    """Print TEXT as the voice will say it (numbers, dates, units and symbols spelled out)."""
    from indexer.speech.normalize import normalize_for_speech

    if (text is None) == (batch is None):
        raise click.UsageError("给出一段文字，或用 --batch 指定文件")
    for line in [text] if text is not None else [line.rstrip("\n") for line in batch]:
        click.echo(normalize_for_speech(line))


@main.command()
@click.argument("text", required=False)
@click.option("--file", "source", type=click.File("r", encoding="utf-8"), help="要朗读的文本文件")
@click.option("--engine", type=click.Choice(["auto", *ENGINE_NAMES]), help="语音引擎；默认 KIOSK_ENGINE 或 auto")
@click.option("--rate", type=click.FloatRange(0.5, 2.0), help="语速，1.0 为正常")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("speech.mp3"),
    show_default=True,
    help="输出的 MP3 文件",
)
@click.pass_obj
def speak(settings: Settings, text: str | None, source, engine: str | None, rate: float | None, output: Path) -> None:
    """Render TEXT (or --file) through the whole speech pipeline into one MP3."""
    from indexer.speech.audio_cache import AudioCache, segment_key
    from indexer.speech.normalize import normalize_for_speech
    from indexer.speech.segment import split_passage
    from indexer.speech.synthesis import SynthesisPool

    if (text is None) == (source is None):
        raise click.UsageError("给出一段文字，或用 --file 指定文件")
    settings = settings.with_overrides(engine=engine, rate=rate)
    data = data_dir(settings)
    speech = set_up_speech(settings.engine, settings.rate, data)
    if speech.note:
        click.echo(speech.note, err=True)
    body = text if text is not None else source.read()
    jobs = [
        (segment_key(s, speech.settings), s)
        for s in (normalize_for_speech(seg.text) for seg in split_passage(body))
        if s.strip()
    ]
    if not jobs:
        raise click.ClickException("这段文字里没有可以朗读的内容")
    cache = AudioCache(data.audio)
    pool = SynthesisPool(speech.choice, cache, workers=1)
    try:
        report = pool.run(jobs)
    finally:
        pool.close()
    if report.failed:
        raise click.ClickException(f"合成失败：{report.failed[0][1]}")
    output.write_bytes(b"".join(cache.read(key) or b"" for key, _ in jobs))
    seconds = sum(r.duration for r in report.done)
    click.echo(f"{output}：{len(jobs)} 句，{seconds:.1f} 秒，引擎 {speech.name}")


@main.group()
def course() -> None:
    """Courses: units of documents to listen to in order, each closed by a short spoken quiz."""


def _course_views(settings: Settings):
    from .training.courses import course_views

    data = data_dir(settings)
    if not data.database.exists():
        raise click.ClickException("还没有建立检索库：请先运行 kiosk build")
    store = Store(data.database)
    try:
        views, problems = course_views(store, settings.roots())
    finally:
        store.close()
    for problem in problems + [p for view in views for p in view.problems]:
        click.echo(f"注意 {problem}", err=True)
    return views


@course.command("list")
@click.option("--json", "as_json", is_flag=True, help="每门课输出一个 JSON 对象（每行一个）")
@click.pass_obj
def course_list(settings: Settings, as_json: bool) -> None:
    """Every course: id, title, documents, estimated minutes and questions."""
    for view in _course_views(settings):
        summary = view.summary()
        if as_json:
            click.echo(json.dumps(summary, ensure_ascii=False))
        else:
            click.echo(
                f"{summary['id']}  {summary['title']}：{summary['units']} 个单元，"
                f"{len(summary['documents'])} 篇，"
                f"约 {summary['minutes']} 分钟，{summary['questions']} 道题"
            )


@course.command("show")
@click.argument("course_id")
@click.pass_obj
def course_show(settings: Settings, course_id: str) -> None:
    """One course unit by unit: what is heard in order, and how many questions close each unit."""
    view = next((v for v in _course_views(settings) if v.course.id == course_id), None)
    if view is None:
        raise click.ClickException(f"没有课程「{course_id}」；kiosk course list 列出全部课程")
    click.echo(f"{view.course.title}（约 {round(view.minutes)} 分钟，{len(view.questions)} 道题）")
    if view.course.summary:
        click.echo(view.course.summary)
    for number, unit in enumerate(view.units, 1):
        click.echo(f"{number}. {unit.title}（约 {round(unit.minutes)} 分钟，测验 {len(unit.questions)} 道题）")
        for part in unit.parts:
            click.echo(f"   · {part.doc.title}" + (f" — {part.item.heading}" if part.item.heading else ""))


@course.command("prepare")
@click.argument("course_id")
@click.pass_obj
def course_prepare(settings: Settings, course_id: str) -> None:
    """Voice a course now, with every core: its texts, its questions and the quiz prompts, so that fifty phones
    starting it together at a training session are answered from the cache."""
    from indexer.speech.questions import spoken_texts

    from .services import SpeechService
    from .training.courses import find_course

    data = data_dir(settings)
    speech = SpeechService(data, settings)
    if speech.choice is None:
        raise click.ClickException(f"没有语音：{speech.problem}")
    with Store(data.database) as store:
        view = find_course(store, settings.roots(), course_id)
        if view is None:
            raise click.ClickException(f"没有课程「{course_id}」；kiosk course list 列出全部课程")
        wanted: dict[str, str] = {}  # audio key → spoken text
        for unit in view.units:
            for part in unit.parts:
                passages = {p.id for p in part.passages}
                wanted.update(
                    (line.key, line.spoken) for line in speech.lines(part.doc, store) if line.passage in passages
                )
        wanted.update(
            (line.key, line.spoken) for text in spoken_texts(view.questions) for line in speech.say(text, store)
        )
    jobs = [(key, spoken) for key, spoken in wanted.items() if not speech.cache.has(key)]
    click.echo(f"{view.course.title}：{len(wanted)} 句，已有 {len(wanted) - len(jobs)} 句，要合成 {len(jobs)} 句")
    if not jobs:
        return
    report = _render_with_every_core(data, speech.choice, speech.cache, jobs)
    click.echo(f"合成 {len(report.done)} 句，失败 {len(report.failed)} 句（{report.seconds:.0f} 秒）")
    if report.failed:
        sys.exit(1)


@main.group()
def quiz() -> None:
    """Spoken self-test questions."""


@quiz.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.pass_obj
def quiz_check(settings: Settings, paths: tuple[Path, ...]) -> None:
    """Check question files (or folders of them) as editors wrote them: one line per problem with file, line
    and reason, the number of valid questions last with how many are for residents (对象：居民, the only ones the
    kiosk's 每日一题 asks); exit code 1 on any problem."""
    from indexer.content.quiz import check_sources, read_quiz

    files = [p for path in paths for p in (sorted(path.rglob("*.md")) if path.is_dir() else [path])]
    seen: dict[str, str] = {}
    valid = problems = residents = 0
    for file in files:
        parsed = read_quiz(file)
        check_sources(parsed, settings.roots())
        for question in parsed.questions:
            if question.id in seen:
                parsed.problems.append((question.line, f"与 {seen[question.id]} 的题目重复"))
            else:
                seen[question.id] = f"{file}:{question.line}"
                valid += 1
                residents += question.for_residents
        for line, reason in sorted(parsed.problems):
            click.echo(f"{file}:{line}: {reason}")
        problems += len(parsed.problems)
    click.echo(f"有效题目 {valid} 道，给居民的 {residents} 道" + (f"，问题 {problems} 处" if problems else ""))
    if valid and not residents:
        click.echo("没有标「对象：居民」的题：触摸屏上不显示每日一题。")
    if problems:
        sys.exit(1)


@main.group()
def cache() -> None:
    """Inspect and tidy the audio cache."""


@cache.command("stats")
@click.pass_obj
def cache_stats(settings: Settings) -> None:
    """How many sentences are cached and how much space they take."""
    from indexer.speech.audio_cache import AudioCache

    data = data_dir(settings)
    files, size = AudioCache(data.audio).stats()
    click.echo(f"音频缓存 {data.audio}：{files} 个文件，{size / 1e6:.1f} MB")


@cache.command("gc")
@click.pass_obj
def cache_gc(settings: Settings) -> None:
    """Delete cached audio that no document (with the current voice settings) uses any more."""
    from indexer.speech.audio_cache import AudioCache
    from indexer.speech.narration import narrate

    data = data_dir(settings)
    speech_settings = set_up_speech(settings.engine, settings.rate, data).settings
    store = Store(data.database)
    try:
        documents = (store.document(doc_id) for doc_id in store.document_ids())
        used = {line.key for doc in documents if doc is not None for line in narrate(doc, speech_settings)}
    finally:
        store.close()
    audio_cache = AudioCache(data.audio)
    unused = audio_cache.keys() - used
    freed = audio_cache.remove(unused)
    store = Store(data.database)
    try:
        store.forget_speech(unused)
    finally:
        store.close()
    click.echo(f"删除 {len(unused)} 个不再使用的音频，释放 {freed / 1e6:.1f} MB")


def _terminal_snippet(snippet: str) -> str:
    if sys.stdout.isatty():
        return html.unescape(snippet.replace("<mark>", "\x1b[1m").replace("</mark>", "\x1b[0m"))
    return html.unescape(snippet.replace("<mark>", "").replace("</mark>", ""))


@main.group()
def user() -> None:
    """Accounts for the content editor at /editor/ (listeners never need one)."""


def _accounts(settings: Settings):
    from .editor.accounts import Accounts

    return Accounts(data_dir(settings).root)


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["editor", "trainer", "admin", "counsel", "community", "township", "centre"]),
    default="editor",
    show_default=True,
    help="trainer 是培训老师（学员名单、学习卡、培训记录）；admin 还能在网页上查看账号、解除锁定；"
    "counsel 解答法律咨询；community、township、centre 是社区、乡镇/街道、中心的调处人员",
)
@click.option("--unit", default="", help="community 账号属于哪个社区、township 账号属于哪个乡镇/街道（名单上的名称）")
@click.pass_obj
def user_add(settings: Settings, name: str, role: str, unit: str) -> None:
    """Create an editor or desk account; the password is asked for twice."""
    with _accounts(settings) as accounts:
        accounts.check_unit(role, unit)  # before the password is asked for
        password = click.prompt("密码（至少 8 个字符）", hide_input=True, confirmation_prompt="再输入一次密码")
        created = accounts.add(name, password, role, unit)
    click.echo(f"已创建{created.role_name}账号「{created.name}」；登录地址 /editor/")


@user.command("password")
@click.argument("name")
@click.pass_obj
def user_password(settings: Settings, name: str) -> None:
    """Set a new password for an account (also lifts a lock-out and ends its open sessions)."""
    password = click.prompt("新密码（至少 8 个字符）", hide_input=True, confirmation_prompt="再输入一次新密码")
    with _accounts(settings) as accounts:
        accounts.set_password(name, password)
    click.echo(f"已为「{name}」设置新密码")


@user.command("remove")
@click.argument("name")
@click.pass_obj
def user_remove(settings: Settings, name: str) -> None:
    """Delete an account; its open sessions stop working at once."""
    with _accounts(settings) as accounts:
        accounts.remove(name)
    click.echo(f"已删除账号「{name}」")


@user.command("list")
@click.pass_obj
def user_list(settings: Settings) -> None:
    """Accounts with their role and whether they are locked out."""
    with _accounts(settings) as accounts:
        states = accounts.states()
    if not states:
        click.echo("还没有账号；用 kiosk user add 名字 创建")
    for state in states:
        note = "（已锁定）" if state.locked else ""
        click.echo(f"{state.user.name}\t{state.user.role_name}{note}")


@main.group()
def communities() -> None:
    """The hub's list of 社区 (each with its 乡镇/街道): learners sign in by choosing from it."""


@communities.command("list")
@click.pass_obj
def communities_list(settings: Settings) -> None:
    """Every 社区, one a line: 乡镇/街道, a tab, 社区."""
    from .places import communities as listed

    found = listed(data_dir(settings).root)
    if not found:
        click.echo("社区名单是空的；用 kiosk communities add 乡镇/街道 社区 添加")
    for place in found:
        click.echo(f"{place.town}\t{place.name}")


@communities.command("add")
@click.argument("town")
@click.argument("name")
@click.pass_obj
def communities_add(settings: Settings, town: str, name: str) -> None:
    """Add a 社区 (NAME) of a 乡镇/街道 (TOWN) to the list."""
    from .places import add_community

    added = add_community(data_dir(settings).root, town, name)
    click.echo(f"已添加社区「{added.name}」（{added.town}）")


@communities.command("rename")
@click.argument("name")
@click.argument("new_name")
@click.option("--town", help="同时改到这个乡镇/街道")
@click.pass_obj
def communities_rename(settings: Settings, name: str, new_name: str, town: str | None) -> None:
    """Rename a 社区; its learners follow and sign in as before."""
    from .places import rename_community

    renamed = rename_community(data_dir(settings).root, name, new_name, town)
    click.echo(f"已把「{name}」改为「{renamed.name}」（{renamed.town}）")


@communities.command("remove")
@click.argument("name")
@click.option("--move-to", help="这个社区的学员转到名单上的哪个社区（社区里还有学员时必须给）")
@click.pass_obj
def communities_remove(settings: Settings, name: str, move_to: str | None) -> None:
    """Take a 社区 off the list; refused while learners belong to it, unless they move (--move-to)."""
    from .places import remove_community

    moved = remove_community(data_dir(settings).root, name, move_to)
    click.echo(f"已删除社区「{name}」" + (f"，{moved} 位学员转到「{move_to}」" if moved else ""))


@main.command("import")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--into", "folder", help="放在内容目录下的哪个文件夹；默认与导入的文件夹同名")
@click.option("--no-build", is_flag=True, help="只复制，不建检索库")
@click.pass_obj
def import_command(settings: Settings, source: Path, folder: str | None, no_build: bool) -> None:
    """Copy a folder of texts (a law library with its metadata.json, or Word/PDF/text files) into the first
    content root, then index it; exit code 1 if a file could not be imported or indexed."""
    from indexer.content.importing import import_folder

    root = Path(settings.content[0])
    with click.progressbar(length=1, label="复制文件", file=sys.stderr, show_eta=True, show_pos=True) as bar:

        def progress(done: int, total: int, name: str) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        report = import_folder(source, root, folder, progress=progress)
    click.echo(
        f"导入到 {root / report.folder}：复制 {len(report.copied)}，转换 {len(report.converted)}，"
        f"未变 {report.unchanged}，忽略 {len(report.ignored)}，失败 {len(report.failed)}"
        + (f"，目录信息 {report.metadata_records} 条" if report.metadata_records else "")
        + f"（{report.seconds:.1f} 秒）"
    )
    for name, reason in report.failed:
        click.echo(f"没有导入 {name}：{reason}", err=True)
    failed = not report.ok
    if not no_build:
        data = data_dir(settings)
        with click.progressbar(length=1, label="建立检索库", file=sys.stderr, show_eta=True, show_pos=True) as bar:

            def build_progress(done: int, total: int, name: str) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            built = build_index(data, settings.roots(), progress=build_progress)
        click.echo(
            f"检索库：新增 {len(built.added)}，更新 {len(built.updated)}，删除 {len(built.removed)}，"
            f"未变 {built.unchanged}，跳过 {len(built.skipped)}（{built.seconds:.1f} 秒）；"
            "语音在收听时合成，或运行 kiosk build 全部合成"
        )
        for name, reason in built.skipped:
            click.echo(f"跳过 {name}：{reason}", err=True)
        failed = failed or not built.ok
    if failed:
        sys.exit(1)


@main.command("library-key")
@click.pass_obj
def library_key(settings: Settings) -> None:
    """Print the centre's public key for hubs to check its library with (the key pair is made on first use)."""
    from .library.keys import public_text, signing_key

    click.echo(public_text(signing_key(data_dir(settings).root)))


@main.group()
def hub() -> None:
    """A hub's own key, and the centre's list of hubs whose signed reports it takes (see README: enrolling a hub)."""


@hub.command("key")
@click.pass_obj
def hub_key_command(settings: Settings) -> None:
    """Print this hub's name (KIOSK_HUB_NAME) and public key, for the centre to enrol (the key is made on first
    use)."""
    from .hubs.keys import hub_key
    from .library.keys import public_text

    public = public_text(hub_key(data_dir(settings).root))
    click.echo(f"站点名称：{settings.hub_name}")
    click.echo(f"站点公钥：{public}")
    click.echo(f"在中心运行：kiosk hub enrol {shlex.quote(settings.hub_name)} {public}")


@hub.command("enrol")
@click.argument("name")
@click.argument("public_key")
@click.pass_obj
def hub_enrol(settings: Settings, name: str, public_key: str) -> None:
    """At the centre: take signed reports from the hub NAME with PUBLIC_KEY (both as `kiosk hub key` printed them
    at that hub)."""
    from .city.database import CityDB
    from .hubs.enrolment import enrol

    with CityDB(data_dir(settings).root) as db:
        enrolled = enrol(db, name, public_key, settings.hub_name)
    click.echo(f"已登记站点「{enrolled.name}」：它下次同步时，中心就收它的统计")


@hub.command("list")
@click.pass_obj
def hub_list(settings: Settings) -> None:
    """At the centre: the enrolled hubs with their public keys and when they were enrolled."""
    from .city.database import CityDB
    from .hubs.enrolment import enrolled

    with CityDB(data_dir(settings).root) as db:
        hubs = enrolled(db)
    if not hubs:
        click.echo("还没有登记站点；在站点运行 kiosk hub key，再在中心运行 kiosk hub enrol 名称 公钥")
    for found in hubs:
        when = datetime.fromtimestamp(found.enrolled).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{found.name}\t{found.key}\t{when} 登记")


@hub.command("remove")
@click.argument("name")
@click.pass_obj
def hub_remove(settings: Settings, name: str) -> None:
    """At the centre: take no more reports from the hub NAME, and take its row off the wall (its reports are kept)."""
    from .city.database import CityDB
    from .hubs.enrolment import remove

    with CityDB(data_dir(settings).root) as db:
        removed = remove(db, name)
    click.echo(f"已取消站点「{removed}」的登记：中心不再收它的统计，大屏上也不再显示它")


@main.command("sync")
@click.argument("url", required=False)
@click.option("--key", "public_key", help="中心的公钥（在中心运行 kiosk library-key 得到）；默认 KIOSK_LIBRARY_KEY")
@click.option(
    "--limit-rate",
    type=click.FloatRange(min=1),
    help="下载限速，KB/秒（白天同步时别占满网络）；默认 KIOSK_SYNC_LIMIT_RATE，不限",
)
@click.option("--hub-name", help="本站在全市大屏上的名字；默认 KIOSK_HUB_NAME")
@click.option("--no-report", is_flag=True, help="不把本站的匿名统计和服务台的登记报给中心")
@click.pass_obj
def sync_command(
    settings: Settings,
    url: str | None,
    public_key: str | None,
    limit_rate: float | None,
    hub_name: str | None,
    no_report: bool,
) -> None:
    """Bring this hub's copy of the centre's library up to date from URL (default KIOSK_LIBRARY_URL); exit code 1
    with the reason if it did not."""
    from .library.sync import sync

    configured = settings.library_url  # only a hub configured with its centre exchanges the desk's requests
    settings = settings.with_overrides(
        library_url=url, library_key=public_key, sync_limit_rate=limit_rate, hub_name=hub_name and hub_name.strip()
    )
    if not settings.library_url or not settings.library_key:
        missing = "公钥（--key 或 KIOSK_LIBRARY_KEY）" if settings.library_url else "地址（URL 或 KIOSK_LIBRARY_URL）"
        raise click.UsageError(f"缺少中心的{missing}")
    rate = settings.sync_limit_rate
    with progress_display("同步文库") as update:
        report = sync(
            settings,
            settings.library_url,
            settings.library_key,
            rate_limit=rate * 1024 if rate else None,
            progress=update,
            hub="" if no_report else settings.hub_name,
            desk=bool(configured) and configured == settings.library_url,
        )
    for note in report.notes:
        click.echo(f"注意：{note}", err=True)
    index = report.index
    state = "已切换" if report.switched else "已是最新"
    click.echo(
        f"文库 {report.serial}（{state}）：下载 {report.files} 个文件，"
        f"{report.bytes / 1024 / 1024:.1f} MB（语音 {report.audio} 句，向量 {report.vectors} 段）；"
        f"检索库新增 {len(index.added)}、更新 {len(index.updated)}、删除 {len(index.removed)}；"
        f"文库仍缺语音 {report.audio_missing} 句（{report.seconds:.1f} 秒）"
    )


@main.command("backup")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--keep", type=click.IntRange(1), help="只保留这个文件夹里最新的 N 份备份（默认 KIOSK_BACKUP_KEEP，不设则全部保留）"
)
@click.pass_obj
def backup_command(settings: Settings, path: Path | None, keep: int | None) -> None:
    """Write one archive of what cannot be rebuilt (texts, accounts, history, trash, pronunciations, usage counts,
    secret key, settings) into PATH (a folder, or a file name ending in .tar.gz; default KIOSK_BACKUP_DIR or
    <data dir>/backups); the last line printed is the archive's path."""
    from .operations.backup import backup

    settings = settings.with_overrides(backup_dir=path, backup_keep=keep)
    made = backup(settings.data, Path(settings.content[0]), settings.backup_dir, keep=settings.backup_keep)
    for old in made.pruned:
        click.echo(f"删除旧备份 {old}")
    click.echo(f"备份了 {made.files} 个文件（{made.size / 1e6:.1f} MB）：")
    click.echo(str(made.path))


@main.command("restore")
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="数据目录不是空的也恢复，覆盖其中的账号、历史、读音和统计")
@click.pass_obj
def restore_command(settings: Settings, archive: Path, force: bool) -> None:
    """Bring a hub back from ARCHIVE into the data dir and the first content root; a damaged archive or a data
    dir already in use (without --force) is refused, exit code 1, with nothing changed."""
    from .operations.backup import restore

    restored = restore(archive, settings.data, Path(settings.content[0]), force=force)
    click.echo(
        f"已恢复 {restored.host} 在 {restored.created} 的备份：数据文件 {restored.data_files} 个，"
        f"文章 {restored.texts} 篇（写入 {settings.content[0]}）"
    )
    click.echo("下一步：运行 kiosk build 重建检索库和语音，再启动服务")


@main.command("config")
@click.pass_context
def config_command(ctx: click.Context) -> None:
    """Print every setting's effective value and where it came from (default, environment, command line); the
    systemd units also read <data dir>/kiosk.env, which a shell does not."""
    rows = describe(ctx.obj, overridden=ctx.meta.get("overridden"))
    width = max(len(variable) for variable, _, _ in rows)
    for variable, value, origin in rows:
        click.echo(f"{variable:<{width}}  {value}  （{origin}）")


@main.command("doctor")
@click.pass_obj
def doctor_command(settings: Settings) -> None:
    """Check the hub: packages, fonts, voice, models, data dir, disk, index, databases, clock and network; one
    line per check saying what to do; exit code 0 when nothing needs fixing, 1 otherwise."""
    from .operations.doctor import run

    findings = run(settings)
    for finding in findings:
        click.echo(finding.line())
    problems = sum(not finding.ok for finding in findings)
    click.echo(f"有 {problems} 项需要处理" if problems else "全部正常")
    if problems:
        sys.exit(1)


@main.group()
def desk() -> None:
    """The front desk's requests (咨询 and 调处): list them, and run the escalation pass."""


@desk.command("list")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@click.option("--status", type=click.Choice(STATUSES), help="只列这种状态的")
@click.option("--level", type=click.Choice(LEVELS), help="只列在这一级的")
@click.pass_obj
def desk_list(settings: Settings, as_json: bool, status: str | None, level: str | None) -> None:
    """One line per request: id, number, kind, status, level and due date (no names, phones or descriptions)."""
    from .desk.database import DeskDB
    from .desk.public import moment

    with DeskDB(data_dir(settings).root) as db:
        found = db.all(status, level)
    for request in found:
        row = {
            "id": request.id,
            "number": request.number,
            "kind": request.kind,
            "status": request.status,
            "level": request.level,
            "due": moment(request.due),
        }
        click.echo(json.dumps(row, ensure_ascii=False) if as_json else "\t".join(str(v or "—") for v in row.values()))


@desk.command("tick")
@click.option("--now", "at", help="按这个时间计算（ISO 格式，例如 2026-12-07T09:00）；默认现在")
@click.pass_obj
def desk_tick(settings: Settings, at: str | None) -> None:
    """Escalate the requests past their level's deadline and anonymise those past retention; the server does this
    every few minutes by itself. Prints how many were escalated, last."""
    from .desk.database import DeskDB
    from .desk.deadlines import parse_moment
    from .desk.escalation import tick
    from .desk.workflow import Rules

    try:
        when = parse_moment(at) if at else time.time()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--now") from None
    with DeskDB(data_dir(settings).root) as db:
        done = tick(db, Rules.of(settings), when, settings.desk_retention_days)
    if done.overdue_at_top:
        click.echo(f"中心逾期未办 {done.overdue_at_top} 件（没有更上一级，请中心尽快办理）")
    if done.anonymised:
        click.echo(f"超过保存期限，已删去个人信息 {done.anonymised} 件")
    click.echo(str(done.escalated))  # last, alone: the number of requests escalated, for scripts


@desk.command("sync")
@click.pass_obj
def desk_sync(settings: Settings) -> None:
    """On a hub: send the centre (KIOSK_LIBRARY_URL) the desk's changes not sent yet and bring back what the
    township and centre did; the server does this every few minutes by itself. Exit code 1 with the reason when
    the centre was not reached (nothing is lost: it is sent next time)."""
    from .desk.exchange import exchange

    if not settings.library_url:
        raise click.UsageError("本站没有设置中心的地址（KIOSK_LIBRARY_URL）：只有社区站点才和中心交换登记")
    done = exchange(data_dir(settings).root, settings.library_url, settings.hub_name, settings.library_key or "")
    for reason in done.refused:
        click.echo(f"注意：中心没有收下一条记录：{reason}", err=True)
    click.echo(f"送到中心 {done.sent} 条，从中心收到 {done.received} 条，还有 {done.waiting} 条待送")


@main.group()
def market() -> None:
    """The 物业超市's company file: list the companies with their latest combined score, and import a spreadsheet."""


@market.command("list")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@click.pass_obj
def market_list(settings: Settings, as_json: bool) -> None:
    """One line per company: name, registration number, whether it is in the market, latest combined score."""
    from .market.database import MarketDB
    from .market.evidence import latest

    root = data_dir(settings).root
    with MarketDB(root) as db:
        companies = db.companies()
    for company in companies:
        card = latest(root, company, settings, time.time())
        row = {
            "name": company.name,
            "registration": company.registration,
            "in_market": company.in_market,
            "score": card.combined,
            "quarter": card.quarter if card.combined is not None else None,
        }
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            shown = "—" if card.combined is None else f"{card.combined:g}（{card.quarter}）"
            status = "已入驻" if company.in_market else "未入驻"
            click.echo(f"{company.name}\t{company.registration}\t{status}\t{shown}")


@market.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def market_import(settings: Settings, file: Path) -> None:
    """Import companies from FILE (.xlsx or .csv, the columns the export writes), matched by 备案号: every row is
    reported accepted or rejected with its row number and the reason; the exit code is 1 if any was rejected."""
    from .market.database import MarketDB
    from .market.sheets import import_file

    with MarketDB(data_dir(settings).root) as db:
        report = import_file(db, file.read_bytes(), file.name, "命令行导入", time.time())
    for line in report.lines():
        click.echo(line)
    click.echo(f"导入 {len(report.accepted)} 行，未导入 {len(report.rejected)} 行")
    if report.rejected:
        sys.exit(1)


if __name__ == "__main__":
    main()
