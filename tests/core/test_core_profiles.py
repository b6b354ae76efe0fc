"""core.profiles: the four built-ins, their verbatim vocabulary, and start-up validation."""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.errors import InvalidRequest, ProfileInvalid, UnknownProfile
from core.labels import AXES, Availability, Confidentiality, Integrity, Label
from core.profiles import (
    BUILTIN_PROFILE_IDS,
    PROFILE_DIR,
    Profile,
    get_profile,
    load_profile_file,
    load_profiles,
)

SEEDS = Path(os.environ.get("SEKISHO_SEEDS_DIR", "/work/shared/seeds"))


@pytest.fixture(scope="module")
def profiles() -> dict[str, Profile]:
    return load_profiles()


def label(profile: str, c: str, i: str = "I1", a: str = "A1", r: tuple[str, ...] = ()) -> Label:
    return Label(Confidentiality[c], Integrity[i], Availability[a], frozenset(r), profile)


def test_exactly_the_four_builtins_load(profiles: dict[str, Profile]) -> None:
    assert set(profiles) == {
        "saitama-police-2023", "chiba-pref-2022", "soka-yashio-fire", "ishikawa-police-contractor",
    }
    assert set(BUILTIN_PROFILE_IDS) == set(profiles)
    assert sorted(p.name for p in PROFILE_DIR.glob("*.yaml")) == sorted(
        f"{pid}.yaml" for pid in BUILTIN_PROFILE_IDS
    )


@pytest.mark.parametrize(
    ("profile_id", "axis", "code", "name"),
    [
        ("saitama-police-2023", "confidentiality", "C3", "機密性3（高）情報"),
        ("saitama-police-2023", "confidentiality", "C2", "機密性2（中）情報"),
        ("saitama-police-2023", "confidentiality", "C1", "機密性1（低）情報"),
        ("saitama-police-2023", "integrity", "I2", "完全性2（高）情報"),
        ("saitama-police-2023", "availability", "A2", "可用性2（高）情報"),
        ("chiba-pref-2022", "confidentiality", "C3", "機密性3"),
        ("chiba-pref-2022", "integrity", "I2", "完全性2"),
        ("chiba-pref-2022", "availability", "A1", "可用性1"),
        ("soka-yashio-fire", "confidentiality", "C1", "消防組合保有情報"),
        ("soka-yashio-fire", "confidentiality", "C2", "重要情報"),
        ("ishikawa-police-contractor", "confidentiality", "C2", "警察情報"),
    ],
)
def test_level_names_are_the_seeds_own(
    profiles: dict[str, Profile], profile_id: str, axis: str, code: str, name: str
) -> None:
    ax = next(a for a in AXES if a.value == axis)
    assert profiles[profile_id].level_name(ax, code) == name


@pytest.mark.parametrize(
    ("profile_id", "code", "name"),
    [
        ("saitama-police-2023", "no_copy", "複製禁止"),
        ("saitama-police-2023", "no_takeout", "持ち出し禁止"),
        ("saitama-police-2023", "no_distribution", "配布禁止"),
        ("saitama-police-2023", "destroy_after_reading", "読後廃棄"),
        ("saitama-police-2023", "head_of_unit_only", "所属長限り"),
        ("chiba-pref-2022", "no_excess_copy_distribution", "必要以上の複製及び配付禁止"),
        ("chiba-pref-2022", "prefecture_terminals_only", "県から配付された端末以外での作業の禁止"),
        ("chiba-pref-2022", "backup_and_signature", "バックアップ、電子署名付与"),
        ("chiba-pref-2022", "backup_and_recovery", "バックアップ、指定する時間以内の復旧"),
        ("ishikawa-police-contractor", "copy_requires_permission", "警察情報の複製"),
        ("ishikawa-police-contractor", "send_requires_permission", "警察情報の送信"),
    ],
)
def test_restriction_names_are_the_seeds_own(
    profiles: dict[str, Profile], profile_id: str, code: str, name: str
) -> None:
    assert profiles[profile_id].restriction_name(code) == name


