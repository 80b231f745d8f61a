import gc
import time
from pathlib import Path

import pytest

from indexer.content.parse import MAX_PASSAGES, SourceFile, parse_document
from indexer.errors import ContentError

from .conftest import TEST_CONTENT


def parse(text: str, source: str = "政策法规/x.md"):
    return parse_document(SourceFile(source, text, "政策法规"))


def test_front_matter_fields_and_passages():
    text = (TEST_CONTENT / "有声物业/物业管理篇/维修资金.md").read_text(encoding="utf-8")
    doc = parse_document(SourceFile("有声物业/物业管理篇/维修资金.md", text, "有声物业", "物业管理篇"))
    assert doc.title == "专项维修资金怎么用"
    assert (doc.collection, doc.volume, doc.order, doc.status) == ("有声物业", "物业管理篇", 1, "现行")
    assert doc.tags == ["专项维修资金", "电梯"]
    kinds = [p.kind for p in doc.passages]
    assert kinds[:3] == ["heading", "summary", "paragraph"]
    emergency = doc.passages[-1]
    assert emergency.headings == ["二、应急维修"] and "电梯故障" in emergency.text


def test_law_library_format_articles_keep_their_clauses():
    text = (TEST_CONTENT / "法规库/示例物业管理办法.md").read_text(encoding="utf-8")
    doc = parse_document(SourceFile("法规库/示例物业管理办法.md", text))
    assert doc.title == "示例市物业管理办法"
    assert doc.issuer.startswith("2020年1月1日")  # the history line, there being no front matter
    articles = [p for p in doc.passages if p.kind == "article"]
    assert [(a.id, a.article, a.article_no) for a in articles] == [
        ("a1", "第一条", 1),
        ("a2", "第二条", 2),
        ("a3", "第三条", 3),
    ]
    assert articles[1].text.count("\n") == 1 and "交纳物业服务费用" in articles[1].text
    assert articles[2].headings == ["第二章 业主大会"]


def test_real_civil_code_book_is_parsed_with_nested_headings():
    path = Path(__file__).resolve().parents[2] / "shared/corpus/laws/民法典/合同编.md"
    if not path.exists():
        pytest.skip("law library not available")
    doc = parse_document(SourceFile("民法典/合同编.md", path.read_text(encoding="utf-8")))
    assert doc.title == "中华人民共和国民法典·合同编"
    art = next(p for p in doc.passages if p.id == "a944")
    assert art.article == "第九百四十四条" and "停止供电" in art.text
    assert art.headings[-1] == "第二十四章 物业服务合同"


def test_noise_characters_are_removed():
    doc = parse("# 标题\n\n## 第一章\u3000总　则\n\n\u200b\n\n第一条\u3000内容。\n")
    heading = doc.passages[1]
    assert heading.text == "第一章 总则"  # spaced-out short names are joined
    assert doc.passages[2].text == "第一条 内容。"


def test_article_suffix_and_duplicate_numbers_get_distinct_ids():
    doc = parse("# 法\n\n第十七条 甲。\n\n第十七条之一 乙。\n\n第十七条 丙。\n")
    ids = [p.id for p in doc.passages if p.kind == "article"]
    assert len(set(ids)) == 3 and ids[0] == "a17"


def repeated(paragraph: str, times: int) -> str:
    return "# 重复\n\n" + f"{paragraph}\n\n" * times


def seconds_to_parse(text: str) -> float:
    """The best of five with the garbage collector paused, so neither a busy neighbour on the machine nor a
    collection that happens to fall into one run decides the comparison."""
    best = float("inf")
    gc.disable()
    try:
        for _ in range(5):
            started = time.perf_counter()
            parse(text)
            best = min(best, time.perf_counter() - started)
    finally:
        gc.enable()
    return best


@pytest.mark.parametrize("paragraph", ["同一段话。", "第一条 同一条。"])
def test_identical_paragraphs_and_article_numbers_take_linear_time(paragraph):
    doc = parse(repeated(paragraph, 16_000))
    ids = [p.id for p in doc.passages[1:]]
    assert len(set(ids)) == 16_000 and ids[1] == ids[0] + "-2" and ids[-1] == ids[0] + "-16000"
    small, large = seconds_to_parse(repeated(paragraph, 4_000)), seconds_to_parse(repeated(paragraph, 16_000))
    # Linear is 4x, quadratic 16x: 10x tells them apart with room for a loaded machine.
    assert large < 10 * small, f"4x the paragraphs took {large / small:.1f}x the time ({small:.3f}s, {large:.3f}s)"


def test_a_text_of_too_many_paragraphs_is_refused():
    parse(repeated("同一段话。", MAX_PASSAGES - 1))  # with the title, exactly the limit
    with pytest.raises(ContentError, match=f"正文太长：超过 {MAX_PASSAGES} 段"):
        parse(repeated("同一段话。", MAX_PASSAGES))


def test_control_and_bidi_characters_are_stripped_from_front_matter_titles():
    doc = parse('---\ntitle: "停\\e[2J水\\a通\\u202e知\\0"\nsource: "某\\u2066街道"\n---\n\n正文。\n')
    assert (doc.title, doc.issuer) == ("停[2J水通知", "某街道")


def test_paragraph_ids_survive_inserting_text_elsewhere():
    before = parse("# T\n\n甲段。\n\n乙段。\n")
    after = parse("# T\n\n新的一段。\n\n甲段。\n\n乙段。\n")
    assert {p.id for p in before.passages} <= {p.id for p in after.passages}


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "空"),
        ("   \n\n", "空"),
        ("---\ntitle: [未闭合\n---\n正文", "信息块格式有误"),
        ("---\ntitle: 没有结束\n正文", "没有结束行"),
        ("---\n- 一\n- 二\n---\n正文", "名称: 值"),
        ("---\ntitle: 字段\nauthor: 谁\n---\n正文", "不认识的字段"),
        ("---\ntitle: 状态\nstatus: 作废\n---\n正文", "只能是"),
        ("---\ntitle: 顺序\norder: 第一\n---\n正文", "order"),
        ("---\ntitle: 只有标题\n---\n", "没有正文"),
    ],
)
def test_broken_files_raise_a_reason(text, reason):
    with pytest.raises(ContentError, match=reason):
        parse(text)


@pytest.mark.parametrize(
    "heading, joined",
    [
        ("第二章 管 辖", "第二章 管辖"),
        ("第五章 法 律 责 任", "第五章 法律责任"),
        ("附 则", "附则"),
        ("第三章 业主 大会", "第三章 业主 大会"),
        ("第一节 一般规定", "第一节 一般规定"),
    ],
)
def test_spaced_out_heading_letters_are_joined(heading, joined):
    assert parse(f"# 法\n\n## {heading}\n\n第一条 内容。\n").passages[1].text == joined


def test_party_regulation_versions_from_file_names(tmp_path):
    import json

    from indexer.content.loader import load_metadata

    records = [
        {"path": f"pages/党内法律法规/中国共产党纪律处分条例{y}.md", "title": "中国共产党纪律处分条例"}
        for y in ("1997", "_2018", "_2023")
    ]
    (tmp_path / "metadata.json").write_text(json.dumps({"records": records}, ensure_ascii=False), encoding="utf-8")
    statuses = {path.rsplit("例", 1)[1]: r["status"] for path, r in load_metadata(tmp_path).items()}
    assert statuses == {"1997.md": "已修订", "_2018.md": "已修订", "_2023.md": "现行"}
