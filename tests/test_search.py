import pytest

from indexer.build import build_index
from indexer.datadir import DataDir
from indexer.search.searcher import Searcher, make_snippet


@pytest.fixture(scope="module")
def searcher(built):
    searcher = Searcher(built)
    yield searcher
    searcher.close()


def first(searcher, query, **kwargs):
    hits = searcher.search(query, **kwargs).hits
    assert hits, query
    return hits[0]


@pytest.mark.parametrize(
    "query, source, article",
    [
        ("民法典第944条", "民法典/合同编.md", "第九百四十四条"),
        ("民法典第九百四十四条", "民法典/合同编.md", "第九百四十四条"),
        ("物业管理条例第七条", "行政法规/物业管理条例(2018-03-19).md", "第七条"),
        ("《物业管理条例》第7条", "行政法规/物业管理条例(2018-03-19).md", "第七条"),
    ],
)
def test_article_lookups_go_straight_to_the_article(searcher, query, source, article):
    hit = first(searcher, query)
    assert (hit.source, hit.article) == (source, article)


@pytest.mark.parametrize(
    "query, title",
    [
        ("wygltl", "物业管理条例"),
        ("wuyeguanlitiaoli", "物业管理条例"),
        ("bjswygltl", "北京市物业管理条例"),
        ("居委会组织法", "中华人民共和国城市居民委员会组织法"),
        ("北京物业管理条例", "北京市物业管理条例"),
        ("jwhzzf", "中华人民共和国城市居民委员会组织法"),  # initials of the name people say, 居委会组织法
        ("juweihuizuzhifa", "中华人民共和国城市居民委员会组织法"),
        ("bjwygltl", "北京市物业管理条例"),  # without the 市
        ("shzzwyglgd", "上海市住宅物业管理规定"),
    ],
)
def test_titles_by_pinyin_initials_full_pinyin_and_everyday_names(searcher, query, title):
    assert first(searcher, query).title == title


def test_initials_match_inside_titles(searcher):
    titles = [h.title for h in searcher.search("wygltl").hits]
    assert "北京市物业管理条例" in titles


@pytest.mark.parametrize("letters", ["tstd", "tsd"])
def test_initials_of_a_phrase_find_its_texts_also_said_the_short_way(searcher, letters):
    """停水停电 by its initials, and as people shorten it (停水电): the search for its wording, not nothing."""
    result = searcher.search(letters)
    assert result.route == "pinyin" and "停水停电" in result.terms
    assert any(h.article == "第九百四十四条" for h in result.hits[:3]), [(h.title, h.article) for h in result.hits]


def test_everyday_question_reaches_the_legal_wording(searcher):
    hits = searcher.search("物业公司能不能停水停电催物业费").hits[:3]
    assert any(h.article == "第九百四十四条" for h in hits), [(h.title, h.article) for h in hits]


def test_results_are_diversified_across_documents(searcher):
    hits = searcher.search("业主大会 业主委员会", limit=10).hits
    per_doc: dict[str, int] = {}
    for hit in hits:
        per_doc[hit.doc] = per_doc.get(hit.doc, 0) + 1
    assert max(per_doc.values()) <= 2 and len(per_doc) >= 4


def test_current_version_ranks_above_the_superseded_one(searcher):
    versions = [(h.source, h.status) for h in searcher.search("上海市住宅物业管理规定").hits if "上海市住宅" in h.title]
    assert [status for _, status in versions[:2]] == ["现行", "已修订"]
    assert "2020-12-30" in versions[0][0]


def test_collection_filter(searcher):
    hits = searcher.search("维修资金", collection="有声物业").hits
    assert hits and all(h.collection == "有声物业" for h in hits)


@pytest.mark.parametrize(
    "query",
    [
        "",
        " ",
        "AND OR NOT",
        '"unclosed',
        "title:物业",
        "物业*",
        "(((",
        "😀🏠",
        "吗",
        "\x00\x1f",
        "物业" * 5000,
        "第条",
        "第99999条",
        "民法典第0条",
        "a",
        "<script>alert(1)</script>",
    ],
)
def test_no_query_string_crashes(searcher, query):
    result = searcher.search(query)
    assert result.took_ms >= 0
    assert all("<script>" not in h.snippet for h in result.hits)


def test_snippet_marks_terms_and_escapes_html():
    snippet = make_snippet("<b>业主</b>应当交纳物业费。", ["物业费", "业主"])
    assert "&lt;b&gt;<mark>业主</mark>&lt;/b&gt;" in snippet and "<mark>物业费</mark>" in snippet


def test_a_named_place_ranks_its_own_regulations_first(searcher):
    hits = [h for h in searcher.search("北京 业主 物业服务", limit=10).hits if "市" in h.title]
    assert hits and hits[0].title.startswith("北京")


