"""floor_for / classify_text: findings + profile -> the least label the evidence allows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifiers import MAX_CLASSIFY_CHARS, Finding, classify_text, floor_for
from classifiers import pipeline as pipeline_module
from core.errors import LimitExceeded
from core.labels import Label
from core.profiles import Profile

MY_NUMBER = "123456789018"  # valid check digit


def conf(text: str, profile: Profile) -> str:
    return classify_text(text, profile, ner=False).floor.label.confidentiality.code


def test_gokuhi_gives_c3_under_saitama_with_reason(profiles: dict[str, Profile]) -> None:
    saitama = profiles["saitama-police-2023"]
    result = classify_text("極秘\n捜査計画について", saitama)
    assert result.floor.label.confidentiality.code == "C3"
    reasons = [r for r in result.floor.reasons if r.axis == "confidentiality"]
    assert [(r.source, r.value, r.ref, r.decisive) for r in reasons] == [
        ("marking:gokuhi", "C3", "第1 2(1)ア(ア)", True),
    ]
    assert result.to_dict()["floor_display"]["confidentiality"] == "機密性3（高）情報"


@pytest.mark.parametrize(
    ("profile_id", "expected"),
    [
        ("saitama-police-2023", "C2"),
        ("chiba-pref-2022", "C2"),
        ("soka-yashio-fire", "C2"),
        ("ishikawa-police-contractor", "C2"),
    ],
)
def test_toriatsukai_chui_per_profile(
    profiles: dict[str, Profile], profile_id: str, expected: str
) -> None:
    assert conf("取扱注意　会議資料", profiles[profile_id]) == expected


@pytest.mark.parametrize(
    ("profile_id", "expected"),
    [
        ("saitama-police-2023", "C3"),
        ("chiba-pref-2022", "C3"),
        ("soka-yashio-fire", "C2"),  # 非公開情報 -> 重要情報; the scheme has nothing above
        ("ishikawa-police-contractor", "C3"),
    ],
)
def test_hi_per_profile(profiles: dict[str, Profile], profile_id: str, expected: str) -> None:
    assert conf("【秘】", profiles[profile_id]) == expected


def test_highest_wins_and_restrictions_unite(profiles: dict[str, Profile]) -> None:
    saitama = profiles["saitama-police-2023"]
    text = "機密性２（中）情報　複製禁止\n完全性2\n【秘】\n所属長限り"
    label = classify_text(text, saitama).floor.label
    assert label.to_dict() == {
        "profile": "saitama-police-2023", "confidentiality": "C3", "integrity": "I2",
        "availability": "A1", "restrictions": ["head_of_unit_only", "no_copy"],
    }


def test_no_findings_gives_the_lowest_label_with_bundles(profiles: dict[str, Profile]) -> None:
    assert classify_text("本日は晴天なり", profiles["saitama-police-2023"]).floor.label == (
        Label.lowest("saitama-police-2023")
    )
    fire = classify_text("本日は晴天なり", profiles["soka-yashio-fire"]).floor.label
    assert fire.confidentiality.code == "C1"
    assert "no_third_party_without_consent" in fire.restrictions  # HR-19 on all union data


def test_chiba_floor_carries_the_level_bundle_with_reasons(profiles: dict[str, Profile]) -> None:
    result = classify_text("機密性３", profiles["chiba-pref-2022"])
    assert "prefecture_terminals_only" in result.floor.label.restrictions
    bundle = [r for r in result.floor.reasons if r.source == "level:confidentiality.C3"]
    assert {r.value for r in bundle} == result.floor.label.restrictions
    assert all(r.ref == "6.1(1)ア" for r in bundle)


def test_my_number_under_fire_union_is_juyo_joho_handled_only_internet_separated(
    profiles: dict[str, Profile],
) -> None:
    # 002 2: 特定個人情報 is 重要情報; 4 (CLS-19): only in an internet-separated environment.
    fire = profiles["soka-yashio-fire"]
    result = classify_text(f"個人番号 {MY_NUMBER}", fire, ner=False)
    assert result.floor.label.confidentiality.code == "C2"
    assert "internet_separated_only" in result.floor.label.restrictions
    shown = result.to_dict()["floor_display"]
    assert shown["confidentiality"] == "重要情報"
    separated_only = fire.restriction_name("internet_separated_only")
    assert separated_only.startswith("特定個人情報を取扱う環境はインターネットから分離した環境")
    assert separated_only in shown["restrictions"]
    assert result.within_ceiling is False  # the default deployment is not internet-separated
    assert fire.ceiling_violations(result.floor.label) == ("restriction:internet_separated_only",)
    # An internet-separated deployment lifts the refusal by overriding the profile.
    separated = Profile(fire.document.model_copy(update={
        "ceiling": fire.document.ceiling.model_copy(update={"refused_restrictions": []})}))
    assert classify_text(f"個人番号 {MY_NUMBER}", separated, ner=False).within_ceiling


def test_tokutei_kojin_joho_marking_matches_the_my_number_rule(
    profiles: dict[str, Profile],
) -> None:
    label = classify_text("【特定個人情報】", profiles["soka-yashio-fire"], ner=False).floor.label
    assert label.confidentiality.code == "C2" and "internet_separated_only" in label.restrictions


def test_my_number_under_saitama_is_c2(profiles: dict[str, Profile]) -> None:
    result = classify_text(f"マイナンバー：{MY_NUMBER}", profiles["saitama-police-2023"], ner=False)
    assert result.floor.label.confidentiality.code == "C2"
    assert result.within_ceiling is True


def test_reasons_merge_repeated_findings(profiles: dict[str, Profile]) -> None:
    text = "\n".join(["【秘】"] * 5)
    result = classify_text(text, profiles["saitama-police-2023"])
    (reason,) = [r for r in result.floor.reasons if r.source == "marking:hi"]
    assert reason.findings == (0, 1, 2, 3, 4)


def test_unmapped_and_min_score(profiles: dict[str, Profile]) -> None:
    saitama = profiles["saitama-police-2023"]
    no_phone_rule = Profile(saitama.document.model_copy(update={"entity_floors": {
        k: v for k, v in saitama.document.entity_floors.items() if k != "PHONE_NUMBER"}}))
    odd = Finding("PHONE_NUMBER", 0, 5, 0.9, "test")
    floor = floor_for([odd], no_phone_rule)
    assert floor.unmapped == ("PHONE_NUMBER",)
    assert floor.label == Label.lowest(saitama.id)
    strict_doc = saitama.document.model_copy(update={"entity_floors": {
        "JP_MY_NUMBER": saitama.document.entity_floors["JP_MY_NUMBER"].model_copy(
            update={"min_score": 0.8}
        ),
    }})
    strict = Profile(strict_doc)
    weak = Finding("JP_MY_NUMBER", 0, 12, 0.6, "test")
    assert floor_for([weak], strict).label.confidentiality.code == "C1"
    sure = Finding("JP_MY_NUMBER", 0, 12, 0.9, "test")
    assert floor_for([sure], strict).label.confidentiality.code == "C2"


def test_classification_dict_is_json_and_floor_reads_back(profiles: dict[str, Profile]) -> None:
    chiba = profiles["chiba-pref-2022"]
    result = classify_text(f"【秘】 個人番号 {MY_NUMBER}", chiba, ner=False)
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert Label.from_dict(data["floor"]) == result.floor.label
    assert data["counts"] == {"JP_MY_NUMBER": 1, "hi": 1}
    assert data["within_ceiling"] is True
    assert {"source", "axis", "value", "ref", "findings", "decisive"} <= set(data["reasons"][0])
    assert set(data) == {"profile", "floor", "floor_display", "within_ceiling", "reasons",
                         "unmapped", "counts", "findings", "ner", "ner_partial"}
    assert data["ner"] is False and data["ner_partial"] is False
    assert {"entity_type", "start", "end", "score", "recognizer", "source", "text_hash"} <= set(
        next(f for f in data["findings"] if f["entity_type"] == "JP_MY_NUMBER"))
    # The service combines its default with the floor exactly like this.
    final = chiba.default_label.combine(Label.from_dict(data["floor"]))
    assert final.confidentiality.code == "C3"


def test_metadata_values_are_classified_too(profiles: dict[str, Profile]) -> None:
    result = classify_text("本文", profiles["saitama-police-2023"], ner=False,
                           metadata={"title": "【極秘】計画", "author": "山田"})
    (finding,) = result.findings
    assert finding.source == "metadata:title"
    assert (finding.start, finding.end) == (0, 4)  # 【極秘】 as written
    assert result.floor.label.confidentiality.code == "C3"


def test_oversized_text_is_refused(
    profiles: dict[str, Profile], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert MAX_CLASSIFY_CHARS >= 1_000_000
    monkeypatch.setattr(pipeline_module, "MAX_CLASSIFY_CHARS", 10)
    with pytest.raises(LimitExceeded):
        classify_text("x" * 11, profiles["saitama-police-2023"])


def test_layer_rule_core_and_classifiers_import_only_what_they_may() -> None:
    # design.md: core imports nothing of ours; classifiers import only core. No web/DB stacks.
    import ast

    root = Path(__file__).resolve().parents[2]
    forbidden = {"flask", "sqlalchemy", "celery", "handlers", "keys", "service"}
    # classifiers is THE importer of presidio, spaCy and GiNZA (design.md); nobody else is.
    nlp = {"presidio_analyzer", "spacy", "ginza", "ja_ginza", "sudachipy"}
    rules = {"core": forbidden | {"classifiers"} | nlp, "classifiers": forbidden,
             "handlers": nlp, "keys": nlp, "service": nlp}
    for package, banned in rules.items():
        for path in (root / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = (
                    [a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                )
                for name in names:
                    assert name.split(".")[0] not in banned, f"{path}: imports {name}"


PERSONAL_EXAMPLES = {
    "PERSON": "氏名：山田太郎",
    "JP_ADDRESS": "埼玉県草加市高砂2丁目1番1号",
    "PHONE_NUMBER": "電話 048-922-0151",
    "EMAIL_ADDRESS": "taro@example.jp",
    "JP_BANK_ACCOUNT": "普通預金 口座番号 1234567",
    "JP_DRIVER_LICENSE": "運転免許証番号 459803358720",
    "JP_PASSPORT": "旅券番号 TK1234567",
    "JP_RESIDENCE_CARD": "在留カード番号 AB12345678CD",
    "CREDIT_CARD": "カード番号 4111-1111-1111-1111",
}


@pytest.mark.parametrize("entity", sorted(PERSONAL_EXAMPLES))
@pytest.mark.parametrize("profile_id", ["saitama-police-2023", "chiba-pref-2022",
                                        "soka-yashio-fire", "ishikawa-police-contractor"])
def test_personal_information_makes_it_at_least_c2(
    profiles: dict[str, Profile], entity: str, profile_id: str
) -> None:
    # Saitama CLS-02 (不開示情報), Chiba CLS-11 (not for immediate publication), fire union
    # 2 (個人情報 -> 重要情報), Ishikawa 第3 1 (警察情報).
    result = classify_text(PERSONAL_EXAMPLES[entity], profiles[profile_id], ner=False)
    assert entity in {f.entity_type for f in result.findings}
    assert result.floor.label.confidentiality.code == "C2"
    assert any(r.source == f"entity:{entity}" and r.value == "C2" for r in result.floor.reasons)


@pytest.mark.parametrize("profile_id", ["saitama-police-2023", "chiba-pref-2022",
                                        "ishikawa-police-contractor"])
def test_hi_and_gokuhi_give_c3(profiles: dict[str, Profile], profile_id: str) -> None:
    for text in ("【秘】", "極秘", "㊙"):
        assert conf(text, profiles[profile_id]) == "C3"


def test_public_identifiers_raise_nothing(profiles: dict[str, Profile]) -> None:
    # 法人番号 are published by the National Tax Agency; a postal code names an area.
    for profile in profiles.values():
        result = classify_text("法人番号 7000012050002 〒100-8978", profile, ner=False)
        assert {f.entity_type for f in result.findings} == {"JP_CORPORATE_NUMBER",
                                                            "JP_POSTAL_CODE"}
        assert result.floor.label.confidentiality.code == "C1"
        assert result.floor.unmapped == ()


def test_fire_union_personal_info_is_juyo_joho(profiles: dict[str, Profile]) -> None:
    result = classify_text("担当者：鈴木花子 電話 090-1234-5678", profiles["soka-yashio-fire"],
                           ner=False)
    assert result.to_dict()["floor_display"]["confidentiality"] == "重要情報"
    assert result.within_ceiling


def test_a_name_guess_below_min_score_raises_nothing(profiles: dict[str, Profile]) -> None:
    saitama = profiles["saitama-police-2023"]
    weak = Finding("PERSON", 0, 2, 0.4, "test")
    assert floor_for([weak], saitama).label.confidentiality.code == "C1"
