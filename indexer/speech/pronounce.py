"""User-editable pronunciations for polyphones and terms, and their markup for espeak-ng.

Finding (espeak-ng 1.51, voice cmn-latn-pinyin): tone-numbered pinyin with one space between syllables
(`hang2 ye4`) gives exactly the phonemes of hanzi read that way (X'a35N_| j'iE51_|), third-tone sandhi
included; run together (`hang2ye4`) it becomes one word with different stress, so syllables stay spaced.
"""

import re
from pathlib import Path

DEFAULT_PRONUNCIATIONS = Path(__file__).parent / "data" / "pronunciations.tsv"

# One pinyin syllable: optional initial, a final, a tone 1-5; ü may be written v. Catches typos such as "hagn2".
_SYLLABLE = re.compile(
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|van|üan|ai|ei|ao|ou|an|en|in|un|vn|ün"
    r"|ia|ie|iu|ua|uo|ui|ve|üe|ue|er|a|o|e|i|u|v|ü|ng|n|m|r)[1-5]"
)


def load_pronunciations(*paths: str | Path) -> dict[str, tuple[str, ...]]:
    """Read term<TAB>pinyin files in order, later entries overriding earlier ones, so users can patch the default."""
    pronunciations: dict[str, tuple[str, ...]] = {}
    for path in paths:
        with open(path, encoding="utf-8-sig") as lines:
            for number, line in enumerate(lines, start=1):
                entry = line.strip()
                if not entry or entry.startswith("#"):
                    continue
                term, syllables = _parse_entry(line.rstrip("\r\n"), f"{path}:{number}")
                pronunciations[term] = syllables
    return pronunciations


def _parse_entry(line: str, where: str) -> tuple[str, tuple[str, ...]]:
    fields = line.split("\t")
    if len(fields) != 2:
        raise ValueError(f"{where}: expected 'term<TAB>pinyin', got {line!r}")
    term, pinyin = fields[0].strip(), fields[1].strip()
    syllables = tuple(pinyin.lower().split())
    if not term or not syllables:
        raise ValueError(f"{where}: empty term or pinyin in {line!r}")
    for syllable in syllables:
        if not _SYLLABLE.fullmatch(syllable):
            raise ValueError(f"{where}: {syllable!r} is not a pinyin syllable with a tone number 1-5")
    if len(syllables) != len(term):
        raise ValueError(f"{where}: {term!r} has {len(term)} characters but {len(syllables)} syllables")
    return term, syllables


def espeak_markup(text: str, pronunciations: dict[str, tuple[str, ...]]) -> str:
    """Replace dictionary terms, longest first, by spaced tone-numbered pinyin that cmn-latn-pinyin reads as written."""
    if not pronunciations:
        return text
    longest = max(map(len, pronunciations))
    pieces: list[str] = []
    after_pinyin = False
    position = 0
    while position < len(text):
        for size in range(min(longest, len(text) - position), 0, -1):
            syllables = pronunciations.get(text[position : position + size])
            if syllables:
                if pieces and not pieces[-1][-1].isspace():
                    pieces.append(" ")
                pieces.append(" ".join(syllables))
                after_pinyin = True
                position += size
                break
        else:
            character = text[position]
            # Pinyin glued to a following hanzi or pinyin would be read as one longer word.
            if after_pinyin and not character.isspace():
                pieces.append(" ")
            pieces.append(character)
            after_pinyin = False
            position += 1
    return "".join(pieces)
