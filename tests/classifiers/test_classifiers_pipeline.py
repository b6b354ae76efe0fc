"""classify_text end to end: no value leaks, 5 MB inputs, no network, offsets, the registry."""

from __future__ import annotations

import json
import logging
import os
import random
import socket
from typing import Any

import pytest

from classifiers import DEFAULT_RECOGNIZERS, build_registry, classify_text
from classifiers._presidio import Pattern, PatternRecognizer
from core.profiles import Profile
from tests.classifiers import gen

RNG = random.Random(42)
MY_NUMBER = gen.my_number(RNG)
CARD = gen.card_number(RNG, "4", 16)
LICENCE = gen.driver_license(RNG, "43")
CORPORATE = gen.corporate_number(RNG)
# One unique value per personal entity type.
VALUES = {
    "JP_MY_NUMBER": MY_NUMBER, "CREDIT_CARD": CARD, "JP_DRIVER_LICENSE": LICENCE,
    "PHONE_NUMBER": "048-922-0151", "EMAIL_ADDRESS": "zqxj.unique@example.lg.jp",
    "JP_BANK_ACCOUNT": "7654321", "JP_PASSPORT": "TZ9876543", "JP_RESIDENCE_CARD": "QW87654321ER",
    "JP_ADDRESS": "埼玉県草加市高砂2丁目7番9号", "PERSON": "東海林徹",
    "JP_POSTAL_CODE": "340-0015", "JP_CORPORATE_NUMBER": CORPORATE,
}
DOCUMENT = f"""個人番号：{MY_NUMBER}
カード番号：{CARD}
運転免許証番号：{LICENCE}
電話：{VALUES["PHONE_NUMBER"]}　メール：{VALUES["EMAIL_ADDRESS"]}
振込先：普通預金 口座番号 {VALUES["JP_BANK_ACCOUNT"]}
旅券番号：{VALUES["JP_PASSPORT"]}　在留カード番号：{VALUES["JP_RESIDENCE_CARD"]}
住所：〒{VALUES["JP_POSTAL_CODE"]} {VALUES["JP_ADDRESS"]}
氏名：{VALUES["PERSON"]}
法人番号：{CORPORATE}
"""


def test_every_entity_type_is_found(profiles: dict[str, Profile]) -> None:
    result = classify_text(DOCUMENT, profiles["saitama-police-2023"], ner=False)
    found = {f.entity_type: DOCUMENT[f.start : f.end] for f in result.findings}
    assert found == VALUES


def test_no_value_in_the_result_json_reprs_or_logs(
    profiles: dict[str, Profile], caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        result = classify_text(DOCUMENT, profiles["chiba-pref-2022"],
                               metadata={"author": VALUES["PERSON"] + "様"})
    dumped = json.dumps(result.to_dict(), ensure_ascii=False)
    leaks = [v for v in VALUES.values()
             if v in dumped or v in caplog.text or v in repr(result) or v in str(result.findings)]
    assert leaks == []
    digits = [v for v in (MY_NUMBER, CARD, LICENCE) if v[-6:] in dumped]
    assert digits == []
    personal = [f for f in result.findings if f.entity_type != "CLASSIFICATION_MARKING"]
    assert personal and all(f.text_hash and len(f.text_hash) == 16 for f in personal)


def test_offsets_point_into_the_original_text(profiles: dict[str, Profile]) -> None:
    prefix = "ｶﾞｲﾄﾞ㍻（ＡＢＣ）é\u0301" * 300  # shrinks and grows under NFKC
    number = MY_NUMBER.translate(gen.FULL_WIDTH)
    text = prefix + f"個人番号　{number[:7]}\n{number[7:]}　電話０３－１２３４－５６７８"
    result = classify_text(text, profiles["saitama-police-2023"], ner=False)
    found = {f.entity_type: text[f.start : f.end] for f in result.findings}
    assert found["JP_MY_NUMBER"] == f"{number[:7]}\n{number[7:]}"
    assert found["PHONE_NUMBER"] == "０３－１２３４－５６７８"


def test_five_megabytes_pattern_only(profiles: dict[str, Profile]) -> None:
    line = "本要領は、情報セキュリティ対策の基本的な事項を定めるものとする（第３条）。\n"
    body = line * (5_200_000 // len(line.encode("utf-8")))
    text = body + f"担当者：山田太郎 個人番号 {MY_NUMBER} 【極秘】"
    assert len(text.encode("utf-8")) > 5_000_000
    result = classify_text(text, profiles["saitama-police-2023"], ner=False)
    kinds = {f.entity_type: text[f.start : f.end] for f in result.findings}
    assert kinds["JP_MY_NUMBER"] == MY_NUMBER and kinds["PERSON"] == "山田太郎"
    assert result.floor.label.confidentiality.code == "C3"
    assert not result.ner and not result.ner_partial


def test_no_network_at_run_time(profiles: dict[str, Profile], monkeypatch: pytest.MonkeyPatch
                                ) -> None:
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    result = classify_text(DOCUMENT, profiles["saitama-police-2023"])  # NER too if installed
    assert result.findings and attempts == []
    assert os.environ.get("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS") is not None


def test_metadata_values_are_classified_with_their_own_offsets(
    profiles: dict[str, Profile],
) -> None:
    result = classify_text("本文", profiles["saitama-police-2023"], ner=False,
                           metadata={"author": "山田太郎様", "company": "〒330-0063"})
    sources = {(f.source, f.entity_type, f.start, f.end) for f in result.findings}
    assert ("metadata:author", "PERSON", 0, 4) in sources
    assert ("metadata:company", "JP_POSTAL_CODE", 1, 9) in sources


def test_the_registry_is_explicit_and_japanese() -> None:
    registry = build_registry()
    recognizers = registry.get_recognizers(language="ja", all_fields=True)
    assert [r.name for r in recognizers] == [r.name for r in DEFAULT_RECOGNIZERS]
    assert {e for r in recognizers for e in r.supported_entities} == {
        *VALUES, "CLASSIFICATION_MARKING"}


def test_a_plain_presidio_recognizer_can_be_added(profiles: dict[str, Profile]) -> None:
    staff_id = PatternRecognizer(supported_entity="STAFF_ID", name="StaffId",
                                 supported_language="ja",
                                 patterns=[Pattern("staff", r"S-[0-9]{5}", 0.6)],
                                 context=["職員番号"])
    english = PatternRecognizer(supported_entity="STAFF_ID", supported_language="en",
                                patterns=[Pattern("staff", r"S-[0-9]{5}", 0.6)])
    result = classify_text("職員番号 S-12345", profiles["saitama-police-2023"], ner=False,
                           recognizers=(*DEFAULT_RECOGNIZERS, staff_id, english))
    (f,) = [f for f in result.findings if f.entity_type == "STAFF_ID"]
    assert f.score == pytest.approx(0.9) and f.recognizer == "StaffId"  # our CJK context
    assert result.floor.unmapped == ("STAFF_ID",)
