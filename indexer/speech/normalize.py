"""Rewrite law text into what a person reads aloud: hanzi and Chinese punctuation only, no digits, Latin or symbols.

Both speech engines need this: espeak-ng's cmn-latn-pinyin voice reads Latin as pinyin and digits badly, and the
FastSpeech2 model has no symbols for anything but pinyin. Reading choices made here:
- A lone 2 before a measure word is 两 (两个, 两人, 两年); 二 becomes 两 before 千/万/亿 (两千, 一万两千, 两亿) but
  stays 二 before 百 (二百); ordinals, months, dates, decimals and clock minutes keep 二 (第二条, 二月二日, 二点五).
- Years are read digit by digit with 〇 (二〇一八年); phone and hotline numbers digit by digit with 1 as 幺,
  groups separated by a space; other codes (GB/T 19001-2016) digit by digit with 一 and 杠 for the hyphen.
- List markers: (一) becomes 一、 and 1. 1、 (1) ① a) become 第一，.
- Brackets become a pause comma; 《》“”「」 and other quotes are dropped; unknown symbols and emoji are dropped.
- Latin: speech_terms.tsv first, then acronyms (up to eight capitals) and words of up to four letters spelled
  with letter_names.tsv; longer unknown words are dropped because a Mandarin voice cannot say them.
- Whitespace: zero-width characters and U+3000 (it justifies 总　则) go; other runs become one space, which the
  neural front end hears as a short pause; blank lines collapse. Hanzi and Chinese punctuation pass unchanged.
"""

import re
import unicodedata
from functools import lru_cache, partial
from pathlib import Path

import cn2an

_DATA = Path(__file__).parent / "data"


def _read_table(name: str) -> dict[str, str]:
    table: dict[str, str] = {}
    path = _DATA / name
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0] or not fields[1].strip():
            raise ValueError(f"{path}:{number}: expected 'term<TAB>reading', got {line!r}")
        table[fields[0]] = fields[1].strip()
    return table


def _alternation(words) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_LETTER_NAMES = {
    letter: name for upper, name in _read_table("letter_names.tsv").items() for letter in (upper, upper.lower())
}
_SPEECH_TERMS = _read_table("speech_terms.tsv")
_UNITS = _read_table("unit_symbols.tsv")
_UNITS_AFTER_NUMBER = {unit: name for unit, name in _UNITS.items() if re.fullmatch(r"[A-Za-z0-9/]+", unit)}
_UNITS_ANYWHERE = {unit: name for unit, name in _UNITS.items() if unit not in _UNITS_AFTER_NUMBER}

_DIGIT_NAMES = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
_YEAR_DIGITS = str.maketrans("0123456789", "〇一二三四五六七八九")
_PHONE_DIGITS = str.maketrans("0123456789", "零幺二三四五六七八九")
_CODE_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")
_CHINESE_NUMERALS = "零〇一二三四五六七八九十百千"


@lru_cache(maxsize=8192)
def _cardinal(number: str) -> str:
    """Say a plain number: 1005 一千零五, 1.50 一点五零; codes with a leading zero or 13+ digits go digit by digit."""
    whole, _, fraction = number.partition(".")
    if (len(whole) > 1 and whole.startswith("0")) or len(whole) > 12:
        spoken = "".join(_DIGIT_NAMES[digit] for digit in whole)
    else:
        spoken = cn2an.an2cn(whole, "low")
    # Decimals digit by digit, as cn2an says them too, except that it cuts them after 16 digits.
    return spoken + ("点" + "".join(_DIGIT_NAMES[digit] for digit in fraction) if fraction else "")


def _ordinal_marker(number: int) -> str:
    return f"第{_cardinal(str(number))}，"


