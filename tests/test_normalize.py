"""normalize_for_speech turns law text into words a reader says: one table of readings, then properties on real laws."""

import re
from pathlib import Path

import pytest

from indexer.speech.normalize import normalize_for_speech

LAW_LIBRARY = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "laws"
PROPERTY_LAW = LAW_LIBRARY / "行政法规" / "物业管理条例(2018-03-19).md"

READINGS = [
    # years and full dates
    ("2018年", "二〇一八年"),
    ("2018年3月19日", "二〇一八年三月十九日"),
    ("2020-12-29", "二〇二〇年十二月二十九日"),
    ("2020/12/29", "二〇二〇年十二月二十九日"),
    ("2020.12.29", "二〇二〇年十二月二十九日"),
    ("2020年度", "二〇二〇年度"),
    ("2000年至2005年", "二〇〇〇年至二〇〇五年"),
    ("1980-1981年", "一九八〇至一九八一年"),
    ("二○○四年", "二〇〇四年"),
    ("国发〔2020〕12号", "国发二〇二〇年十二号"),
    ("树龄1000年以上", "树龄一千年以上"),
    # amounts and decimals
    ("1.5万元", "一点五万元"),
    ("1,200元", "一千二百元"),
    ("1,234,567元", "一百二十三万四千五百六十七元"),
    ("0.5", "零点五"),
    ("3.50米", "三点五零米"),
    ("5000元以下", "五千元以下"),
    ("2000元", "两千元"),
    ("12000元", "一万两千元"),
    ("2万元", "两万元"),
    ("200元", "二百元"),
    ("22个", "二十二个"),
    ("2.5小时", "二点五小时"),
    ("5.12.1 重伤", "五点十二点一 重伤"),
    # percentages and per-mille
    ("50%", "百分之五十"),
    ("５０％", "百分之五十"),
    ("12.5%", "百分之十二点五"),
    ("100%", "百分之百"),
    ("3.5‰", "千分之三点五"),
    ("30%—50%", "百分之三十至百分之五十"),
    ("加计30—50%计算", "加计百分之三十至百分之五十计算"),
    # fractions and ranges
    ("2/3以上", "三分之二以上"),
    ("1/2", "二分之一"),
    ("3-5年", "三至五年"),
    ("3~5", "三至五"),
    ("3～5天", "三至五天"),
    ("3—5", "三至五"),
    ("2-3人", "两至三人"),
    ("1至3年", "一至三年"),
    ("0－4℃", "零至四摄氏度"),
    # clock times and ratios
    ("10:30", "十点三十分"),
    ("8:05", "八点零五分"),
    ("8:00", "八点"),
    ("2:30", "两点三十分"),
    ("18：00至21：00", "十八点至二十一点"),
    ("比例尺1:500", "比例尺一比五百"),
    ("1∶1000", "一比一千"),
    # 两 before measure words; 二 where the number names something
    ("2个", "两个"),
    ("2人", "两人"),
    ("2辆", "两辆"),
    ("2次", "两次"),
    ("2栋", "两栋"),
    ("2名以上", "两名以上"),
    ("2年以下", "两年以下"),
    ("2倍", "两倍"),
    ("第2个", "第二个"),
    ("2月", "二月"),
    ("3月2日", "三月二日"),
    ("2号楼", "二号楼"),
    ("2级", "二级"),
    ("2年级", "二年级"),
    # phone and hotline numbers
    ("12345热线", "幺二三四五热线"),
    ("拨打110报警", "拨打幺幺零报警"),
    ("拨打“120”专线电话", "拨打幺二零专线电话"),
    ("火警电话119", "火警电话幺幺九"),
    ("12315", "幺二三幺五"),
    ("0531-88881234", "零五三幺 八八八八幺二三四"),
    ("13812345678", "幺三八 幺二三四 五六七八"),
    ("400-810-8888", "四零零 八幺零 八八八八"),
    ("服务电话96766", "服务电话九六七六六"),
    ("罚款120元", "罚款一百二十元"),
    # ordinals and article numbers
    ("第3条", "第三条"),
    ("第944条", "第九百四十四条"),
    ("第1、2款", "第一、二款"),
    ("第3-5条", "第三至五条"),
    ("前款第(一)项", "前款第一项"),
    ("国务院令第379号", "国务院令第三百七十九号"),
    ("第V部", "第五部"),
    ("№3", "第三号"),
    ("§5", "第五节"),
    # units and symbols
    ("50㎡", "五十平方米"),
    ("50m²", "五十平方米"),
    ("50m2", "五十平方米"),
    ("50平方米", "五十平方米"),
    ("25℃", "二十五摄氏度"),
    ("-5℃", "零下五摄氏度"),
    ("5km", "五千米"),
    ("3kg", "三千克"),
    ("10cm", "十厘米"),
    ("5mm", "五毫米"),
    ("100m", "一百米"),
    ("0.1MPa", "零点一兆帕"),
    ("60km/h", "六十千米每小时"),
    ("北纬31°30′", "北纬三十一度三十分"),
    ("3元/平方米", "三元每平方米"),
    ("¥100", "一百元"),
    ("￥1.5万", "一点五万元"),
    ("$100", "一百美元"),
    ("3×4", "三乘以四"),
    ("1+1=2", "一加一等于二"),
    ("≥90", "大于等于九十"),
    ("≤5", "小于等于五"),
    (">3", "大于三"),
    ("<3", "小于三"),
    ("应纳税额＝销售额×税率", "应纳税额等于销售额乘以税率"),
    ("×××诉×××", "某某诉某某"),
    ("周一~周五", "周一至周五"),
    ("3#楼", "三号楼"),
    # list markers
    ("(一)按照约定", "一、按照约定"),
    ("（二）遵守规约", "二、遵守规约"),
    ("1. 总则", "第一，总则"),
    ("1、总则", "第一，总则"),
    ("(1)总则", "第一，总则"),
    ("①总则", "第一，总则"),
    ("a)头皮缺损", "第一，头皮缺损"),
    ("享有下列权利：(一)知情权；(二)监督权", "享有下列权利：一、知情权；二、监督权"),
    ("一\n(三)提出建议", "一\n三、提出建议"),
    ("解释（三）", "解释三"),
    # brackets and quotes keep their words
    ("《物业管理条例》", "物业管理条例"),
    ("《国务院关于修改〈物业管理条例〉的决定》", "国务院关于修改物业管理条例的决定"),
    ("“业主”", "业主"),
    ("「甲」和『乙』", "甲和乙"),
    ("【案情】甲公司", "案情，甲公司"),
    ("专项维修资金(以下简称维修资金)的管理", "专项维修资金，以下简称维修资金，的管理"),
    ("两名以上（含两名）人员", "两名以上，含两名，人员"),
    # Latin words and abbreviations
    ("PPP项目", "政府和社会资本合作项目"),
    ("GDP", "国内生产总值"),
    ("APP", "应用程序"),
    ("WiFi", "无线网"),
    ("QR码", "二维码"),
    ("5G网络", "五吉网络"),
    ("PM2.5", "批艾姆二点五"),
    ("ABC", "诶比西"),
    ("IP地址", "艾批地址"),
    ("II类", "二类"),
    ("深IIo以上烧烫伤", "深二度以上烧烫伤"),
    ("XX市", "某某市"),
    ("J1字签证", "杰一字签证"),
    ("GB/T 19001-2016", "吉比提一九零零一杠二零一六"),
    ("访问www.gov.cn", "访问达布溜达布溜达布溜点吉欧维点西恩"),
    ("下载iPhone应用", "下载 应用"),
    # invisible characters, emoji, markup and whitespace
    ("😀业主", "业主"),
    ("业\u200b主\ufeff", "业主"),
    ("业主\u3000大会", "业主大会"),
    ("第一章 总\u3000\u3000则", "第一章 总则"),
    ("\u3000\u3000第一条\u3000为了", "第一条为了"),
    ("合计500\u3000150", "合计五百 一百五十"),
    ("第٣条", "第三条"),
    ("| 甲 \\| 500 \\|\n  \\|\n\n| 乙 \\| 400 \\|", "甲，五百\n乙，四百"),
    ("ＡＢＣ１２３", "诶比西一二三"),
    ("  多个   空格  ", "多个 空格"),
    ("# 物业管理条例", "物业管理条例"),
    ("<!-- INFO END -->\n第一条", "第一条"),
    ("第一章 总则\n\n\n第一条", "第一章 总则\n第一条"),
    ("每只犬为l000元", "每只犬为一千元"),
    ("本行业的银行应当重新处理。", "本行业的银行应当重新处理。"),
]

