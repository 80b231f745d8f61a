"""Uploads become our Markdown (Word, PDF, text in any Chinese encoding), bad files are refused, folders import."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from docx import Document as WordDocument

from indexer.build import build_index
from indexer.content.importing import MAX_UPLOAD_BYTES, check_upload, convert_upload, import_folder, text_to_markdown
from indexer.content.parse import SourceFile, parse_document
from indexer.errors import ContentError
from indexer.search.searcher import Searcher

NOTICE = """关于规范小区电动自行车停放充电的通知

各社区居委会、各物业服务企业：

为了消除电动自行车在楼道内停放、充电带来的火灾隐患，现将有关事项通知如下。

一、停放要求

电动自行车应当停放在小区指定的停放点，不得停放在楼道、疏散通道、安全出口。

二、充电要求

物业服务企业应当在小区设置集中充电设施。

特此通知。

某某街道办事处
2024年3月1日
"""

REGULATION = """示例社区停车管理规定

第一章　总则

第一条　为了规范本社区停车秩序，制定本规定。
第二条　本规定适用于本社区内的机动车停放。

第二章　停车位

第三条　车位优先满足业主的需要。
建设单位不得将车位出租给业主以外的人。

第四条　本规定自2024年5月1日起施行。
"""


def parsed(converted, source="政策法规/测试.md"):
    return parse_document(SourceFile(source, converted.markdown(), "政策法规"))


def test_gbk_text_gets_title_chapters_and_articles():
    converted = convert_upload("停车规定.txt", REGULATION.encode("gbk"))
    assert converted.title == "示例社区停车管理规定"
    assert "## 第一章 总则" in converted.body and "## 第二章 停车位" in converted.body
    assert "\n\n第一条 为了规范" in converted.body
    assert converted.fields["effective"] == "2024-05-01"
    doc = parsed(converted)
    articles = [p for p in doc.passages if p.kind == "article"]
    assert [p.article_no for p in articles] == [1, 2, 3, 4]
    assert articles[0].headings == ["第一章 总则"] and articles[2].headings == ["第二章 停车位"]
    assert "建设单位不得" in articles[2].text  # the clause stays with its article


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-8-sig", "utf-8"])
def test_any_chinese_encoding(encoding):
    converted = convert_upload("通知.txt", NOTICE.encode(encoding))
    assert converted.title == "关于规范小区电动自行车停放充电的通知"
    assert "楼道、疏散通道" in converted.body


def test_notice_signature_gives_issuer_and_date_and_numbered_headings():
    converted = text_to_markdown(NOTICE)
    assert converted.fields == {"effective": "2024-03-01", "source": "某某街道办事处"}
    assert "## 一、停放要求" in converted.body and "## 二、充电要求" in converted.body
    assert any("落款" in note for note in converted.notes)
    assert parsed(converted).title == "关于规范小区电动自行车停放充电的通知"


def test_hard_wrapped_lines_are_joined_and_page_numbers_dropped():
    text = (
        "物业服务合同\n"
        "第九百三十七条　物业服务合同是物业服务人在物业服务区域内，为业主提供建筑物及其附属设施的维修养护、\n"
        "环境卫生和相关秩序的管理维护等物业服务，业主支付物业费的合同。\n"
        "- 2 -\n"
        "第九百三十八条　物业服务合同的内容一般包括服务事项、服务质量、服务费用的标准和收取办法等条款。\n"
    )
    converted = text_to_markdown(text)
    assert "维修养护、环境卫生" in converted.body
    assert "- 2 -" not in converted.body
    assert any("断行" in note for note in converted.notes) and any("页码" in note for note in converted.notes)
    assert [p.article for p in parsed(converted).passages if p.kind == "article"] == [
        "第九百三十七条",
        "第九百三十八条",
    ]


def test_articles_run_together_by_ocr_are_split():
    converted = text_to_markdown("示例办法\n\n第一条　总的要求。第二条　具体的要求，依照第一条执行。\n")
    articles = [p for p in parsed(converted).passages if p.kind == "article"]
    assert [p.article for p in articles] == ["第一条", "第二条"]
    assert "依照第一条执行" in articles[1].text  # a reference inside a sentence is not a new article


def make_docx() -> bytes:
    word = WordDocument()
    word.add_heading("业主大会议事规则（示例）", level=0)
    word.add_paragraph("发布单位：示例社区")
    word.add_heading("第一章 总则", level=1)
    word.add_paragraph("第一条　为了规范业主大会的活动，制定本规则。")
    word.add_paragraph("第二条　业主大会由物业管理区域内全体业主组成。")
    table = word.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "事项", "表决比例"
    table.cell(1, 0).text, table.cell(1, 1).text = "筹集维修资金", "双过三分之二"
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def test_docx_title_style_headings_paragraphs_and_tables():
    converted = convert_upload("议事规则.docx", make_docx())
    assert converted.title == "业主大会议事规则（示例）"
    assert "## 第一章 总则" in converted.body
    assert "第一条 为了规范业主大会的活动" in converted.body
    assert "筹集维修资金，双过三分之二。" in converted.body
    assert any("表格" in note for note in converted.notes)
    assert len([p for p in parsed(converted).passages if p.kind == "article"]) == 2


def make_pdf(pages: list[list[str]]) -> bytes:
    """A PDF whose text layer holds these lines (a CID font with a ToUnicode map, as exported by office software)."""
    chars = sorted({ch for page in pages for line in page for ch in line})
    cid = {ch: i + 1 for i, ch in enumerate(chars)}
    mappings = [f"<{cid[ch]:04X}> <{ord(ch):04X}>" for ch in chars]
    blocks = "".join(
        f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar\n"
        for chunk in (mappings[i : i + 100] for i in range(0, len(mappings), 100))
    )
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        + blocks
        + "endcmap CMapName currentdict /CMap defineresource pop end end\n"
    ).encode("ascii")
    objects: list[bytes] = [b"", b""]  # 1: catalog, 2: pages (filled in below)
    font_base = 3
    objects += [
        f"<< /Type /Font /Subtype /Type0 /BaseFont /NotoSansCJK /Encoding /Identity-H "
        f"/DescendantFonts [{font_base + 1} 0 R] /ToUnicode {font_base + 3} 0 R >>".encode(),
        f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NotoSansCJK /CIDSystemInfo << /Registry (Adobe) "
        f"/Ordering (Identity) /Supplement 0 >> /FontDescriptor {font_base + 2} 0 R /DW 1000 >>".encode(),
        b"<< /Type /FontDescriptor /FontName /NotoSansCJK /Flags 4 /FontBBox [0 -120 1000 880] /ItalicAngle 0 "
        b"/Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"endstream",
    ]
    page_ids = []
    for lines in pages:
        ops = ["BT /F1 12 Tf 14 TL 40 800 Td"]
        for line in lines:
            ops.append("<" + "".join(f"{cid[ch]:04X}" for ch in line) + "> Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("ascii")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_id = len(objects)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {content_id} 0 R "
            f"/Resources << /Font << /F1 {font_base} 0 R >> >> >>".encode()
        )
        page_ids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(f'{i} 0 R' for i in page_ids)}] /Count {len(page_ids)} >>".encode()
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def test_pdf_text_layer_with_wrapped_lines_across_pages():
    pdf = make_pdf(
        [
            [
                "示例小区装修管理办法",
                "第一章 总则",
                "第一条 业主装修房屋，应当事先告知物业服务",
                "人，并遵守管理规约。",
                "1",
            ],
            ["第二条 装修不得拆改承重墙。", "2"],
        ]
    )
    converted = convert_upload("装修办法.pdf", pdf)
    assert converted.title == "示例小区装修管理办法"
    assert "第一条 业主装修房屋，应当事先告知物业服务人，并遵守管理规约。" in converted.body
    assert "## 第一章 总则" in converted.body
    assert [p.article_no for p in parsed(converted).passages if p.kind == "article"] == [1, 2]
    assert "从 PDF 转换（2 页）" in converted.notes


def blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "x")
    return out.getvalue()


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("空.txt", b"", "文件是空的"),
        ("大.txt", "物业".encode() * (MAX_UPLOAD_BYTES // 6 + 1), "文件太大"),
        ("程序.exe", b"MZ\x90\x00", "只能上传"),
        ("没有扩展名", b"text", "只能上传"),
        ("二进制.txt", bytes(range(256)) * 8, "二进制"),
        ("照片.txt", b"\x89PNG\r\n\x1a\n" + bytes(100), "图片"),
        ("扫描.pdf", b"\xff\xd8\xff\xe0" + bytes(100), "图片"),
        ("旧版.doc.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "另存为"),
        ("假的.docx", "这其实是文本".encode(), "不是 Word 文档"),
        ("压缩包.docx", zip_bytes(), "不是 Word 文档"),
        ("假的.pdf", "这其实是文本".encode(), "不是 PDF"),
        ("改了名的.txt", b"%PDF-1.4\n", "PDF"),
        ("扫描件.pdf", blank_pdf(), "没有文字"),
        ("坏的.pdf", b"%PDF-1.4\nbroken", "PDF"),
        ("只有空白.txt", b"\n\n   \n", "没有可用的文字"),
    ],
)
def test_bad_uploads_are_refused_with_a_chinese_reason(name, data, message):
    with pytest.raises(ContentError, match=message):
        convert_upload(name, data)


def test_type_comes_from_content_not_name():
    assert check_upload("规则.DOCX", make_docx()) == "docx"
    assert check_upload("a.txt", "纯文本".encode("gbk")) == "txt"


def test_markdown_upload_keeps_its_front_matter_and_text():
    text = (
        "---\ntitle: 已有格式的文章\ncollection: 有声物业\nsummary: 一句话。\n---\n\n"
        "正文第一段。\n\n## 小标题\n\n第二段。\n"
    )
    converted = convert_upload("已有.md", text.encode())
    assert converted.title == "已有格式的文章"
    assert converted.fields == {"collection": "有声物业", "summary": "一句话。"}
    assert converted.body.startswith("正文第一段。") and "## 小标题" in converted.body


def test_import_folder_converts_copies_merges_metadata_and_builds(tmp_path, content_dir, data):
    library = tmp_path / "新法规"
    (library / "行政法规").mkdir(parents=True)
    (library / "行政法规" / "示例条例(2020-01-01).md").write_text(
        "# 示例条例\n\n2020年1月1日通过\n\n<!-- INFO END -->\n\n"
        "## 第一章 总则\n\n第一条 为了示例电梯维护，制定本条例。\n",
        encoding="utf-8",
    )
    (library / "通知.txt").write_bytes(NOTICE.encode("gbk"))
    (library / "规则.docx").write_bytes(make_docx())
    (library / "照片.png").write_bytes(b"\x89PNG")
    (library / "坏.pdf").write_bytes(b"%PDF-1.4 broken")
    (library / "metadata.json").write_text(
        json.dumps(
            {
                "records": [
                    {
                        "path": "行政法规/示例条例(2020-01-01).md",
                        "title": "示例条例",
                        "db_level": "行政法规",
                        "db_publish": "2020-01-01",
                        "db_expired": True,
                    }
                ]
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    seen = []
    report = import_folder(library, content_dir, progress=lambda done, total, name: seen.append((done, total)))
    assert report.folder == "新法规"
    assert sorted(report.copied) == ["行政法规/示例条例(2020-01-01).md", "通知.txt"]
    assert report.converted == ["规则.docx"] and report.ignored == ["照片.png"]
    assert [name for name, _ in report.failed] == ["坏.pdf"] and not report.ok
    assert report.metadata_records == 1 and seen[-1] == (6, 6)
    assert (content_dir / "新法规" / "规则.md").read_text(encoding="utf-8").startswith("---\ntitle: 业主大会议事规则")
    build = build_index(data, [content_dir])
    assert build.ok, build.skipped
    hits = Searcher(data).search("示例条例第一条").hits
    assert hits and hits[0].source == "新法规/行政法规/示例条例(2020-01-01).md"
    assert hits[0].status == "已废止"  # the merged metadata.json was read
    again = import_folder(library, content_dir)
    assert again.unchanged == 3 and not again.copied and not again.converted


@pytest.mark.parametrize("folder", ["..", "../逃出去", ".隐藏", "a/../b", ""])
def test_import_refuses_folder_names_outside_the_root(tmp_path, content_dir, folder):
    (tmp_path / "src").mkdir()
    with pytest.raises(ContentError):
        import_folder(tmp_path / "src", content_dir, folder)
