"""The prefilter never changes what is found: compacted views give the full-text findings."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from classifiers import engine
from classifiers.base import Triggers
from classifiers.findings import Finding
from classifiers.prefilter import SEPARATOR, Prefilter, View, view
from classifiers.registry import DEFAULT_RECOGNIZERS
from tests.classifiers import gen
from tests.classifiers.support import run

SEEDS = Path("/work/shared/seeds")
FILLER = [
    "本要領は、情報セキュリティ対策の基本的な事項を定めるものとする。",
    "第3条 職員は、管理対象情報を適正に取り扱わなければならない。",
    "（1）令和5年4月1日から施行する。金額は¥1,234,567とする。",
    "会議は午後2時から第2会議室で開催し、資料は事前に配布する。",
    "ａｂｃ（ＡＢＣ）１２３：全角の文字も含む。ｶﾀｶﾅも。",
]


def _lines() -> list[str]:
    if SEEDS.is_dir():
        lines = [ln for p in sorted(SEEDS.glob("*.txt"))
                 for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()]
        return lines[:3000]
    return FILLER


def _entity(rng: random.Random) -> str:
    n = gen.my_number(rng)
    choices = [
        f"個人番号：{gen.groups(n, rng.choice([' ', '-', '', chr(10)]))}",
        f"番号 {gen.wrong_last(n)[0]}",
        f"法人番号 {gen.corporate_number(rng)}",
        f"カード {gen.groups(gen.card_number(rng), '-', (4, 4, 4, 4))}",
        f"免許証番号 {gen.driver_license(rng)}",
        "電話 03-1234-5678", "TEL 090-1234-5678", "口座番号 1234567", "旅券番号 TK1234567",
        "在留カード AB12345678CD", "〒330-0063", "連絡 taro.yamada@example.lg.jp",
        "埼玉県さいたま市浦和区高砂3丁目15番1号", "草加市高砂2-1-1", "担当者：山田太郎",
        "鈴木花子様", "【秘】", "極秘", "取扱注意", "機密性２", "CONFIDENTIAL", "Do not copy",
    ]
    text = rng.choice(choices)
    return text.translate(gen.FULL_WIDTH) if rng.random() < 0.2 else text


def documents(count: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    lines = _lines()
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(50, 400)):
            line = rng.choice(lines)
            if rng.random() < 0.08:
                cut = rng.randrange(len(line) + 1)
                line = line[:cut] + _entity(rng) + line[cut:]
            parts.append(line)
        yield "\n".join(parts)


def _key(f: Finding) -> tuple[object, ...]:
    return (f.entity_type, f.start, f.end, round(f.score, 6), f.marking, f.recognizer)


def test_compacted_views_find_exactly_what_the_full_text_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compacted = []

    def recording_view(text: str, prefilter: Prefilter, clusters: Any = None) -> View:
        shown = view(text, prefilter, clusters)
        compacted.append(shown.compacted)
        return shown

    for doc in documents(12, seed=5):
        monkeypatch.setattr(engine, "view", recording_view)
        with_prefilter = sorted(map(_key, run(DEFAULT_RECOGNIZERS, doc)))
        monkeypatch.setattr(engine, "view", lambda text, *_: View(text))
        full = sorted(map(_key, run(DEFAULT_RECOGNIZERS, doc)))
        assert with_prefilter == full
    assert any(compacted), "the test must exercise compaction"


def test_view_maps_spans_back_and_separates_regions() -> None:
    text = "あ" * 500 + "〒330-0063" + "い" * 500 + "〒100-8978" + "う" * 500
    shown = view(text, Prefilter.of(Triggers(numeric=7, radius=16)))
    assert shown.compacted and len(shown.text) < len(text) / 10
    assert shown.text.count(SEPARATOR) == 2
    i = shown.text.index("100-8978")
    start, end = shown.to_full(i, i + 8)
    assert text[start:end] == "100-8978"


def test_no_trigger_gives_an_empty_view_and_dense_text_the_full_one() -> None:
    prefilter = Prefilter.of(Triggers(words=("様",), radius=8))
    assert view("何もない文章", prefilter).text == ""
    dense = "山田様" * 100
    assert view(dense, prefilter).text == dense


def test_ascii_triggers_ignore_case() -> None:
    prefilter = Prefilter.of(Triggers(ascii_words=("confidential",), radius=4))
    for word in ("CONFIDENTIAL", "Confidential", "cOnFiDeNtIaL"):
        assert list(prefilter.spans(f"あいう{word}えお")) == [(3, 3 + len(word))]
