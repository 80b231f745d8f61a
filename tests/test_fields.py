"""The front-matter table: every field in it is read by the parser, written and kept by the importer, held by the
Document and edited by the form, with nothing else to change."""

from __future__ import annotations

import dataclasses

import pytest

from indexer.content.documents import Document
from indexer.content.fields import FIELDS, FIELDS_BY_NAME, Field
from indexer.content.importing import compose_markdown, markdown_upload
from indexer.content.parse import SourceFile, parse_document
from kiosk.editor.files import EditForm

SAMPLES = {"text": "示例文字", "number": 3, "date": "2024-05-01", "tags": ["甲", "乙"]}


def sample(field: Field) -> object:
    """A value the field may hold that is not its default, so reading it cannot pass by chance."""
    return field.choices[-1] if field.choices else SAMPLES[field.kind]


def test_the_documents_front_matter_attributes_are_the_tables_fields():
    attributes = [f.name for f in dataclasses.fields(Document) if f.name not in ("id", "source", "passages")]
    assert attributes == [field.name for field in FIELDS]


@pytest.mark.parametrize("field", FIELDS, ids=lambda field: field.key)
def test_every_field_is_written_parsed_imported_and_edited(field):
    value = sample(field)
    text = compose_markdown({"title": "标题", "collection": "政策法规", field.key: value}, "正文。")
    assert f"\n{field.key}: " in text
    assert getattr(parse_document(SourceFile("政策法规/示例.md", text)), field.name) == value
    converted = markdown_upload(text)
    assert (converted.title if field.key == "title" else converted.fields[field.key]) == value
    form = EditForm.from_text("政策法规/示例.md", text)
    assert form.fields()[field.key] == value
    posted = EditForm.from_request({**form.values, "body": form.body})
    assert getattr(posted.document(), field.name) == value


def test_the_issuer_is_named_for_what_it_is_and_files_still_call_it_source():
    text = "---\ntitle: 通知\ncollection: 政策法规\nsource: 示例街道办事处\n---\n\n本周三停水。\n"
    doc = parse_document(SourceFile("政策法规/通知.md", text))
    assert doc.issuer == "示例街道办事处" and doc.source == "政策法规/通知.md"
    assert FIELDS_BY_NAME["issuer"].key == "source"
    assert "\nsource: 示例街道办事处\n" in EditForm.from_text(doc.source, text).markdown()
    stored = doc.to_dict()  # what the document store keeps and /api/docs/<id> sends, as before the rename
    assert stored["origin"] == "示例街道办事处" and "issuer" not in stored
    assert Document.from_dict(stored) == doc