def test_letters_that_are_no_title_fall_back_to_word_search(searcher):
    result = searcher.search("qqqzzz")
    assert result.route != "pinyin" and result.hits == []


def test_the_newest_edition_of_a_text_named_by_year_comes_first(tmp_path):
    content = tmp_path / "content" / "党内法规"
    content.mkdir(parents=True)
    for year, text in (
        ("2015", "第二条　旧版的第二条。"),
        ("2023", "第二条　新版的第二条。"),
        ("1997", "第二条　最早的第二条。"),
    ):
        (content / f"纪律处分条例{year}.md").write_text(
            f"---\ntitle: 中国共产党纪律处分条例 {year}\ncollection: 政策法规\n---\n\n{text}\n", encoding="utf-8"
        )
    data = DataDir.create(tmp_path / "var")
    build_index(data, [content.parent])
    searcher = Searcher(data)
    try:
        hits = searcher.search("纪律处分条例第二条").hits
        assert [h.title[-4:] for h in hits] == ["2023", "2015", "1997"]
        assert [h.status for h in hits] == ["现行", "已修订", "已修订"]
        assert searcher.search("纪律处分条例").hits[0].title.endswith("2023")
    finally:
        searcher.close()


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("为修基金的帐谁来公布", "维修基金的帐谁来公布"),
        ("物叶费涨价要业主同意吗", "物业费涨价要业主同意吗"),
        ("电提坏了谁来修", "电梯坏了谁来修"),
        ("车位卖给谁了我们业主有权知道吗", None),  # 权知 sounds like 犬只 but cuts through 有权 and 知道
        ("卫生间防水层坏了漏到楼下", None),  # 漏到 sounds like 楼道 but keeps none of its characters
        ("三会一课是哪三会", None),
    ],
)
def test_homophone_typos_are_read_as_the_terms_they_sound_like(searcher, typed, meant):
    result = searcher.search(typed, mode="lexical")
    assert result.corrected == meant
    if meant:
        assert [h.passage for h in result.hits] == [h.passage for h in searcher.search(meant, mode="lexical").hits]


@pytest.mark.parametrize(
    "query, title",
    [
        ("物业管里条例", "物业管理条例"),  # a homophone in a title
        ("居委会组织发", "中华人民共和国城市居民委员会组织法"),
        ("wuyeguanlitiaoll", "物业管理条例"),  # one letter wrong
        ("juweihuizuzifa", "中华人民共和国城市居民委员会组织法"),
        ("wuyetiaoli", "物业管理条例"),  # syllables of the title in order, some left out
    ],
)
def test_titles_that_miss_by_a_character_still_lead(searcher, query, title):
    assert first(searcher, query).title == title


def test_everyday_words_reach_the_law_s_wording(searcher):
    hits = searcher.search("租的房子热水器坏了房东不给修", mode="lexical").hits[:3]
    assert any(h.article == "第七百一十二条" for h in hits), [(h.title, h.article) for h in hits]


QA = """---
title: 养狗问答
collection: 有声物业
volume: 物业管理相关知识问答篇
---

## 问：带狗出门要不要拴绳子？

答：要拴。《示例市养犬规定》第十七条规定，带狗出门要拴好绳子，由大人牵着。
"""
DOG_RULES = """---
title: 示例市养犬规定
collection: 政策法规
---

第一条　为了规范养犬行为，制定本规定。

第十七条　携犬出户的，应当束犬链，由成年人牵领。
"""


def test_an_answer_from_our_q_and_a_brings_the_article_it_cites_first(tmp_path, monkeypatch):
    from indexer.search import searcher as searcher_module

    content = tmp_path / "content"
    (content / "有声物业").mkdir(parents=True)
    (content / "政策法规").mkdir()
    (content / "有声物业/养狗问答.md").write_text(QA, encoding="utf-8")
    (content / "政策法规/养犬规定.md").write_text(DOG_RULES, encoding="utf-8")
    data = DataDir.create(tmp_path / "var")
    assert build_index(data, [content]).ok
    opened = Searcher(data)
    try:
        hits = opened.search("带狗出门要不要拴绳子", mode="lexical").hits
        assert [(h.title, h.article) for h in hits[:2]] == [("示例市养犬规定", "第十七条"), ("养狗问答", None)]
        assert [(h.title, h.article) for h in opened.cited_articles(hits[1])] == [("示例市养犬规定", "第十七条")]
        assert opened.cited_articles(hits[0]) == []  # an article states the law itself
        monkeypatch.setattr(searcher_module, "CITING_PASSAGES", 0)
        assert opened.search("带狗出门要不要拴绳子", mode="lexical").hits[0].title == "养狗问答"  # words alone
    finally:
        opened.close()


