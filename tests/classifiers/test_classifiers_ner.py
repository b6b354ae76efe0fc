"""The NER path: chunks, budgets and failures with a stand-in model; GiNZA itself when the
``ner`` extra is installed (CI installs it; these tests skip with a reason otherwise)."""

from __future__ import annotations

import importlib.util
import logging

import pytest

from classifiers import classify_text, ner
from classifiers.chunking import SUDACHI_MAX_BYTES, chunk_text
from classifiers.ner import GinzaRecognizer, NerOutcome, run_ner
from core.profiles import Profile
from tests.classifiers.fake_ner import FakeGinza

HAS_GINZA = importlib.util.find_spec("ja_ginza") is not None
needs_ginza = pytest.mark.skipif(not HAS_GINZA, reason="ja_ginza not installed (the ner extra)")
NAME = "東海林徹"  # no known surname: only NER finds it


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeGinza:
    model = FakeGinza({NAME: "Person", "草加市": "City"})
    monkeypatch.setattr(ner, "ner_available", lambda: True)
    monkeypatch.setattr("classifiers.pipeline.ner_available", lambda: True)
    monkeypatch.setattr("classifiers.pipeline.load_model", lambda: model)
    return model


def persons(result: object) -> list[tuple[int, int]]:
    return [(f.start, f.end) for f in result.findings  # type: ignore[attr-defined]
            if f.entity_type == "PERSON"]


def test_ginza_labels_are_mapped_not_dropped(fake: FakeGinza, profiles: dict[str, Profile]) -> None:
    text = f"本日、{NAME}が草加市高砂2丁目1番1号に来庁した。"
    result = classify_text(text, profiles["saitama-police-2023"])
    assert result.ner and not result.ner_partial
    found = {(f.entity_type, text[f.start : f.end], f.recognizer) for f in result.findings}
    assert ("PERSON", NAME, "GinzaRecognizer") in found
    assert any(e == "JP_ADDRESS" and v.startswith("草加市高砂2丁目1番1号") for e, v, _ in found)
    assert result.floor.label.confidentiality.code == "C2"


@pytest.mark.parametrize("chunk_bytes", [ner.NER_CHUNK_BYTES, SUDACHI_MAX_BYTES])
def test_a_name_straddling_a_chunk_boundary_is_found_exactly_once(
    fake: FakeGinza, profiles: dict[str, Profile], monkeypatch: pytest.MonkeyPatch,
    chunk_bytes: int,
) -> None:
    monkeypatch.setattr(ner, "NER_CHUNK_BYTES", chunk_bytes)
    filler = "あ" * 60_000
    end = chunk_text(filler, chunk_bytes)[0].end
    for shift in (-3, -2, -1, 0):
        start = end + shift
        text = filler[:start] + NAME + filler[start:]
        result = classify_text(text, profiles["chiba-pref-2022"], ner_max_chars=200_000)
        assert persons(result) == [(start, start + len(NAME))], shift
        assert max(len(t.encode()) for t in [text[c.start : c.end] for c in
                                             chunk_text(text, chunk_bytes)]) <= SUDACHI_MAX_BYTES


def test_budget_in_characters_and_seconds_marks_the_result_partial(
    fake: FakeGinza, profiles: dict[str, Profile],
) -> None:
    text = "あ" * 20_000 + f"個人番号 123456789018 {NAME}"
    saitama = profiles["saitama-police-2023"]
    short = classify_text(text, saitama, ner_max_chars=10_000)
    assert short.ner and short.ner_partial and persons(short) == []
    # The pattern recognizers still cover the whole text.
    assert "JP_MY_NUMBER" in {f.entity_type for f in short.findings}
    assert short.to_dict()["ner_partial"] is True
    fake.delay = 0.3
    slow = classify_text("い" * 40_000 + NAME, saitama, ner_budget_seconds=0.2,
                         ner_max_chars=100_000)
    assert slow.ner_partial and len(fake.calls) < 10
    whole = classify_text(text, saitama, ner_max_chars=100_000, ner_budget_seconds=60)
    assert not whole.ner_partial and persons(whole)


