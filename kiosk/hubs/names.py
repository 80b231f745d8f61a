"""Hub names as the centre enrols them: one normal form, nothing invisible, and never one that looks like another.

A name is shown on the wall to people who cannot see code points: "物业港" followed by U+FE0F, in fullwidth letters,
with a zero-width joiner or a trailing space, reads exactly as "物业港". So a name is NFKC-normalised and trimmed,
refused if it holds a character that shows nothing, and refused if its skeleton (what is left to the eye) is
another hub's or the centre's.
"""

from __future__ import annotations

import unicodedata

from indexer.errors import KioskError

HUB_CHARS = 40
# Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt): drawn as nothing, whatever their
# category; the Cf ones among them are refused by category as well.
IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)


class HubNameError(KioskError):
    """A name the centre will not enrol; the message says why, in words an installer can act on."""


def normal_name(text: str) -> str:
    """``text`` as the centre keeps a hub's name (NFKC, trimmed), or HubNameError if it cannot be one."""
    name = normal_form(text)
    if not name:
        raise HubNameError("站点名称不能为空")
    if len(name) > HUB_CHARS:
        raise HubNameError(f"站点名称太长：最多 {HUB_CHARS} 个字")
    for char in name:
        if _invisible(char) or (char.isspace() and char != " "):
            raise HubNameError(
                f"站点名称里有看不见的字符（U+{ord(char):04X}）：大屏上它会和别的名字一模一样。请只用看得见的字重新输入"
            )
    if not skeleton(name):
        raise HubNameError("站点名称要有字或字母，不能只有标点")
    return name


def normal_form(text: str) -> str:
    """How a name is kept and looked up: NFKC, without surrounding space."""
    return unicodedata.normalize("NFKC", text).strip()


def skeleton(name: str) -> str:
    """What a reader can tell apart: NFKC, case folded, without what is invisible, spaces or punctuation."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return "".join(
        char
        for char in folded
        if not _invisible(char) and not char.isspace() and unicodedata.category(char)[0] not in "PZ"
    )


def _invisible(char: str) -> bool:
    """Controls, formatting (bidi, joiners), unassigned, private and surrogate code points, and the ignorables."""
    code = ord(char)
    return unicodedata.category(char)[0] == "C" or any(first <= code <= last for first, last in IGNORABLE)
