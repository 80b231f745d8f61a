"""A content root with a practical course of two areas (the bundled briefings of 登高作业 and 电工操作, skills as
the bundled course has them) and a theory course on the same texts, for the sign-off tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from kiosk.settings import BUNDLED_CONTENT

AREAS = ("登高作业", "电工操作")
PRACTICAL = "实训两区"
THEORY = "理论课"
BRIEFINGS = [f"有声物业/实训基地/{area}实训.md" for area in AREAS]


def bundled_skills() -> dict[str, list[str]]:
    """The bundled practical course's skills, by area."""
    course = yaml.safe_load((BUNDLED_CONTENT / "_courses" / "实训基地.yaml").read_text(encoding="utf-8"))
    return {unit["title"]: unit["skills"] for unit in course["units"]}


def practical_content(folder: Path) -> Path:
    """Write the content root into ``folder`` and return it."""
    for briefing in BRIEFINGS:
        (folder / briefing).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BUNDLED_CONTENT / briefing, folder / briefing)
    skills = bundled_skills()
    practical = {
        "title": "实训两区",
        "kind": "practical",
        "units": [
            {"title": area, "items": [briefing], "skills": skills[area]}
            for area, briefing in zip(AREAS, BRIEFINGS, strict=True)
        ],
    }
    theory = {"title": "登高理论", "units": [{"title": "登高", "items": [BRIEFINGS[0]]}]}
    (folder / "_courses").mkdir()
    for name, course in ((PRACTICAL, practical), (THEORY, theory)):
        text = yaml.safe_dump(course, allow_unicode=True, sort_keys=False)
        (folder / "_courses" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder
