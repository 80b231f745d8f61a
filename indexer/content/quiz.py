"""Spoken self-test questions written by editors as Markdown: parse them strictly, naming file, line and reason.

A question file has front matter (title, volume) and one block per question:

    ## 业主共同决定事项，要有多少业主参与表决？
    类型：单选                      (单选, 多选 or 判断)
    - A. 面积和人数都过半数          (two to six options for 单选 and 多选, none for 判断)
    - B. 面积和人数都占三分之二以上
    答案：B                         (one letter; two or more letters in order for 多选; 对 or 错 for 判断)
    解析：民法典第二百七十八条规定……  (one sentence, read aloud after the answer)
    出处：有声物业/物业管理篇/业主大会和业主委员会.md | 面积和人数两个条件都要满足
    对象：居民                      (optional: a plain question for residents, so the kiosk's 每日一题 may ask it)

The 出处 line names the document (its path under a content root) and a short quote from it, so the kiosk can play
the passage the question comes from. Without 对象 a question is for learners in training only: a staff-exam
question means nothing to a resident at the kiosk.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from indexer.errors import ContentError

from .loader import decode
from .parse import FRONT_MATTER, read_front_matter

QUIZ_FOLDER = "_quiz"
KINDS = {"单选": "single", "多选": "multiple", "判断": "truefalse"}
TRUE_FALSE = ("对", "错")
LETTERS = "ABCDEF"
OPTION = re.compile(r"^-\s*([A-Z])[.．、]\s*(.+)$")
FIELD = re.compile(r"^(类型|答案|解析|出处|对象)[：:]\s*(.*)$")
RESIDENTS = "居民"  # the one 对象 there is: questions the kiosk may ask anyone walking up
QUIZ_FIELDS = {"title", "volume"}
MAX_QUESTION_CHARS = 120
MAX_OPTION_CHARS = 60
QUOTE_CHARS = (4, 40)


@dataclass(frozen=True)
class Question:
    """One question as the kiosk reads it aloud and checks its answer."""

    id: str
    volume: str
    kind: str  # single | multiple | truefalse
    text: str
    options: tuple[tuple[str, str], ...]
    answer: str  # letters in order, or 对 / 错
    explanation: str
    source: str  # the document's path under its content root
    quote: str
    file: str
    line: int
    for_residents: bool = False  # 对象：居民

    def is_right(self, answer: str) -> bool:
        """Whether an answer (letters in any order, or 对/错) is exactly the right one."""
        given = "".join(sorted(set(answer.strip().upper()))) if self.kind != "truefalse" else answer.strip()
        return given == self.answer


@dataclass
class QuizFile:
    """A parsed question file: its questions and every problem found, each with its line."""

    path: str
    title: str = ""
    volume: str = ""
    questions: list[Question] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


def question_id(volume: str, text: str) -> str:
    """Stable while the question's wording stays: attempts and statistics follow it across file moves."""
    return hashlib.sha1(f"{volume}\x00{text}".encode()).hexdigest()[:12]


def parse_quiz(text: str, path: str) -> QuizFile:
    """Every question of a file, and every problem with its line number (the file's own, counting from 1)."""
    quiz = QuizFile(path)
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    offset = 0
    match = FRONT_MATTER.match(text)
    if not match:
        quiz.problems.append((1, "开头缺少 --- 信息块（title 和 volume）"))
    else:
        try:
            fields = read_front_matter(match.group(1))
        except ContentError as exc:
            fields = {}
            quiz.problems.append((1, str(exc)))
        else:
            unknown = sorted(set(map(str, fields)) - QUIZ_FIELDS)
            missing = [name for name in sorted(QUIZ_FIELDS) if not fields.get(name)]
            if unknown:
                quiz.problems.append((1, f"信息块里有不认识的字段：{'、'.join(unknown)}（只要 title 和 volume）"))
            if missing:
                quiz.problems.append((1, f"信息块缺少 {'、'.join(missing)}"))
        quiz.title, quiz.volume = str(fields.get("title") or ""), str(fields.get("volume") or "")
        offset = match.group(0).count("\n")
        text = text[match.end() :]
    block: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), offset + 1):
        if line.startswith("## "):
            _add_question(quiz, block)
            block = []
        if line.strip() or block:
            block.append((number, line.strip()))
    _add_question(quiz, block)
    if not quiz.questions and not quiz.problems:
        quiz.problems.append((offset + 1, "没有题目：每道题以「## 」开头"))
    return quiz


def _add_question(quiz: QuizFile, block: list[tuple[int, str]]) -> None:
    block = [(number, line) for number, line in block if line]
    if not block:
        return
    start, heading = block[0]
    if not heading.startswith("## "):
        quiz.problems.append((start, f"题目之外有多余的文字「{heading[:20]}」：每道题以「## 」开头"))
        return
    question = heading[3:].strip()
    fields: dict[str, tuple[int, str]] = {}
    options: list[tuple[str, str]] = []
    problems: list[tuple[int, str]] = []
    for number, line in block[1:]:
        if option := OPTION.match(line):
            options.append((option.group(1), option.group(2).strip()))
            if option.group(1) != LETTERS[len(options) - 1 : len(options)]:
                problems.append((number, f"选项应按 A、B、C… 的顺序，这里是 {option.group(1)}"))
            elif len(option.group(2)) > MAX_OPTION_CHARS:
                problems.append((number, f"选项太长（{len(option.group(2))} 字，最多 {MAX_OPTION_CHARS} 字）"))
        elif named := FIELD.match(line):
            if named.group(1) in fields:
                problems.append((number, f"「{named.group(1)}」写了两次"))
            fields[named.group(1)] = (number, named.group(2).strip())
        else:
            problems.append((number, f"看不懂这一行「{line[:20]}」：应是选项「- A. …」或 类型/答案/解析/出处/对象"))
    problems += _check(question, start, fields, options)
    if problems:
        quiz.problems += problems
        return
    kind = KINDS[fields["类型"][1]]
    answer = fields["答案"][1].upper() if kind != "truefalse" else fields["答案"][1]
    source, quote = (part.strip() for part in fields["出处"][1].split("|", 1))
    quiz.questions.append(
        Question(
            id=question_id(quiz.volume, question),
            volume=quiz.volume,
            kind=kind,
            text=question,
            options=tuple(options),
            answer=answer,
            explanation=fields["解析"][1],
            source=source,
            quote=quote,
            file=quiz.path,
            line=start,
            for_residents="对象" in fields,
        )
    )


