"""The `kiosk` command: build the index and audio, search, speak, and serve the web app."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from indexer.build import build_index
from indexer.datadir import DataDir
from indexer.errors import KioskError
from indexer.search import Searcher

from .config import Settings, from_environment


class KioskGroup(click.Group):
    """Turns the kiosk's own errors into one-line messages instead of tracebacks."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KioskError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=KioskGroup)
@click.option("--data", type=click.Path(path_type=Path), help="数据目录（检索库、音频、数据库）；默认 KIOSK_DATA 或 ./var")
@click.pass_context
def main(ctx: click.Context, data: Path | None) -> None:
    """随听随学 listening kiosk: build, search, speak and serve texts."""
    try:
        settings = from_environment()
    except KioskError as exc:
        raise click.ClickException(str(exc)) from None
    ctx.obj = settings.with_overrides(data=data)


def data_dir(settings: Settings) -> DataDir:
    return DataDir.create(settings.data)


@main.command()
@click.option("--content", "content", multiple=True, type=click.Path(path_type=Path),
              help="内容目录，可重复；给出时替代 KIOSK_CONTENT")
@click.option("--full", is_flag=True, help="丢弃旧检索库，全部重建")
@click.option("--no-audio", is_flag=True, help="只建检索库，不合成语音")
@click.pass_obj
def build(settings: Settings, content: tuple[Path, ...], full: bool, no_audio: bool) -> None:
    """Index new and changed texts (and synthesize their audio); exit code 1 if any file was skipped."""
    roots = list(content) or list(settings.content)
    data = data_dir(settings)
    with click.progressbar(length=1, label="建立检索库", file=sys.stderr, show_eta=True, show_pos=True) as bar:
        def progress(done: int, total: int, source: str) -> None:
            bar.length = total
            bar.update(done - bar.pos)
        report = build_index(data, roots, full=full, progress=progress)
    click.echo(f"检索库：新增 {len(report.added)}，更新 {len(report.updated)}，删除 {len(report.removed)}，"
               f"未变 {report.unchanged}，跳过 {len(report.skipped)}（{report.seconds:.1f} 秒）")
    for source, reason in report.warnings:
        click.echo(f"注意 {source}：{reason}", err=True)
    for source, reason in report.skipped:
        click.echo(f"跳过 {source}：{reason}", err=True)
    if not report.ok:
        sys.exit(1)


@main.command()
@click.argument("query", required=False)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 50), help="最多几条结果")
@click.option("--collection", help="只搜这个书架，例如 政策法规")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（每个查询一行）")
@click.option("--batch", type=click.File("r", encoding="utf-8"), help="每行一个查询的文件（- 为标准输入）")
@click.pass_obj
def search(settings: Settings, query: str | None, limit: int, collection: str | None, as_json: bool, batch) -> None:
    """Search the index; with --batch, one query per line in and one JSON line per query out."""
    if (query is None) == (batch is None):
        raise click.UsageError("给出一个查询，或用 --batch 指定查询文件")
    searcher = Searcher(data_dir(settings))
    queries = [line.rstrip("\n") for line in batch] if batch else [query]
    for text in queries:
        result = searcher.search(text, limit=limit, collection=collection)
        if as_json or batch:
            hits = [{k: v for k, v in vars(h).items()} for h in result.hits]
            click.echo(json.dumps({"query": result.query, "took_ms": result.took_ms, "route": result.route,
                                   "hits": hits}, ensure_ascii=False))
            continue
        if not result.hits:
            click.echo(f"没有找到「{result.query}」的结果。")
        for rank, hit in enumerate(result.hits, 1):
            where = " ".join(x for x in (hit.title, hit.article or "") if x)
            click.echo(f"{rank:>2}. {where}  [{hit.collection}]  {hit.source}")
            click.echo("    " + _terminal_snippet(hit.snippet))


def _terminal_snippet(snippet: str) -> str:
    import html
    bold = snippet.replace("<mark>", "\x1b[1m").replace("</mark>", "\x1b[0m")
    return html.unescape(bold) if sys.stdout.isatty() else html.unescape(snippet.replace("<mark>", "").replace("</mark>", ""))