def test_saitama_restriction_codes_and_aggregates(profiles: dict[str, Profile]) -> None:
    saitama = profiles["saitama-police-2023"]
    assert saitama.restriction_codes == (
        "no_copy", "no_takeout", "no_distribution", "destroy_after_reading", "head_of_unit_only",
    )
    # CLS-06/07: 要機密 = C3 or C2, 要保全 = I2, 要安定 = A2, 要保護 = any of them.
    shown = saitama.display(label(saitama.id, "C2", "I2", "A1"))
    assert shown["aggregates"] == ["要機密情報", "要保全情報", "要保護情報"]
    assert saitama.display(label(saitama.id, "C1"))["aggregates"] == []
    assert saitama.display(label(saitama.id, "C1", "I1", "A2"))["aggregates"] == [
        "要安定情報", "要保護情報",
    ]


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed texts not available")
@pytest.mark.parametrize("profile_id", BUILTIN_PROFILE_IDS)
def test_every_non_synthetic_name_occurs_in_its_seed(
    profiles: dict[str, Profile], profile_id: str
) -> None:
    # Compared after NFKC and without whitespace: the seed has OCR spacing ("可用性 2 (高) 情報").
    profile = profiles[profile_id]
    seed = _norm((SEEDS / Path(profile.document.source).name).read_text(encoding="utf-8"))
    doc = profile.document
    names = [profile.title, *(r.name for r in doc.restrictions.values())]
    names += [a.name for a in doc.aggregates.values()]
    names += [
        profile.level_spec(ax, code).name
        for ax in AXES for code in ax.levels.codes()
        if not profile.level_spec(ax, code).synthetic
    ]
    missing = [n for n in names if _norm(n) not in seed]
    assert missing == []


def test_display_gives_native_names(profiles: dict[str, Profile]) -> None:
    saitama = profiles["saitama-police-2023"]
    shown = saitama.display(label(saitama.id, "C2", r=("head_of_unit_only", "no_copy")))
    assert shown["confidentiality"] == "機密性2（中）情報"
    assert shown["integrity"] == "完全性1（低）情報"
    assert shown["availability"] == "可用性1（低）情報"
    assert shown["restrictions"] == ["複製禁止", "所属長限り"]  # the profile's order


def test_chiba_levels_carry_their_restriction_bundles(profiles: dict[str, Profile]) -> None:
    chiba = profiles["chiba-pref-2022"]
    c2 = chiba.implied_restrictions(label(chiba.id, "C2"))
    c3 = chiba.implied_restrictions(label(chiba.id, "C3"))
    assert len(c2) == 7  # HR-10..HR-16
    assert c3 == c2 | {"prefecture_terminals_only"}  # HR-09
    assert chiba.implied_restrictions(label(chiba.id, "C1", "I2")) == {
        "backup_and_signature", "external_processing_safeguards", "locked_media_storage",
    }
    assert chiba.implied_restrictions(label(chiba.id, "C1")) == frozenset()
    assert chiba.default_label.restrictions == c2  # default C2 comes with its bundle


def test_defaults_and_ceilings(profiles: dict[str, Profile]) -> None:
    assert profiles["saitama-police-2023"].default_label.confidentiality is Confidentiality.C2
    assert profiles["ishikawa-police-contractor"].default_label.confidentiality.code == "C2"
    fire = profiles["soka-yashio-fire"]
    assert fire.default_label.confidentiality.code == "C1"
    # 002 names nothing above 重要情報: C3 is synthetic and above the ceiling.
    assert fire.level_spec(AXES[0], "C3").synthetic
    assert fire.ceiling.confidentiality.code == "C2"
    assert not fire.within_ceiling(label(fire.id, "C3"))
    assert fire.within_ceiling(label(fire.id, "C2", "I2", "A2"))
    assert profiles["chiba-pref-2022"].within_ceiling(label("chiba-pref-2022", "C3", "I2", "A2"))


