import pytest

from indexer.content.loader import decode, discover, load_metadata
from indexer.errors import ContentError

SAMPLE = "第一条 业主应当按时交纳物业服务费用。"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_decode_recognises_chinese_encodings(encoding):
    assert decode(SAMPLE.encode(encoding)) == SAMPLE


@pytest.mark.parametrize("data", [b"\x00\x01\x02\x03binary\x00", bytes(range(256)) * 4])
def test_binary_files_are_refused(data):
    with pytest.raises(ContentError, match=r"二进制|编码"):
        decode(data)


def test_discover_skips_readme_hidden_and_other_files(tmp_path):
    for name in ["a.md", "b.txt", "README.md", ".hidden.md", "_draft/c.md", "image.png", "sub/d.md"]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    assert [f.source for f in discover([tmp_path])] == ["a.md", "b.txt", "sub/d.md"]


def test_discover_names_a_missing_root(tmp_path):
    with pytest.raises(ContentError, match="不存在"):
        discover([tmp_path / "nowhere"])


def test_metadata_marks_older_versions_as_revised(law_slice):
    meta = load_metadata(law_slice)
    assert meta["DLC/上海地方法规/地方性法规/上海/上海市住宅物业管理规定(2010-12-23).md"]["status"] == "已修订"
    assert meta["行政法规/物业管理条例(2018-03-19).md"]["status"] == "现行"


TRADITIONAL = "第一條 業主應當按時繳納物業費。逾期不繳的，物業服務人可以催告。"
JAPANESE = "お知らせ\n\n本日は断水します。ご注意ください。"


@pytest.mark.parametrize(
    ("text", "encoding", "named"),
    [(TRADITIONAL, "big5", "繁体中文（Big5）"), (JAPANESE, "shift_jis", "日文（Shift-JIS）")],
)
def test_big5_and_shift_jis_are_named_not_read_as_garbage(text, encoding, named):
    data = text.encode(encoding)
    data.decode("gb18030")  # what made them garbage: GB18030 accepts these bytes
    with pytest.raises(ContentError, match=f"编码看起来是{named}.*UTF-8"):
        decode(data)


@pytest.mark.parametrize(
    "text", ["停水通知。", "通知\n\n各位业主：本周三停水。", SAMPLE, "第一條 繁體字寫成的GBK文字。"]
)
def test_short_and_traditional_gbk_texts_still_decode(text):
    assert decode(text.encode("gb18030")) == text