def _character_folding() -> dict[str, str]:
    """Full-width ASCII to ASCII, odd spaces to spaces, and enumerated symbols (①, Ⅱ) to what they stand for."""
    folding = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
    for kept in "，：；！？（）":  # already Chinese punctuation; keep it so
        del folding[kept]
    folding.update({"￥": "¥", "−": "-", "–": "-", "―": "—", "∶": ":", "﹕": ":", "\t": " ", "\r": ""})
    folding.update(
        dict.fromkeys("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f", " ")
    )
    # U+3000 justifies headings (总　则) and indents lines; it is no pause, so it goes like the zero-width ones.
    folding.update(dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad\u3000", ""))
    for code in range(0x80, 0x10000):  # digits of other scripts (٣, ३) so that \d only ever meets 0-9
        if unicodedata.category(chr(code)) == "Nd":
            folding.setdefault(chr(code), str(unicodedata.decimal(chr(code))))
    for first, last in ((0x2460, 0x2473), (0x2474, 0x2487), (0x2488, 0x249B), (0x2776, 0x277F), (0x2780, 0x2789)):
        for offset in range(last - first + 1):
            folding[chr(first + offset)] = _ordinal_marker(offset + 1)
    for first in (0x2160, 0x2170):  # Ⅰ..Ⅻ, ⅰ..ⅻ
        for offset in range(12):
            folding[chr(first + offset)] = _cardinal(str(offset + 1))
    return folding


_FOLDING = _character_folding()
_FOLDABLE = re.compile(f"[{re.escape(''.join(_FOLDING))}]")

# Words after which an integer counts things, so a lone 2 is 两. Not 日/月/号/级/楼/期/度: there 2 is 二
# (日 is mostly a date, and laws themselves write 二日内). A split string, as a list literal would be formatted one
# word a line.
_MEASURE_WORDS = (  # noqa: SIM905
    "个 人 名 位 辆 次 栋 幢 座 间 套 户 家 条 件 项 种 类 份 张 本 台 部 架 艘 只 头 匹 株 棵 片 块 处 所 层 "
    "年 天 周 星期 小时 分钟 分 秒 倍 岁 元 角 美元 港元 欧元 英镑 米 公里 千米 厘米 毫米 公斤 千克 克 吨 亩 公顷 "
    "升 毫升 平方 立方 门 把 根 支 枚 副 对 双 批 组 笔 宗 起 例 篇 页 节 段 点 方面 届 轮 场 道 封 首 句 班 趟 "
    "遍 回 下 样 成 千 万 亿"
).split()
_COUNTED = re.compile(rf"(?!年级)(?:{_alternation(_MEASURE_WORDS)})")
# After these a number names something (第二, 二月二日, 周二) rather than counting it.
_NAMING_PREFIXES = ("第", "月", "周", "星期", "初")
_LIANG_BEFORE_MAGNITUDE = re.compile(r"(?<!十)二(?=[千万亿])")

# ----- run on the whole text -----
_IDEOGRAPHIC_SPACE_BETWEEN_WORDS = re.compile(r"(?<=[0-9A-Za-z])\u3000+(?=[0-9A-Za-z])")  # 500　150 stays apart
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_UNIT_ANYWHERE = re.compile(_alternation(_UNITS_ANYWHERE))
_BRACKETED_CHINESE_NUMERAL = re.compile(rf"[（(]([{_CHINESE_NUMERALS}]+)[)）]")
_LIST_POSITION = re.compile(r"(?:^|[\n：:；;。])[ ]*$")
_CROSSES_PLACEHOLDER = re.compile(r"×{2,}")
_ZERO_CIRCLE = re.compile(r"○+")

# ----- run only on lines holding ASCII (digits, Latin, markup) -----
# \d and \w mean ASCII here: a digit of another script cannot reach cn2an, it is dropped as unspeakable.
_ascii_regex = partial(re.compile, flags=re.ASCII)
_HAS_ASCII = _ascii_regex(r"[!-~]")
_HAS_DIGIT = _ascii_regex(r"\d")
_OCR_ONE = _ascii_regex(r"(?<![A-Za-z])l(?=\d|:\d)")  # scanned texts write 1 as l: l000元, l:10000
_HTML_TAG = _ascii_regex(r"</?[A-Za-z][^<>\n]*>")
_MARKDOWN_IMAGE = _ascii_regex(r"!\[[^\]\n]*\]\([^)\n]*\)")
_MARKDOWN_LINK = _ascii_regex(r"\[([^\]\n]*)\]\([^)\n]*\)")
_FOOTNOTE = _ascii_regex(r"\[\d{1,3}\]")
_HEADING_MARK = _ascii_regex(r"^[ ]*#+[ ]*")
_MARKDOWN_RULE = _ascii_regex(r"^[ ]*[-*_=|: ]{3,}$")
_MARKDOWN_NOISE = _ascii_regex(r"[*`\\_]+")
_EMAIL = _ascii_regex(r"([A-Za-z0-9._+-]+)@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})")
_URL = _ascii_regex(
    r"(?:https?://)?((?:[A-Za-z0-9-]+\.)+(?:cn|com|org|net|gov|edu|int|info)(?:\.cn)?)(?:/[\w./?=&%#-]*)?"
)
_SPEECH_TERM = _ascii_regex(rf"(?<![A-Za-z0-9])(?:{_alternation(_SPEECH_TERMS)})(?![A-Za-z])")

_NUMBER = r"\d+(?:\.\d+)?"
_THOUSANDS = _ascii_regex(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?![\d,])")
_LANDLINE = _ascii_regex(r"(?<![\d.])[(（]?(0\d{2,3})[)）]?[- ]?([2-9]\d{6,7})(?![\d.])")
_SERVICE_LINE = _ascii_regex(r"(?<![\d.])([48]00)[- ]?(\d{3})[- ]?(\d{4})(?![\d.])")
_MOBILE = _ascii_regex(r"(?<![\d.])(1[3-9]\d)(\d{4})(\d{4})(?![\d.])")
_SHORT_NUMBER = _ascii_regex(r"(?<![\d.])\d{3,8}(?![\d.])")
_CALL_BEFORE = _ascii_regex(r"(?:拨打|致电|拨|打|呼叫|电话|热线|号码|求助|报警|传真)[为是]?[ :：“”\"'‘’「（(]*$")
_CALL_AFTER = _ascii_regex(
    r"[ ”\"'’」）)]*(?:热线|电话|专线|报警|急救|火警|求助|服务|平台|短信|客服|投诉|举报|查号|指挥|政务|便民|维权|咨询)"
)
_HOTLINE_SHAPE = _ascii_regex(r"12[13]\d{2}|9[56]\d{3}")  # 12345, 12315, 12123, 95598 ...
_QUANTITY_AFTER = _ascii_regex(rf"[ ]*(?:{_COUNTED.pattern}|%|‰|\.\d)")
_DATE = _ascii_regex(r"(?<![\d.])((?:19|20)\d{2})([-/.])(\d{1,2})\2(\d{1,2})(?![\d.])")
_BRACKETED_YEAR = _ascii_regex(r"[〔(（\[［]((?:19|20)\d{2})[〕)）\]］]")
_LIST_ARABIC = _ascii_regex(
    r"^[ ]*(?:[（(](\d{1,3})[)）]|(\d{1,3})(?:\.(?!\d)|[、)）]))|(?<=[：:；;。])[ ]*(?:[（(](\d{1,2})[)）]|(\d{1,2})、)"
)
_LIST_LETTER = _ascii_regex(r"^[ ]*[（(]?([a-z])[)）.](?![A-Za-z])")
_BRACKETED_DIGITS = _ascii_regex(r"[（(](\d{1,3})[)）]")
_UNIT_AFTER_NUMBER = _ascii_regex(rf"(?<=\d) ?({_alternation(_UNITS_AFTER_NUMBER)})(?![A-Za-z])")
_CODE = _ascii_regex(r"(?<![A-Za-z0-9])([A-Z]{1,6}(?:/[A-Z])?(?= ?\d)|[A-Za-z]{1,6}(?=\d)) ?(\d+(?:[.-]\d+)*)(?!\d)")
_CODE_PART = _ascii_regex(r"([.-])")
_CURRENCY = _ascii_regex(rf"(US\$|HK\$|[¥$€£])[ ]?({_NUMBER})([万亿]?)")
_CURRENCY_NAMES = {"¥": "元", "$": "美元", "US$": "美元", "HK$": "港元", "€": "欧元", "£": "英镑"}
_CLOCK = _ascii_regex(r"(?<![\d.:])([01]?\d|2[0-4])[:：]([0-5]\d)(?:[:：]([0-5]\d))?(?![\d:])")
_RATIO = _ascii_regex(rf"(?<![\d.])({_NUMBER})[ ]?[:：][ ]?({_NUMBER})(?![\d.])")
_PERCENT_RANGE = _ascii_regex(rf"({_NUMBER})[ ]?%?[ ]?([-~—至到])[ ]?({_NUMBER})[ ]?%")
_PERCENT = _ascii_regex(rf"({_NUMBER})[ ]?([%‰‱])")
_PERCENT_WORDS = {"%": "百分之", "‰": "千分之", "‱": "万分之"}
_FRACTION = _ascii_regex(r"(?<![\d/.])(\d+)[ ]?/[ ]?(\d+)(?![\d/.])")
_POWER = _ascii_regex(r"(\d+)\^(\d+)")
_RANGE = _ascii_regex(rf"(?<![\d.])({_NUMBER})[ ]?(~|—+|-|至|到)[ ]?({_NUMBER})(?![\d.])")
_YEAR = _ascii_regex(r"(?<![\d.])(\d{4})(?=[ ]?年(?!以上|以下|以内|左右|级))")
_ORDINAL = _ascii_regex(r"(第|№|No\.|NO\.|§)[ ]?(\d+(?:[ ]?[、,，和及或至到-][ ]?\d+)*)")
_ORDINAL_SEPARATOR = _ascii_regex(r"[ ]?([、,，和及或至到-])[ ]?")
_TEMPERATURE_BELOW_ZERO = _ascii_regex(rf"(?<![\d.])-(?=[ ]?{_NUMBER}[ ]?(?:摄氏度|华氏度))")
_NEGATIVE = _ascii_regex(r"(?<![\w)）\u3400-\u9fff])-(?=\d)")
_ANY_NUMBER = _ascii_regex(r"\d+(?:\.\d+)*")
_NUMBER_SIGN = _ascii_regex(r"(?<=\d)#")  # 3#楼 is 三号楼
_LETTERS_PLACEHOLDER = _ascii_regex(r"(?<![A-Za-z])(?:XX+|xx+)(?![A-Za-z])")
_PER_UNIT_SLASH = _ascii_regex(
    r"/(?=平方|立方|千米|公里|米|千克|公斤|克|吨|升|小时|时|天|日|月|年|人|户|次|件|个|亩|秒|分钟|套|间|台|辆|张|页)"
)
_ROMAN_NUMERAL = r"(?P<numeral>I{1,3}|IV|VI{0,3}|IX|XI{0,2})"
_ROMAN = _ascii_regex(rf"(?<![A-Za-z]){_ROMAN_NUMERAL}(?:(?P<degree>o|°)|(?=[类级期型等号度]))")
_ROMAN_ORDINAL = _ascii_regex(rf"(?<=第){_ROMAN_NUMERAL}(?![A-Za-z])")
_ROMAN_VALUES = {
    "I": 1,
    "II": 2,
    "III": 3,
    "IV": 4,
    "V": 5,
    "VI": 6,
    "VII": 7,
    "VIII": 8,
    "IX": 9,
    "X": 10,
    "XI": 11,
    "XII": 12,
}
_LATIN_WORD = _ascii_regex(r"[A-Za-z]+")
_SPELLED_WORD_LENGTH = 4
_SPELLED_ACRONYM_LENGTH = 8
_ELLIPSIS = _ascii_regex(r"\.{3,}")
_ASCII_PUNCTUATION = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", ".": "。"}
_ASCII_PUNCTUATION_MARK = _ascii_regex(r"[,;:!?.]")

# ----- back on the whole text -----
_SYMBOLS = {
    "+": "加",
    "=": "等于",
    "×": "乘以",
    "÷": "除以",
    "≥": "大于等于",
    "≤": "小于等于",
    "≠": "不等于",
    "≈": "约等于",
    ">": "大于",
    "<": "小于",
    "±": "正负",
    "~": "至",
    "&": "和",
    "@": "艾特",
    "§": "节",
    "№": "号",
    "/": "、",
    "-": "、",
    "|": "，",
}
_SYMBOL = re.compile(f"[{re.escape(''.join(_SYMBOLS))}]")
_BRACKET = re.compile(r"[（(【\[［{〔〖）)】\]］}〕〗]")
_UNSPEAKABLE = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f〇，。、；：？！…—·\n ]+")
_DASHES = re.compile(r"—+")
_SPACES = re.compile(r"[ \n]*\n[ \n]*|[ ]+")
_PUNCTUATION = "，。、；：？！…—·"
_PAUSE_BEFORE_PUNCTUATION = re.compile(rf"[，、]+(?=[{_PUNCTUATION}\n]|$)")
_PAUSE_AFTER_PUNCTUATION = re.compile(rf"([{_PUNCTUATION}\n])[，、]+")
_LEADING_PAUSE = re.compile(r"^[，、]+")