def test_check_label_refuses_other_profiles_and_unknown_restrictions(
    profiles: dict[str, Profile],
) -> None:
    saitama = profiles["saitama-police-2023"]
    with pytest.raises(InvalidRequest, match="never translated"):
        saitama.display(label("chiba-pref-2022", "C2"))
    with pytest.raises(InvalidRequest, match="prefecture_terminals_only"):
        saitama.check_label(label(saitama.id, "C2", r=("prefecture_terminals_only",)))


def test_get_profile_raises_unknown_profile(profiles: dict[str, Profile]) -> None:
    assert get_profile(profiles, "chiba-pref-2022").id == "chiba-pref-2022"
    with pytest.raises(UnknownProfile) as info:
        get_profile(profiles, "tokyo")
    assert info.value.code == "unknown_profile"


# --- invalid profiles -------------------------------------------------------------------


def _write_variant(tmp_path: Path, mutate: Callable[[dict[str, Any]], None]) -> Path:
    data = yaml.safe_load((PROFILE_DIR / "saitama-police-2023.yaml").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "saitama-police-2023.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    return mutate


_DELETE = object()


def _both(*mutations: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        for m in mutations:
            m(data)
    return mutate


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_set("levels.confidentiality.C3.name", _DELETE),
         r"levels\.confidentiality\.C3\.name: Field required"),
        (_set("levels.confidentiality.C3.name", "  "), r"levels\.confidentiality\.C3\.name"),
        (_set("levels.integrity.I3", {"name": "x", "ref": "y"}), r"levels\.integrity\.I3"),
        (_set("markings.gokuhi.confidentiality", "C4"), r"markings\.gokuhi\.confidentiality"),
        (_set("entity_floors.JP_MY_NUMBER.restrictions", ["no_fax"]),
         r"entity_floors\.JP_MY_NUMBER\.restrictions\[0\]: unknown restriction 'no_fax'"),
        (_set("markings.hi.restrictions", ["no_fax"]), r"markings\.hi\.restrictions\[0\]"),
        (_set("markings.maruhi", {"confidentiality": "C3", "ref": "x"}),
         r"markings\.maruhi: unknown id"),
        (_set("entity_floors.SHOE_SIZE", {"confidentiality": "C2", "ref": "x"}),
         r"entity_floors\.SHOE_SIZE: unknown id"),
        (_set("markings.hi", {"ref": "x"}), r"markings\.hi: must set at least one"),
        (_set("id", "saitama-police-2024"), r"id: must equal the file name"),
        (_set("colour", "red"), r"colour: Extra inputs are not permitted"),
        (_set("levels.confidentiality.C2.restrictions", ["no_copy"]),
         r"levels\.confidentiality\.C3\.restrictions: must include every restriction of C2"),
        (_set("ceiling.confidentiality", "C1"), r"default_label\.confidentiality: C2 is above"),
        (_set("restrictions.No-Copy", {"name": "x", "ref": "y"}), r"restrictions\.No-Copy"),
        (_set("entity_floors.PERSON", _DELETE),
         r"entity_floors\.PERSON: missing: every entity type needs a floor rule"),
        (_set("unreadable_floor", {"ref": "x"}), r"unreadable_floor: must set at least one"),
        (_set("unreadable_floor.restrictions", ["no_fax"]),
         r"unreadable_floor\.restrictions\[0\]: unknown restriction"),
        (_set("ceiling.refused_restrictions", ["no_fax"]),
         r"ceiling\.refused_restrictions\[0\]: unknown restriction"),
        (_both(_set("default_label.restrictions", ["no_copy"]),
               _set("ceiling.refused_restrictions", ["no_copy"])),
         r"default_label\.restrictions: refused by the ceiling: no_copy"),
    ],
)
def test_invalid_profile_names_file_and_field(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    path = _write_variant(tmp_path, mutate)
    with pytest.raises(ProfileInvalid) as info:
        load_profile_file(path)
    assert info.value.code == "profile_invalid"
    assert info.value.message.startswith("saitama-police-2023.yaml: ")
    assert re.search(expected, info.value.message), info.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: [unclosed\n", "invalid YAML: "),
        ("- just\n- a list\n", "<root>: must be a mapping"),
        ("id: a\nid: b\n", "invalid YAML: duplicate key 'id' at line 2, column 1"),
        ("", "<root>: must be a mapping"),
    ],
)
def test_malformed_yaml_is_profile_invalid(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileInvalid, match=re.escape(f"broken.yaml: {expected}")):
        load_profile_file(path)