def test_a_failing_chunk_is_partial_never_a_crash_and_logs_no_text(
    fake: FakeGinza, profiles: dict[str, Profile], caplog: pytest.LogCaptureFixture,
) -> None:
    fake.fail_at = 0
    secret = "秘密の文字列ZQX"
    with caplog.at_level(logging.DEBUG):
        result = classify_text(secret + "あ" * 30_000 + NAME, profiles["saitama-police-2023"],
                               ner_max_chars=100_000)
    assert result.ner_partial
    assert persons(result)  # the later chunks still ran
    assert "RuntimeError" in caplog.text and secret not in caplog.text


def test_ner_false_skips_it_and_ner_true_without_the_extra_is_an_error(
    profiles: dict[str, Profile], monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = classify_text(f"{NAME}が来た", profiles["saitama-police-2023"], ner=False)
    assert not result.ner and not result.ner_partial and persons(result) == []
    monkeypatch.setattr("classifiers.pipeline.ner_available", lambda: False)
    assert not classify_text("本文", profiles["saitama-police-2023"]).ner  # auto: off
    with pytest.raises(RuntimeError, match="ner"):
        classify_text("本文", profiles["saitama-police-2023"], ner=True)


def test_model_that_fails_to_load_gives_a_partial_pattern_only_result(
    profiles: dict[str, Profile], monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> None:
        raise OSError("model files missing")

    monkeypatch.setattr("classifiers.pipeline.ner_available", lambda: True)
    monkeypatch.setattr("classifiers.pipeline.load_model", broken)
    result = classify_text("【秘】", profiles["saitama-police-2023"])
    assert not result.ner and result.ner_partial
    assert result.floor.label.confidentiality.code == "C3"


def test_person_shapes_that_are_not_names_are_dropped() -> None:
    model = FakeGinza({"taro@example.jp": "Person", "2023年": "Person", "山田": "Person"})
    outcome: NerOutcome = run_ner("taro@example.jp 2023年 山田", model, seconds=10,
                                  max_chars=1000, recognizer=GinzaRecognizer())
    assert [(r.entity_type, r.start) for r in outcome.results] == [("PERSON", 22)]


# --- GiNZA itself ------------------------------------------------------------------------


@needs_ginza
def test_ginza_finds_names_the_context_rules_cannot(profiles: dict[str, Profile]) -> None:
    text = "昨日、東海林徹が窓口に来て、佐々木みどりと話した。"
    result = classify_text(text, profiles["saitama-police-2023"], ner=True)
    assert result.ner and not result.ner_partial
    names = {text[f.start : f.end] for f in result.findings if f.entity_type == "PERSON"}
    assert "東海林徹" in names or "佐々木みどり" in names


@needs_ginza
def test_ginza_name_across_a_chunk_boundary_once(
    profiles: dict[str, Profile], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ner, "NER_CHUNK_BYTES", 3_000)  # small chunks: a fast real run
    sentence = "本日は晴天なり。会議は予定どおり開催された。"
    filler = sentence * 200
    end = chunk_text(filler, 3_000)[0].end
    start = end - 2
    text = filler[:start] + "。山田太郎が出席した。" + filler[start:]
    result = classify_text(text, profiles["saitama-police-2023"], ner=True,
                           ner_max_chars=100_000, ner_budget_seconds=120)
    spans = [(f.start, f.end) for f in result.findings if f.entity_type == "PERSON"]
    assert spans.count((start + 1, start + 5)) == 1, spans


@needs_ginza
def test_ginza_on_five_megabytes_is_budgeted_not_crashed(profiles: dict[str, Profile]) -> None:
    text = ("本日は晴天なり。山田太郎が出席した。\n" * 100_000)[:1_750_000]
    result = classify_text(text, profiles["saitama-police-2023"], ner=True,
                           ner_budget_seconds=1.0)
    assert result.ner and result.ner_partial
    assert len(text.encode("utf-8")) > 5_000_000
