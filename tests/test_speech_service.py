"""The app's speech service under a crowd: many listeners opening one text share one narration of it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.datadir import DataDir
from indexer.store import Store
from kiosk.services import SpeechService
from kiosk.settings import Settings

LISTENERS = 24
TEXTS = Path(__file__).resolve().parents[1] / "content" / "有声物业" / "物业管理篇"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> DataDir:
    data = DataDir.create(tmp_path_factory.mktemp("speech-service"))
    assert build_index(data, [TEXTS]).ok
    return data


def test_listeners_opening_one_text_at_once_share_one_narration(bundled):
    """A class told "open it now": every request gets the very same sentence list, narrated by the first one,
    instead of each thread normalizing the text again while searches wait for the GIL."""
    speech = SpeechService(bundled, Settings(data=bundled.root, engine="pyttsx3"))
    store = Store(bundled.database)
    try:
        texts = [doc for doc in map(store.document, store.document_ids()) if doc is not None]
        doc = max(texts, key=lambda text: len(text.passages))
    finally:
        store.close()
    start = threading.Barrier(LISTENERS)
    results: list[object] = []

    def listener() -> None:
        with Store(bundled.database) as own:
            start.wait()
            results.append(speech.lines(doc, own))

    threads = [threading.Thread(target=listener) for _ in range(LISTENERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        speech.close()
    assert len(results) == LISTENERS and results[0]
    assert all(lines is results[0] for lines in results)