def test_load_profiles_stops_on_an_invalid_extra_file(tmp_path: Path) -> None:
    _write_variant(tmp_path, _set("levels.confidentiality.C3.name", _DELETE))
    with pytest.raises(ProfileInvalid, match=r"saitama-police-2023\.yaml: levels\."):
        load_profiles(tmp_path)


def test_extra_dir_overrides_and_adds(tmp_path: Path) -> None:
    _write_variant(tmp_path, _set("ceiling", {"confidentiality": "C2"}))
    shutil.copy(PROFILE_DIR / "chiba-pref-2022.yaml", tmp_path / "chiba-test.yaml")
    text = (tmp_path / "chiba-test.yaml").read_text(encoding="utf-8")
    (tmp_path / "chiba-test.yaml").write_text(
        text.replace("id: chiba-pref-2022", "id: chiba-test"), encoding="utf-8"
    )
    loaded = load_profiles(tmp_path)
    assert len(loaded) == 5
    assert loaded["saitama-police-2023"].ceiling.confidentiality.code == "C2"
    assert loaded["chiba-test"].level_name(AXES[0], "C3") == "機密性3"


def test_missing_extra_dir_is_profile_invalid(tmp_path: Path) -> None:
    with pytest.raises(ProfileInvalid, match="does not exist"):
        load_profiles(tmp_path / "nope")


def test_every_profile_has_a_floor_for_every_entity_type(profiles: dict[str, Profile]) -> None:
    from core.labels import ENTITY_TYPES

    for profile in profiles.values():
        assert set(profile.document.entity_floors) == ENTITY_TYPES - {"CLASSIFICATION_MARKING"}


@pytest.mark.parametrize("profile_id", BUILTIN_PROFILE_IDS)
def test_unreadable_floor_is_c2_by_default_and_exposed(
    profiles: dict[str, Profile], profile_id: str
) -> None:
    floor = profiles[profile_id].unreadable_floor
    assert floor.confidentiality is Confidentiality.C2
    assert floor.profile == profile_id
    assert floor.restrictions >= profiles[profile_id].implied_restrictions(floor)


def test_unreadable_floor_defaults_when_a_profile_omits_it(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, _set("unreadable_floor", _DELETE))
    assert load_profile_file(path).unreadable_floor.confidentiality is Confidentiality.C2


def test_ceiling_violations_name_levels_and_refused_restrictions(
    profiles: dict[str, Profile],
) -> None:
    fire = profiles["soka-yashio-fire"]
    assert fire.refused_restrictions == {"internet_separated_only"}
    assert fire.ceiling_violations(label(fire.id, "C3", r=("internet_separated_only",))) == (
        "confidentiality", "restriction:internet_separated_only")
    assert fire.ceiling_violations(label(fire.id, "C2")) == ()
    saitama = profiles["saitama-police-2023"]
    assert saitama.refused_restrictions == frozenset()
    assert saitama.within_ceiling(label(saitama.id, "C3", "I2", "A2", ("no_copy",)))


def test_saitama_c1_needs_approval(profiles: dict[str, Profile]) -> None:
    saitama = profiles["saitama-police-2023"]
    assert saitama.approval_ref(AXES[0], "C1") == "第3 2(2)"  # LBL-08
    assert saitama.approval_ref(AXES[0], "C2") is None
    assert profiles["chiba-pref-2022"].approval_ref(AXES[0], "C1") is None