def _check(
    question: str, start: int, fields: dict[str, tuple[int, str]], options: list[tuple[str, str]]
) -> list[tuple[int, str]]:
    """What is wrong with one question's parts, each at the line to fix."""
    problems = []
    if not question:
        problems.append((start, "题目是空的"))
    elif len(question) > MAX_QUESTION_CHARS:
        problems.append((start, f"题目太长（{len(question)} 字，最多 {MAX_QUESTION_CHARS} 字）"))
    for name in ("类型", "答案", "解析", "出处"):
        if name not in fields or not fields[name][1]:
            problems.append((fields.get(name, (start,))[0], f"缺少「{name}：」"))
    if "类型" not in fields or not fields["类型"][1]:
        return problems
    line, kind = fields["类型"]
    if kind not in KINDS:
        return [*problems, (line, f"类型「{kind}」不对，只能是 单选、多选、判断")]
    answer_line, answer = fields.get("答案", (start, ""))
    letters = [letter for letter, _ in options]
    if kind == "判断":
        if options:
            problems.append((start, "判断题不要选项"))
        if answer and answer not in TRUE_FALSE:
            problems.append((answer_line, f"判断题的答案只能是「对」或「错」，这里是「{answer}」"))
    else:
        if not 2 <= len(options) <= len(LETTERS):
            problems.append((start, f"{kind}题要有 2 到 {len(LETTERS)} 个选项，这里有 {len(options)} 个"))
        answer = answer.upper()
        if answer and (not set(answer) <= set(letters) or len(set(answer)) != len(answer)):
            problems.append((answer_line, f"答案「{answer}」不在选项 {''.join(letters)} 之中"))
        elif answer and list(answer) != sorted(answer):
            problems.append((answer_line, f"答案的字母请按顺序写，例如「{''.join(sorted(answer))}」"))
        elif kind == "单选" and len(answer) != 1:
            problems.append((answer_line, "单选题只有一个答案"))
        elif kind == "多选" and len(answer) < 2:
            problems.append((answer_line, "多选题至少有两个答案；只有一个请改成单选"))
    if "出处" in fields and fields["出处"][1]:
        line, where = fields["出处"]
        source, _, quote = (part.strip() for part in where.partition("|"))
        if not source or not quote:
            problems.append((line, "出处写成「文章路径 | 文中的一小段原话」"))
        elif not QUOTE_CHARS[0] <= len(quote) <= QUOTE_CHARS[1]:
            problems.append((line, f"出处的原话应有 {QUOTE_CHARS[0]} 到 {QUOTE_CHARS[1]} 个字"))
    if "对象" in fields and fields["对象"][1] != RESIDENTS:
        problems.append(
            (
                fields["对象"][0],
                f"对象只能写「{RESIDENTS}」（给居民的题，触摸屏的每日一题会用），这里是「{fields['对象'][1]}」",
            )
        )
    return problems


def read_quiz(path: Path, shown: str | None = None) -> QuizFile:
    """Read and parse one question file; an unreadable file is one problem, not an exception."""
    shown = shown or str(path)
    try:
        text = decode(path.read_bytes())
    except OSError as exc:
        return QuizFile(shown, problems=[(0, f"无法读取：{exc.strerror}")])
    except ContentError as exc:
        return QuizFile(shown, problems=[(0, str(exc))])
    return parse_quiz(text, shown)


def check_sources(quiz: QuizFile, roots: list[Path]) -> None:
    """Move every question whose 出处 document is missing, or lacks its quote, from the questions to the problems."""
    texts: dict[Path, str] = {}
    kept = []
    for question in quiz.questions:
        path = next((root / question.source for root in roots if (root / question.source).is_file()), None)
        if path is not None and path not in texts:
            try:
                texts[path] = decode(path.read_bytes())
            except (OSError, ContentError):
                texts[path] = ""
        if path is None:
            quiz.problems.append((question.line, f"出处的文章不存在：{question.source}"))
        elif question.quote not in texts[path]:
            quiz.problems.append((question.line, f"出处的文章里找不到原话「{question.quote}」"))
        else:
            kept.append(question)
    quiz.questions = kept


def load_questions(roots: list[Path]) -> tuple[list[Question], list[str]]:
    """Every valid question under the roots' _quiz/ folders, and one line per problem (file:line: reason)."""
    questions, problems, seen = [], [], set()
    for root in roots:
        for path in sorted((Path(root) / QUIZ_FOLDER).rglob("*.md")):
            quiz = read_quiz(path)
            check_sources(quiz, roots)
            problems += [f"{path}:{line}: {reason}" for line, reason in sorted(quiz.problems)]
            for question in quiz.questions:
                if question.id not in seen:
                    seen.add(question.id)
                    questions.append(question)
    return questions, problems
