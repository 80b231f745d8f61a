"""Chinese article numbers both ways (第九百四十四条 ⇄ 944), because people type either."""

from __future__ import annotations

import re
from functools import lru_cache

import cn2an

ARTICLE_LABEL = re.compile(r"^第([零〇一二三四五六七八九十百千两\d]+)条(之[一二三四五六七八九十]+)?")
MAX_ARTICLE = 9999  # the longest code, 民法典, has 1,260; a bigger "第…条" is no article (and overflows the index)


@lru_cache(maxsize=4096)
def chinese_to_int(numeral: str) -> int | None:
    """Parse 九百四十四 or 944 into 944; None when it is not a number."""
    if numeral.isascii() and numeral.isdigit():  # not ² or ١: int() reads only some of what isdigit() allows
        return int(numeral)
    try:
        return int(cn2an.cn2an(numeral.replace("〇", "零"), "smart"))
    except (ValueError, KeyError, TypeError):
        return None


@lru_cache(maxsize=4096)
def int_to_chinese(number: int) -> str:
    """944 → 九百四十四, the way article labels are written."""
    return cn2an.an2cn(number)


def article_label(number: int) -> str:
    """944 → 第九百四十四条."""
    return f"第{int_to_chinese(number)}条"


def parse_article_label(text: str) -> tuple[str, int] | None:
    """Return (label, number) when ``text`` starts with an article label such as 第十七条之一."""
    match = ARTICLE_LABEL.match(text)
    if not match:
        return None
    number = chinese_to_int(match.group(1))
    if number is None or not 0 <= number <= MAX_ARTICLE:
        return None
    return match.group(0), number