def test_a_document_on_the_hub_s_subjects_outranks_an_equal_match_elsewhere(tmp_path, monkeypatch):
    from indexer.search import searcher as searcher_module

    content = tmp_path / "content" / "政策法规"
    content.mkdir(parents=True)
    rule = "第五条　设备出了故障，管理单位应当及时组织修理{}。\n"
    (content / "锅炉.md").write_text("---\ntitle: 示例市锅炉安全规定\n---\n\n" + rule.format(""), encoding="utf-8")
    (content / "电梯.md").write_text(
        "---\ntitle: 示例市电梯安全规定\n---\n\n" + rule.format("，并告知使用的人"), encoding="utf-8"
    )
    data = DataDir.create(tmp_path / "var")
    assert build_index(data, [content.parent]).ok
    opened = Searcher(data)
    try:
        monkeypatch.setattr(searcher_module, "FOCUS_WEIGHT", 1.0)
        opened._load_catalog()
        assert opened.search("设备故障修理", mode="lexical").hits[0].title == "示例市锅炉安全规定"  # the shorter text
        monkeypatch.undo()
        opened._load_catalog()
        assert opened.search("设备故障修理", mode="lexical").hits[0].title == "示例市电梯安全规定"  # 电梯: the hub's
    finally:
        opened.close()


def test_a_question_s_vector_carries_the_legal_wording_of_its_everyday_words():
    from indexer.search.analysis import query_words
    from indexer.search.searcher import _with_legal_wording

    question = "业委会不让查维修基金的账"
    meant = _with_legal_wording(question, query_words(question))
    assert meant.startswith(question) and "业主委员会" in meant and "专项维修资金" in meant
    assert _with_legal_wording("业主委员会", ["业主委员会"]) == "业主委员会"  # a wording the query holds: not twice
    assert _with_legal_wording("人脸", ["人脸"]) == "人脸"  # no everyday word: the query as it is


def test_a_two_character_name_is_cited_and_a_bare_kind_of_text_is_not(tmp_path):
    content = tmp_path / "content"
    (content / "有声物业").mkdir(parents=True)
    (content / "政策法规").mkdir()
    (content / "政策法规/刑法.md").write_text(
        "---\ntitle: 中华人民共和国刑法\ncollection: 政策法规\n---\n\n第二条　刑法的任务，是保护人民。\n",
        encoding="utf-8",
    )
    (content / "政策法规/学位条例.md").write_text(
        "---\ntitle: 中华人民共和国学位条例\ncollection: 政策法规\n---\n\n第二条　学位分三级。\n", encoding="utf-8"
    )
    (content / "有声物业/问答.md").write_text(
        "---\ntitle: 高空抛物问答\ncollection: 有声物业\n---\n\n"
        "## 问：扔东西犯法吗？\n\n刑法第二条说得明白。\n\n## 问：物业不管呢？\n\n按照条例第二条去找物业。\n",
        encoding="utf-8",
    )
    data = DataDir.create(tmp_path / "var")
    assert build_index(data, [content]).ok
    opened = Searcher(data)
    try:
        [thrown] = [h for h in opened.search("说得明白", mode="lexical").hits if h.title == "高空抛物问答"]
        assert [(h.title, h.article) for h in opened.cited_articles(thrown)] == [("中华人民共和国刑法", "第二条")]
        [ignored] = [h for h in opened.search("去找物业", mode="lexical").hits if h.title == "高空抛物问答"]
        assert opened.cited_articles(ignored) == []  # 条例 alone: not the 学位条例 it would match
    finally:
        opened.close()


def test_an_article_an_answer_cites_in_passing_is_not_ranked_up(tmp_path):
    content = tmp_path / "content"
    (content / "有声物业").mkdir(parents=True)
    (content / "政策法规").mkdir()
    (content / "有声物业/养狗问答.md").write_text(
        QA.replace("由大人牵着。", "由大人牵着。这个规定第三十条写了从哪天起施行，《示例市养犬规定》第三十条。"),
        encoding="utf-8",
    )
    (content / "政策法规/养犬规定.md").write_text(
        DOG_RULES + "\n第三十条　本规定自公布之日起施行。\n", encoding="utf-8"
    )
    data = DataDir.create(tmp_path / "var")
    assert build_index(data, [content]).ok
    opened = Searcher(data)
    try:
        hits = opened.search("带狗出门要不要拴绳子", mode="lexical").hits
        answer = next(h for h in hits if h.title == "养狗问答")
        assert [h.article for h in opened.cited_articles(answer)] == ["第十七条", "第三十条"]
        assert hits[0].article == "第十七条"  # on the question: ranked up
        assert "第三十条" not in [h.article for h in hits]  # on the date it takes effect: no answer to the question
    finally:
        opened.close()
