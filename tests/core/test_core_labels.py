"""core.labels: ordering, combination (LBL-07), JSON round trip, refusal of bad input."""

from __future__ import annotations

import json

import pytest

from core.errors import InvalidRequest
from core.labels import (
    MARKING_IDS,
    Availability,
    Axis,
    Confidentiality,
    Integrity,
    Label,
    bundle_label,
    derive_label,
)

P = "saitama-police-2023"


def lab(c: str, i: str = "I1", a: str = "A1", r: tuple[str, ...] = (), p: str = P) -> Label:
    return Label(Confidentiality[c], Integrity[i], Availability[a], frozenset(r), p)


def test_levels_are_ordered_per_axis_and_expose_codes() -> None:
    assert Confidentiality.C1 < Confidentiality.C2 < Confidentiality.C3
    assert Integrity.I2 > Integrity.I1
    assert Availability.A2 >= Availability.A2
    assert Confidentiality.C3.code == "C3"
    assert Confidentiality.codes() == ("C3", "C2", "C1")
    assert Axis.INTEGRITY.levels is Integrity


def test_levels_of_different_axes_do_not_compare() -> None:
    with pytest.raises(TypeError):
        _ = Confidentiality.C2 < Integrity.I2


def test_lowest_is_c1_i1_a1_without_restrictions() -> None:
    low = Label.lowest("chiba-pref-2022")
    assert low == lab("C1", p="chiba-pref-2022")
    assert low.restrictions == frozenset()


def test_combine_takes_highest_on_every_axis_and_unites_restrictions() -> None:
    a = lab("C3", "I1", "A2", ("no_copy",))
    b = lab("C2", "I2", "A1", ("no_takeout", "no_copy"))
    combined = a.combine(b)
    assert combined == lab("C3", "I2", "A2", ("no_copy", "no_takeout"))
    assert b.combine(a) == combined
    assert a.combine(Label.lowest(P)) == a


def test_combine_refuses_labels_of_different_profiles() -> None:
    with pytest.raises(InvalidRequest, match="cannot combine"):
        lab("C2").combine(lab("C2", p="chiba-pref-2022"))


def test_at_least_compares_every_axis_and_covers_adds_restrictions() -> None:
    high = lab("C3", "I2", "A1", ("no_copy",))
    assert high.at_least(lab("C2", "I2", "A1"))
    assert not high.at_least(lab("C1", "I1", "A2"))  # availability is lower
    assert high.covers(lab("C2", r=("no_copy",)))
    assert not high.covers(lab("C2", r=("no_takeout",)))
    assert high.at_least(lab("C2", r=("no_takeout",)))  # restrictions ignored


def test_to_dict_is_json_and_round_trips() -> None:
    label = lab("C2", "I2", "A1", ("no_takeout", "no_copy"))
    data = label.to_dict()
    assert data == {
        "profile": P, "confidentiality": "C2", "integrity": "I2", "availability": "A1",
        "restrictions": ["no_copy", "no_takeout"],
    }
    assert Label.from_dict(json.loads(json.dumps(data))) == label


def test_from_dict_defaults_restrictions_to_none() -> None:
    data = {"profile": P, "confidentiality": "C1", "integrity": "I1", "availability": "A1"}
    assert Label.from_dict(data) == Label.lowest(P)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"confidentiality": "C4"}, r"label\.confidentiality: 'C4' is not one of C3, C2, C1"),
        ({"integrity": "C2"}, r"label\.integrity"),
        ({"availability": 2}, r"label\.availability: must be a string"),
        ({"restrictions": "no_copy"}, r"label\.restrictions: must be a list"),
        ({"restrictions": ["No Copy"]}, r"label\.restrictions\[0\]"),
        ({"profile": ""}, r"label\.profile"),
        ({"restriction": []}, r"unknown field\(s\): restriction"),
    ],
)
def test_from_dict_names_the_bad_field(patch: dict[str, object], message: str) -> None:
    data: dict[str, object] = {**lab("C2").to_dict(), **patch}
    with pytest.raises(InvalidRequest, match=message):
        Label.from_dict(data)


def test_from_dict_requires_every_axis() -> None:
    data = lab("C2").to_dict()
    del data["integrity"]
    with pytest.raises(InvalidRequest, match=r"label\.integrity: field required"):
        Label.from_dict(data)


def test_from_dict_refuses_non_mapping() -> None:
    with pytest.raises(InvalidRequest):
        Label.from_dict(["C2"])  # type: ignore[arg-type]


def test_constructor_validates_types_and_codes() -> None:
    with pytest.raises(TypeError):
        Label(Integrity.I1, Integrity.I1, Availability.A1, frozenset(), P)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="snake_case"):
        lab("C1", r=("複製禁止",))
    with pytest.raises(ValueError, match="profile id"):
        lab("C1", p="Bad Profile")


def test_label_is_immutable_and_hashable() -> None:
    label = lab("C2", r=("no_copy",))
    with pytest.raises(AttributeError):
        label.confidentiality = Confidentiality.C1  # type: ignore[misc]
    assert {label, lab("C2", r=("no_copy",))} == {label}


def test_marking_ids_are_snake_case() -> None:
    assert all(m.isascii() and m == m.lower() and " " not in m for m in MARKING_IDS)


def test_derived_label_keeps_confidentiality_and_every_restriction() -> None:
    # Saitama 第3 2(5) (LBL-05): 機密性に係る分類及び取扱制限を継承.
    source = lab("C3", "I2", "A2", ("no_copy", "head_of_unit_only"))
    derived = derive_label(source)
    assert derived.confidentiality is Confidentiality.C3
    assert derived.restrictions == {"no_copy", "head_of_unit_only"}
    assert derived.profile == P
    # Integrity and availability restart: the creator judges the new item (CLS-08).
    assert (derived.integrity, derived.availability) == (Integrity.I1, Availability.A1)
    assert derive_label(Label.lowest(P)) == Label.lowest(P)
    assert derive_label(derived) == derived  # deriving twice changes nothing more


def test_bundle_takes_the_max_per_axis_and_unites_restrictions() -> None:
    # Chiba 6.2(5)ウ (LBL-07): 最高度の分類に従って.
    parts = [lab("C1", "I2", "A1", ("no_copy",)), lab("C3", "I1", "A1"),
             lab("C2", "I1", "A2", ("no_takeout",))]
    assert bundle_label(parts) == lab("C3", "I2", "A2", ("no_copy", "no_takeout"))
    assert bundle_label(iter(parts)) == bundle_label(reversed(parts))  # order-free, any iterable
    assert bundle_label([parts[0]]) == parts[0]


def test_bundle_refuses_nothing_and_mixed_profiles() -> None:
    with pytest.raises(InvalidRequest, match="at least one"):
        bundle_label([])
    with pytest.raises(InvalidRequest, match="cannot combine"):
        bundle_label([lab("C2"), lab("C2", p="chiba-pref-2022")])