def _quantity(number: str, before: str, after: str) -> str:
    """Say a number as the count it is here: 两 for a lone 2 before a measure word, 两千 rather than 二千."""
    if "." in number:
        return "点".join(map(_cardinal, number.split("."))) if number.count(".") > 1 else _cardinal(number)
    if before.endswith(_NAMING_PREFIXES):
        return _cardinal(number)
    spoken = _LIANG_BEFORE_MAGNITUDE.sub("两", _cardinal(number))
    if spoken == "二" and _COUNTED.match(after):
        return "两"
    return spoken


def _context(match: re.Match, span: int = 4) -> tuple[str, str]:
    start, end = match.span()
    return match.string[max(0, start - span) : start], match.string[end : end + span]


def _say_quantity(match: re.Match) -> str:
    return _quantity(match.group(), *_context(match))


def _year(digits: str) -> str:
    return digits.translate(_YEAR_DIGITS)


def _phone(*groups: str) -> str:
    return " ".join(group.translate(_PHONE_DIGITS) for group in groups)


def _spell(word: str) -> str:
    return "".join(_LETTER_NAMES[letter] for letter in word)


def _say_address_part(part: str) -> str:
    """Spell a host or mailbox name: letters by name, digits one by one, dots as 点."""
    return "".join(
        _LETTER_NAMES.get(character) or _DIGIT_NAMES.get(character) or ("点" if character == "." else "")
        for character in part
    )


