"""JP_ADDRESS: every prefecture, every designated city and ward, blocks; place names alone no."""

from __future__ import annotations

import pytest

from classifiers import AddressRecognizer
from classifiers.gazetteer import gazetteer
from tests.classifiers.support import finder, spans

address = finder(AddressRecognizer())
G = gazetteer()


def test_the_gazetteer_is_complete() -> None:
    assert len(G.prefectures) == 47 and len(set(G.prefectures)) == 47
    assert len(G.designated_cities) == 20
    assert set(G.designated_cities) == set(G.wards)
    assert len(G.special_wards) == 23
    assert set(G.designated_cities.values()) <= set(G.prefectures)
    assert {"浦和区", "中央区", "博多区", "保土ケ谷区"} <= G.all_wards
    assert {"佐藤", "鈴木", "高橋", "田中"} <= G.surnames


@pytest.mark.parametrize("prefecture", gazetteer().prefectures)
def test_every_prefecture_with_a_municipality_and_block(prefecture: str) -> None:
    addr = f"{prefecture}中央市本町1丁目2番3号"
    text = f"住所：{addr}　電話"
    assert spans(address(text), text) == [("JP_ADDRESS", addr)]


@pytest.mark.parametrize("city", sorted(gazetteer().designated_cities))
def test_every_designated_city_and_ward(city: str) -> None:
    for ward in G.wards[city]:
        addr = f"{city}{ward}本町2-3-4"
        text = f"所在地は{addr}です"
        assert spans(address(text), text) == [("JP_ADDRESS", addr)], addr
        full = f"{G.designated_cities[city]}{addr}"
        assert spans(address(f"、{full}。"), f"、{full}。") == [("JP_ADDRESS", full)]


@pytest.mark.parametrize(("text", "value", "score"), [
    ("〒330-0063 埼玉県さいたま市浦和区高砂３丁目１５番１号",
     "埼玉県さいたま市浦和区高砂３丁目１５番１号", 0.85),
    ("東京都港区芝公園4-2-8", "東京都港区芝公園4-2-8", 0.85),
    ("港区芝公園4-2-8", "港区芝公園4-2-8", 0.7),
    ("会場 草加市高砂2-1-1", "草加市高砂2-1-1", 0.55),
    ("送付先 草加市高砂2-1-1", "草加市高砂2-1-1", 0.95),
    ("石川県金沢市鞍月1丁目1番地", "石川県金沢市鞍月1丁目1番地", 0.85),
    ("北海道札幌市中央区北1条西2丁目", "北海道札幌市中央区北1条西2丁目", 0.85),
    ("千葉県千葉市中央区市場町1-1", "千葉県千葉市中央区市場町1-1", 0.85),
    ("住所 埼玉県草加市", "埼玉県草加市", 0.8),  # no block: only with an address word
    ("長野県松本市栄町7-37-2", "長野県松本市栄町7-37-2", 0.85),  # 松本市 ends in 本市
    ("京都府京都市中京区本町8-26-1", "京都府京都市中京区本町8-26-1", 0.85),
    ("東京都千代田区霞が関1-2-3", "東京都千代田区霞が関1-2-3", 0.85),
])
def test_addresses(text: str, value: str, score: float) -> None:
    found = address(text)
    assert spans(found, text) == [("JP_ADDRESS", value)]
    assert found[0].score == pytest.approx(score, abs=0.051)


@pytest.mark.parametrize("text", [
    "埼玉県警察情報セキュリティ対策基準", "東京都の方針", "さいたま市浦和区で開催",
    "埼玉県草加市の消防",
    "都市計画法第2-1条", "各市町村3-1", "本市1-2-3", "埼玉県3-1", "第3条第2項",
])
def test_place_names_and_prose_are_not_addresses(text: str) -> None:
    assert address(text) == [], text


def test_two_addresses_in_one_line() -> None:
    text = ("本社：東京都千代田区霞が関1-2-3、"
            "支社：大阪府大阪市北区梅田1丁目1番1号")
    assert [v for _, v in spans(address(text), text)] == [
        "東京都千代田区霞が関1-2-3", "大阪府大阪市北区梅田1丁目1番1号"]
