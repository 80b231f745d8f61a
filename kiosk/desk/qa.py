"""A legal question and its answer, with the resident's consent and without what identifies them, published as a
Q&A text in the library (有声物业 › 法律咨询问答): indexed, voiced and found by the next person who asks the same."""

from __future__ import annotations

import re

from indexer.content.importing import compose_markdown
from indexer.errors import ContentError

from ..editor.files import content_root, path_in, source_for, write_text
from ..editor.history import History
from ..editor.publish import Published, VectorFollower, publish, publish_lock
from ..services import Services
from .database import Attachment

SHELF = "有声物业"
VOLUME = "法律咨询问答"
TITLE_MAX = 60
# What could identify someone in a question: phone and ID numbers, buildings, units and rooms (3栋2单元501).
IDENTIFYING = re.compile(r"(?:\d[\d\- ]*\d|\d)\s*(?:栋|号楼|幢|单元|室|号)|\d{3,}(?:[\- ]\d+)*")


def anonymised(text: str) -> str:
    """The text with numbers that could identify someone replaced by ××; the counsel reads it over too."""
    return IDENTIFYING.sub("××", text).strip()


def markdown(question: str, answer: str, category: str, articles: list[Attachment]) -> tuple[str, str]:
    """(source, file text) of the Q&A: the question is the title, so a search for it finds this text first."""
    title = question if len(question) <= TITLE_MAX else question[: TITLE_MAX - 1] + "…"
    fields = {
        "title": title,
        "collection": SHELF,
        "volume": VOLUME,
        "tags": [category],
        "source": "物业港法律咨询台",
        "summary": answer.split("。", 1)[0][:200],
    }
    body = f"问：{question}\n\n答：{answer}"
    if articles:
        body += "\n\n相关条文：" + "；".join(article.title for article in articles) + "。"
    return source_for(fields), compose_markdown(fields, body)


def publish_qa(
    services: Services,
    vectors: VectorFollower,
    question: str,
    answer: str,
    category: str,
    articles: list[Attachment],
    author: str,
) -> tuple[str, Published]:
    """Write the Q&A into the editors' content root (a question published twice replaces its text) and publish
    it like an editor's save; ContentError when the disk refuses or the text cannot be parsed."""
    question, answer = question.strip(), answer.strip()
    if len(question) < 2 or len(answer) < 2:
        raise ContentError("问题和解答都不能为空")
    source, text = markdown(question, answer, category, articles)
    path = path_in(content_root(), source)
    with publish_lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, text)
        with History(services.data.root) as history:
            history.record(source, text, author, "法律咨询问答")
        return source, publish(services, vectors)
