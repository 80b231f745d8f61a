"""What is said aloud around self-test questions: each question, its options, its answer, and the prompts.

One place for it, because three parties must agree on the sentences (and so on their audio keys): the kiosk
that plays a question, `kiosk build` that voices them ahead of time, and the centre's snapshot that hands
their MP3s to hubs that render nothing themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indexer.content.quiz import Question, load_questions
from indexer.datadir import DataDir
from indexer.speech.engines.base import EngineSettings
from indexer.store import Store

from .audio_cache import AudioCache
from .narration import Line, missing_audio, narrate_text

KIND_LABELS = {"single": "单选题", "multiple": "多选题", "truefalse": "判断题"}
# Said around the questions; voiced like any sentence, so cached once for every question.
PROMPTS = {
    "right": "答对了。",
    "wrong": "答错了。",
    "true_or_false": "对，还是错？",
    "choose": "请选择答案。",
    "unit_quiz": "这一单元听完了，来做几道题。",
}


@dataclass(frozen=True)
class SpokenQuestion:
    """What is said for a question: the question with its kind, each option, and the answer with its explanation."""

    question: str
    options: tuple[str, ...]
    answer: str

    @classmethod
    def of(cls, question: Question) -> SpokenQuestion:
        if question.kind == "truefalse":
            said = "这句话是对的。" if question.answer == "对" else "这句话是错的。"
        else:
            said = f"正确答案是{'、'.join(question.answer)}。"
        return cls(
            f"{KIND_LABELS[question.kind]}。{question.text}",
            tuple(f"{letter}，{text}" for letter, text in question.options),
            said + question.explanation,
        )

    def texts(self) -> list[str]:
        return [self.question, *self.options, self.answer]


def spoken_texts(questions: list[Question]) -> list[str]:
    """Everything said for these questions, then the prompts said around any question."""
    return [text for question in questions for text in SpokenQuestion.of(question).texts()] + list(PROMPTS.values())


def question_lines(roots: list[Path], settings: EngineSettings) -> list[Line]:
    """The sentences of every question of the library and of the prompts, each once, in file order."""
    questions, _ = load_questions(roots)  # bad question files are `kiosk quiz check`'s to report
    lines: dict[str, Line] = {}
    for text in spoken_texts(questions):
        for line in narrate_text(text, settings):
            lines.setdefault(line.key, line)
    return list(lines.values())


def missing_question_audio(data: DataDir, settings: EngineSettings, roots: list[Path]) -> list[tuple[str, str]]:
    """(key, spoken) of the questions' and prompts' sentences not yet in the cache, remembered so any plays."""
    lines = question_lines(roots, settings)
    store = Store(data.database)
    try:
        store.remember_speech([(line.key, line.spoken) for line in lines])
    finally:
        store.close()
    cached = AudioCache(data.audio).keys()
    return [(line.key, line.spoken) for line in lines if line.key not in cached]


def missing_library_audio(data: DataDir, settings: EngineSettings, roots: list[Path]) -> list[tuple[str, str]]:
    """(key, spoken) of every sentence still to voice: the texts' (every text's opening first, see missing_audio),
    then the questions'."""
    jobs = missing_audio(data, settings)
    known = set(jobs)
    return jobs + [job for job in missing_question_audio(data, settings, roots) if job not in known]
