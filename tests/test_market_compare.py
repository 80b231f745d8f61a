"""Choosing a company in the 物业超市: only admitted companies to pick from and compare, two or three side by side
with each source's score, the filter by qualification, 乡镇/街道 and 社区, and hostile picks refused in Chinese."""

from __future__ import annotations

import pytest

from kiosk.market.companies import Company, Estate
from kiosk.market.database import Decision, MarketDB

from . import test_market
from .test_market import import_samples

# the market's fixtures: its app with the hub's communities and staff, on a fixed clock
app, clock, root = test_market.app, test_market.clock, test_market.root

OUTSIDER = Company("示例·场外物业有限公司", "示例备-099", "一级", (Estate("场外苑", "幸福里社区"),))


def admitted(root) -> dict[str, Company]:
    """The three samples admitted to the market, and one company on file that is not."""
    companies = import_samples(root)
    with MarketDB(root) as db:
        for company in companies.values():
            db.decide(company.id, Decision(True, "2026-12-01", "中心会议决定", "中心老王", 0.0))
        outsider, _ = db.save(OUTSIDER, "中心老王", "add", 0.0)
    return {**companies, "outsider": outsider}


def test_three_admitted_companies_side_by_side_with_each_source(app, root):
    companies = admitted(root)
    picked = [companies[key].id for key in ("示例备-001", "示例备-002", "示例备-003")]
    page = app.test_client().get("/market/compare", query_string={"c": picked, "kiosk": "1"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count('class="market-column"') == 3 and "market-compare-3" in text
    for source in ("服务台纠纷", "部门、乡镇/街道和社区考核", "居民评价", "综合得分"):
        assert text.count(f"<dt>{source}</dt>") == 3
    assert "在管小区 2 个" in text and "在管小区 1 个" in text and "资质：三级" in text
    assert "示例联系人甲" not in text and "0000-0000001" not in text  # contacts stay in the centre's file
    assert "示例·场外物业有限公司" not in text  # not admitted: not even offered


@pytest.mark.parametrize(
    ("picks", "said"),
    [
        (lambda c: [c["outsider"].id, c["示例备-001"].id], "已入驻"),
        (lambda c: [c["示例备-001"].id, 999999], "已入驻"),
        (lambda c: ["1 OR 1=1", "<script>"], "已入驻"),
        (lambda c: ["９"], "已入驻"),  # a full-width digit is not an id
        (lambda c: [str(2**70)], "已入驻"),
        (lambda c: [c[key].id for key in ("示例备-001", "示例备-002", "示例备-003")] + [4], "最多"),
    ],
)
def test_hostile_or_wrong_picks_are_refused_in_chinese(app, root, picks, said):
    companies = admitted(root)
    page = app.test_client().get("/market/compare", query_string={"c": picks(companies)})
    assert page.status_code == 400
    assert said in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("filters", "offered"),
    [
        ({}, {"示例备-001", "示例备-002", "示例备-003"}),
        ({"qualification": "二级"}, {"示例备-002"}),
        ({"community": "花园社区"}, {"示例备-001"}),
        ({"town": "城关街道"}, {"示例备-001"}),  # its estates are in 幸福里社区 and 花园社区, both of 城关街道
        ({"qualification": "二级", "community": "花园社区"}, set()),
        ({"community": "<img src=x onerror=alert(1)>"}, set()),
    ],
)
def test_the_filter_offers_the_companies_that_fit_an_estate(app, root, filters, offered):
    companies = admitted(root)
    text = app.test_client().get("/market/compare", query_string=filters).get_data(as_text=True)
    shown = {key for key, company in companies.items() if f'name="c" value="{company.id}"' in text}
    assert shown == offered
    if not offered:
        assert "没有符合这些需要的企业" in text
    assert "<img src=x" not in text


def test_a_picked_company_stays_offered_when_the_filter_changes(app, root):
    companies = admitted(root)
    picked = companies["示例备-003"].id
    text = (
        app.test_client()
        .get("/market/compare", query_string={"c": picked, "qualification": "一级"})
        .get_data(as_text=True)
    )
    assert f'value="{picked}" checked' in text


def test_the_home_page_links_to_the_market(app):
    text = app.test_client().get("/?kiosk=1").get_data(as_text=True)
    assert "物业超市：选物业" in text and "/market/compare?kiosk=1" in text