def _say_email(match: re.Match) -> str:
    return f"{_say_address_part(match.group(1))}艾特{_say_address_part(match.group(2))}"


def _say_bracketed_chinese_numeral(match: re.Match) -> str:
    """(一) opening an item is a list marker read 一、; inside a sentence (第(一)项, 解释（三）) just the numeral."""
    numeral = match.group(1)
    at_item_start = _LIST_POSITION.search(match.string, max(0, match.start() - 8), match.start())
    return numeral + "、" if at_item_start else numeral


def _say_zero_circle(match: re.Match) -> str:
    """○ among Chinese numerals is the zero of 二○○四年; elsewhere (table symbols) it is dropped."""
    text, start, end = match.string, match.start(), match.end()
    neighbours = text[start - 1 : start] + text[end : end + 1]
    return "〇" * (end - start) if any(character in _CHINESE_NUMERALS for character in neighbours) else ""


def _say_short_number(match: re.Match) -> str:
    number = match.group()
    before, after = _context(match, span=6)
    if before.endswith("第") or _QUANTITY_AFTER.match(after):
        return number
    called = _CALL_BEFORE.search(before) or _CALL_AFTER.match(after)
    return _phone(number) if called or _HOTLINE_SHAPE.fullmatch(number) else number


def _say_date(match: re.Match) -> str:
    year, _, month, day = match.groups()
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return match.group()
    return f"{_year(year)}年{_cardinal(str(int(month)))}月{_cardinal(str(int(day)))}日"