_NOT_SPEAKABLE = re.compile(r"[0-9A-Za-z０-９Ａ-Ｚａ-ｚ《》〈〉“”「」【】()（）%‰#@&*/\\<>=+~_|]")
_PLAIN_HANZI_LINE = re.compile(r"[\u4e00-\u9fff，。、；：？！]+")


@pytest.mark.parametrize(("text", "spoken"), READINGS, ids=[text for text, _ in READINGS])
def test_reading(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@pytest.mark.parametrize(("text", "spoken"), READINGS, ids=[text for text, _ in READINGS])
def test_normalizing_twice_changes_nothing(text: str, spoken: str) -> None:
    assert normalize_for_speech(spoken) == spoken


def test_empty_text_stays_empty() -> None:
    assert normalize_for_speech("") == ""


@pytest.fixture(scope="module")
def property_law() -> str:
    if not PROPERTY_LAW.is_file():
        pytest.skip(f"law library not found at {LAW_LIBRARY}")
    return PROPERTY_LAW.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def law_lines(property_law: str) -> list[str]:
    """The property-management regulation plus every twentieth administrative regulation, line by line."""
    others = sorted(PROPERTY_LAW.parent.glob("*.md"))[::20]
    texts = [property_law, *(path.read_text(encoding="utf-8") for path in others)]
    return [line for text in texts for line in text.splitlines() if line.strip()]


def test_real_law_text_reaches_the_engine_as_hanzi_only(law_lines: list[str]) -> None:
    spoken_lines = {line: normalize_for_speech(line) for line in law_lines}
    leftovers = {line: spoken for line, spoken in spoken_lines.items() if _NOT_SPEAKABLE.search(spoken)}
    assert not leftovers


def test_real_law_text_normalizes_the_same_twice(property_law: str) -> None:
    once = normalize_for_speech(property_law)
    assert normalize_for_speech(once) == once


def test_plain_hanzi_lines_are_left_untouched(law_lines: list[str]) -> None:
    plain = [line for line in law_lines if _PLAIN_HANZI_LINE.fullmatch(line)]
    assert len(plain) > 50
    assert [normalize_for_speech(line) for line in plain] == plain


def test_whole_regulation_keeps_its_article_and_date_readings(property_law: str) -> None:
    spoken = normalize_for_speech(property_law)
    assert spoken.startswith("物业管理条例\n二〇〇三年六月八日 中华人民共和国国务院令第三百七十九号公布")
    assert "\n一、按照物业服务合同的约定，接受物业服务企业提供的服务；" in spoken
    assert "专项维修资金，以下简称专项维修资金，的管理和使用" in spoken
