import pytest

from indexer.speech.segment import LONG_SENTENCE, MAX_SEGMENT, split_passage


def test_sentences_keep_their_place_in_the_passage():
    text = "业主应当交费。物业服务人不得停水停电！合理期限届满仍不支付的，可以起诉？"
    segments = split_passage(text)
    assert [s.text for s in segments] == [
        "业主应当交费。",
        "物业服务人不得停水停电！",
        "合理期限届满仍不支付的，可以起诉？",
    ]
    assert all(text[s.start : s.end] == s.text for s in segments)


def test_long_sentences_are_cut_at_commas():
    text = "，".join(["业主大会应当依法履行职责并接受监督"] * 8) + "。"
    segments = split_passage(text)
    assert len(segments) > 1 and all(len(s.text) <= LONG_SENTENCE + 1 for s in segments)
    assert "".join(s.text for s in segments) == text


def test_text_without_punctuation_is_capped():
    segments = split_passage("物" * (MAX_SEGMENT * 3 + 5))
    assert (
        all(len(s.text) <= MAX_SEGMENT for s in segments) and sum(len(s.text) for s in segments) == MAX_SEGMENT * 3 + 5
    )


@pytest.mark.parametrize("text", ["", "   ", "。。。", "——", "\n\n"])
def test_nothing_to_say_gives_no_segments(text):
    assert split_passage(text) == []