def _say_arabic_list_marker(match: re.Match) -> str:
    return _ordinal_marker(int(next(group for group in match.groups() if group)))


def _say_code(match: re.Match) -> str:
    letters, digits = match.groups()
    spoken = [_SPEECH_TERMS.get(letters) or _spell(letters.replace("/", ""))]
    for part in _CODE_PART.split(digits):
        if part in ("-", "."):
            spoken.append("杠" if part == "-" else "点")
        else:
            spoken.append(part.translate(_CODE_DIGITS) if len(part) > 2 else _cardinal(part))
    return "".join(spoken)


def _say_currency(match: re.Match) -> str:
    symbol, amount, magnitude = match.groups()
    return _quantity(amount, "", magnitude or "元") + magnitude + _CURRENCY_NAMES[symbol]


def _sexagesimal(value: str, unit: str) -> str:
    """Minutes and seconds of a clock time: 05 零五分, 30 三十分."""
    return ("零" if value.startswith("0") else "") + _cardinal(str(int(value))) + unit


def _say_clock(match: re.Match) -> str:
    hour, minute, second = match.groups()
    spoken = ("两" if int(hour) == 2 else _cardinal(str(int(hour)))) + "点"
    if int(minute) or second:
        spoken += _sexagesimal(minute, "分")
    if second:
        spoken += _sexagesimal(second, "秒")
    return spoken


def _say_ratio(match: re.Match) -> str:
    return f"{_cardinal(match.group(1))}比{_cardinal(match.group(2))}"


def _percent_value(number: str) -> str:
    return "百" if number == "100" else _cardinal(number)


def _say_percent_range(match: re.Match) -> str:
    low, connector, high = match.groups()
    connector = connector if connector in "至到" else "至"
    return f"百分之{_percent_value(low)}{connector}百分之{_percent_value(high)}"


def _say_percent(match: re.Match) -> str:
    number, sign = match.groups()
    return _PERCENT_WORDS[sign] + (_percent_value(number) if sign == "%" else _cardinal(number))


def _say_fraction(match: re.Match) -> str:
    numerator, denominator = match.groups()
    return f"{_cardinal(denominator)}分之{_cardinal(numerator)}"


def _say_power(match: re.Match) -> str:
    return f"{_cardinal(match.group(1))}的{_cardinal(match.group(2))}次方"


def _say_range(match: re.Match) -> str:
    low, connector, high = match.groups()
    before, after = _context(match)
    connector = connector if connector in "至到" else "至"
    if after.lstrip().startswith("年") and len(low) == len(high) == 4:
        return f"{_year(low)}{connector}{_year(high)}"
    return f"{_quantity(low, before, after)}{connector}{_quantity(high, before, after)}"


def _say_ordinal(match: re.Match) -> str:
    prefix, numbers = match.groups()
    spoken = _ORDINAL_SEPARATOR.sub(
        lambda separator: "至" if separator.group(1) == "-" else separator.group(1), numbers
    )
    spoken = _ANY_NUMBER.sub(lambda number: _cardinal(number.group()), spoken)
    return {"第": f"第{spoken}", "§": f"第{spoken}节"}.get(prefix, f"第{spoken}号")


def _say_roman(match: re.Match) -> str:
    degree = "度" if match.groupdict().get("degree") else ""
    return _cardinal(str(_ROMAN_VALUES[match.group("numeral")])) + degree


def _say_latin_word(match: re.Match) -> str:
    word = match.group()
    if len(word) <= _SPELLED_WORD_LENGTH or (word.isupper() and len(word) <= _SPELLED_ACRONYM_LENGTH):
        return _spell(word)
    return " "


def _collapse_spaces(match: re.Match) -> str:
    """Keep one space between words; drop spaces next to punctuation or line ends, where they mean nothing."""
    if "\n" in match.group():
        return "\n"
    text, start, end = match.string, match.start(), match.end()
    at_edge = start == 0 or end == len(text) or text[start - 1] in _PUNCTUATION or text[end] in _PUNCTUATION
    return "" if at_edge else " "


_WHOLE_TEXT_BEFORE = (
    (_HTML_COMMENT, ""),
    (_UNIT_ANYWHERE, lambda match: _UNITS_ANYWHERE[match.group()]),
    (_BRACKETED_CHINESE_NUMERAL, _say_bracketed_chinese_numeral),
    (_CROSSES_PLACEHOLDER, "某某"),
    (_ZERO_CIRCLE, _say_zero_circle),
)
# Order matters: each step sees the digits and Latin that earlier steps left behind.
_MARKUP_AND_TERM_STEPS = (
    (_HTML_TAG, ""),
    (_OCR_ONE, "1"),
    (_MARKDOWN_IMAGE, ""),
    (_MARKDOWN_LINK, r"\1"),
    (_FOOTNOTE, ""),
    (_HEADING_MARK, ""),
    (_MARKDOWN_RULE, ""),
    (_MARKDOWN_NOISE, ""),
    (_EMAIL, _say_email),
    (_URL, lambda match: _say_address_part(match.group(1))),
    (_SPEECH_TERM, lambda match: _SPEECH_TERMS[match.group()]),
    (_LIST_LETTER, lambda match: _ordinal_marker(ord(match.group(1)) - ord("a") + 1)),
)
_NUMBER_STEPS = (
    (_THOUSANDS, lambda match: match.group().replace(",", "")),
    (_LANDLINE, lambda match: _phone(*match.groups())),
    (_SERVICE_LINE, lambda match: _phone(*match.groups())),
    (_MOBILE, lambda match: _phone(*match.groups())),
    (_SHORT_NUMBER, _say_short_number),
    (_DATE, _say_date),
    (_BRACKETED_YEAR, lambda match: _year(match.group(1)) + "年"),
    (_LIST_ARABIC, _say_arabic_list_marker),
    (_BRACKETED_DIGITS, r"\1"),
    (_UNIT_AFTER_NUMBER, lambda match: _UNITS_AFTER_NUMBER[match.group(1)]),
    (_CODE, _say_code),
    (_CURRENCY, _say_currency),
    (_CLOCK, _say_clock),
    (_RATIO, _say_ratio),
    (_PERCENT_RANGE, _say_percent_range),
    (_PERCENT, _say_percent),
    (_FRACTION, _say_fraction),
    (_POWER, _say_power),
    (_RANGE, _say_range),
    (_YEAR, lambda match: _year(match.group(1))),
    (_ORDINAL, _say_ordinal),
    (_TEMPERATURE_BELOW_ZERO, "零下"),
    (_NEGATIVE, "负"),
    (_NUMBER_SIGN, "号"),
    (_ANY_NUMBER, _say_quantity),
)
_LATIN_AND_PUNCTUATION_STEPS = (
    (_LETTERS_PLACEHOLDER, "某某"),
    (_PER_UNIT_SLASH, "每"),
    (_ROMAN, _say_roman),
    (_ROMAN_ORDINAL, _say_roman),
    (_LATIN_WORD, _say_latin_word),
    (_ELLIPSIS, "…"),
    (_ASCII_PUNCTUATION_MARK, lambda match: _ASCII_PUNCTUATION[match.group()]),
)
_WHOLE_TEXT_AFTER = (
    (_SYMBOL, lambda match: _SYMBOLS[match.group()]),
    (_BRACKET, "，"),
    (_UNSPEAKABLE, ""),
    (_DASHES, "——"),
    (_SPACES, _collapse_spaces),
    (_PAUSE_BEFORE_PUNCTUATION, ""),
    (_PAUSE_AFTER_PUNCTUATION, r"\1"),
    (_LEADING_PAUSE, ""),
    (_SPACES, _collapse_spaces),  # again: a line emptied of its pauses leaves a blank line behind
)


def _apply(steps, text: str) -> str:
    for pattern, replacement in steps:
        text = pattern.sub(replacement, text)
    return text


def _rewrite_ascii(line: str) -> str:
    line = _apply(_MARKUP_AND_TERM_STEPS, line)
    if _HAS_DIGIT.search(line):
        line = _apply(_NUMBER_STEPS, line)
    return _apply(_LATIN_AND_PUNCTUATION_STEPS, line)


def normalize_for_speech(text: str) -> str:
    """Return the words a reader would say for text, so no engine ever sees a digit, Latin letter or symbol."""
    text = _IDEOGRAPHIC_SPACE_BETWEEN_WORDS.sub(" ", text)
    text = _FOLDABLE.sub(lambda match: _FOLDING[match.group()], text)
    text = _apply(_WHOLE_TEXT_BEFORE, text)
    # Most law lines are pure hanzi; the many ASCII steps only run where there is ASCII to rewrite.
    if _HAS_ASCII.search(text):
        text = "\n".join(_rewrite_ascii(line) if _HAS_ASCII.search(line) else line for line in text.split("\n"))
    return _apply(_WHOLE_TEXT_AFTER, text).strip()
