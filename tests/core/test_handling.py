"""core.handling: the export decision of each seed profile (issue 6, item 1 and 2)."""

from __future__ import annotations

import pytest

from core.errors import InvalidRequest
from core.handling import (
    DocumentFacts,
    ExportContext,
    Recipient,
    Requester,
    decide_export,
    viewer_may_access,
)
from core.labels import Availability, Confidentiality, Integrity, Label
from core.profiles import Profile, load_profiles

PROFILES = load_profiles()
STAFF = Requester(1, "tanaka", frozenset({"uploader"}))
OUTSIDE = Recipient("山田", "株式会社山田商事", "yamada@example.co.jp")


def doc(profile: Profile, c: str = "C2", i: str = "I1", restrictions: tuple[str, ...] = (),
        doc_id: str = "d1", **kw: object) -> DocumentFacts:
    label = profile.with_implied(Label(Confidentiality.from_code(c), Integrity.from_code(i),
                                       Availability.A1, frozenset(restrictions), profile.id))
    return DocumentFacts(doc_id, f"{doc_id}.pdf", label, owner_id=1, **kw)  # type: ignore[arg-type]


def decide(profile_id: str, *docs_spec: dict[str, object], method: str = "email",
           recipient: Recipient = OUTSIDE, granted: frozenset[str] = frozenset(),
           requester: Requester = STAFF):
    profile = PROFILES[profile_id]
    docs = tuple(doc(profile, doc_id=f"d{n}", **spec) for n, spec in enumerate(docs_spec))  # type: ignore[arg-type]
    return decide_export(profile, ExportContext(docs, method, recipient, requester, granted))


def rules(decision) -> set[str]:
    return {r.rule for r in decision.reasons}


def test_saitama_c3_by_external_mail_is_denied_with_its_requirement() -> None:
    d = decide("saitama-police-2023", {"c": "C3"})
    assert d.decision == "deny" and "c3_external_email" in rules(d)
    assert any("第3 5(4)" in r for r in d.to_dict()["requirements"])


def test_saitama_c2_by_mail_must_be_encrypted_and_c1_is_allowed() -> None:
    d = decide("saitama-police-2023", {"c": "C2"})
    assert d.decision == "encryption_required" and d.encrypt
    assert "c2_external_email_encrypted" in rules(d)
    assert decide("saitama-police-2023", {"c": "C1"}).decision == "allow"


def test_internal_recipient_is_not_an_external_line() -> None:
    inside = Recipient("鈴木", None, "suzuki@police.pref.saitama.lg.jp")
    assert decide("saitama-police-2023", {"c": "C3"}, recipient=inside).decision == "allow"
    lookalike = Recipient("x", None, "x@police.pref.saitama.lg.jp.evil.example")
    assert decide("saitama-police-2023", {"c": "C3"}, recipient=lookalike).decision == "deny"


def test_no_takeout_denies_every_export() -> None:
    d = decide("saitama-police-2023", {"c": "C1", "restrictions": ("no_takeout",)},
               method="media")
    assert d.decision == "deny" and "restriction:no_export" in rules(d)


def test_no_distribution_only_named_recipients() -> None:
    named = {"c": "C1", "restrictions": ("no_distribution",),
             "named_recipients": frozenset({"yamada@example.co.jp"})}
    assert decide("saitama-police-2023", named).decision == "allow"
    other = Recipient("佐藤", None, "sato@example.co.jp")
    assert decide("saitama-police-2023", named, recipient=other).decision == "deny"


def test_no_copy_allows_one_provision_only() -> None:
    spec = {"c": "C1", "restrictions": ("no_copy",)}
    first = decide("saitama-police-2023", spec)
    assert first.decision == "allow" and first.single_provision
    again = decide("saitama-police-2023", {**spec, "provisions": 1})
    assert again.decision == "deny" and "restriction:single_provision" in rules(again)


def test_read_once_forces_an_encrypted_package() -> None:
    d = decide("saitama-police-2023", {"c": "C1", "restrictions": ("destroy_after_reading",)},
               method="download")
    assert d.read_once and d.encrypt and d.decision == "encryption_required"


def test_head_of_unit_only_limits_who_may_export() -> None:
    profile = PROFILES["saitama-police-2023"]
    facts = doc(profile, "C2", restrictions=("head_of_unit_only",), viewers=frozenset({"ito"}))
    assert viewer_may_access(profile, facts, 1, "tanaka", {"uploader"})  # the owner
    assert viewer_may_access(profile, facts, 7, "ito", {"uploader"})  # listed
    assert viewer_may_access(profile, facts, 8, "chief", {"approver"})  # the 所属長
    assert not viewer_may_access(profile, facts, 9, "kato", {"uploader"})
    stranger = Requester(9, "kato", frozenset({"uploader"}))
    d = decide("saitama-police-2023", {"c": "C2", "restrictions": ("head_of_unit_only",)},
               requester=stranger, method="download")
    assert d.decision == "deny" and "restriction:restricted_viewers" in rules(d)


def test_chiba_c2_external_provision_needs_the_unit_officer_then_encryption() -> None:
    d = decide("chiba-pref-2022", {"c": "C2"}, method="download")
    assert d.decision == "approval_required"
    (pending,) = d.pending_approvals
    assert pending.rule == "c2_external_provision_permission"
    assert pending.approver == "所属情報セキュリティ責任者" and "6.2(9)イ" in pending.ref
    after = decide("chiba-pref-2022", {"c": "C2"}, method="download",
                   granted=frozenset({"c2_external_provision_permission"}))
    assert after.decision == "encryption_required" and after.encrypt  # HR-12
    assert decide("chiba-pref-2022", {"c": "C1"}, method="download").decision == "allow"


def test_integrity_2_exports_are_signed() -> None:
    assert decide("saitama-police-2023", {"c": "C1", "i": "I2"}).sign
    assert not decide("saitama-police-2023", {"c": "C1"}).sign


def test_fire_union_third_party_needs_consent_but_returning_to_the_union_does_not() -> None:
    third = decide("soka-yashio-fire", {"c": "C1"}, method="contractor",
                   recipient=Recipient("別業者", "株式会社別業者"))
    assert "third_party_consent" in {r.rule for r in third.pending_approvals}
    union = Recipient("消防組合 担当", "草加八潮消防組合")
    back = decide("soka-yashio-fire", {"c": "C1"}, method="contractor", recipient=union)
    assert "third_party_consent" not in rules(back)


def test_fire_union_tokutei_kojin_joho_never_towards_the_internet() -> None:
    d = decide("soka-yashio-fire", {"c": "C2", "restrictions": ("internet_separated_only",)},
               method="email")
    assert d.decision == "deny" and "restriction:no_internet" in rules(d)
    # The default deployment is internet-connected: it may not hold it at all (CLS-19).
    assert "ceiling" in rules(d)


def test_fire_union_juyo_joho_never_on_media() -> None:
    d = decide("soka-yashio-fire", {"c": "C2"}, method="media",
               recipient=Recipient("消防組合", "草加八潮消防組合"))
    assert d.decision == "deny" and "juyo_no_media" in rules(d)


def test_ishikawa_every_send_needs_police_permission() -> None:
    police = Recipient("県警 担当", "石川県警察")
    d = decide("ishikawa-police-contractor", {"c": "C2"}, method="contractor", recipient=police)
    assert d.decision == "approval_required"
    assert {"police_permission_send", "police_permission_media"} <= {
        r.rule for r in d.pending_approvals}


def test_bundle_takes_the_strictest_and_says_which_document() -> None:
    d = decide("saitama-police-2023", {"c": "C1"}, {"c": "C3"}, {"c": "C2"})
    assert d.decision == "deny" and d.label.confidentiality is Confidentiality.C3
    assert d.strictest is not None and d.strictest.documents == ("d1",)
    assert any("d1" in c for c in d.conflicts)


def test_ceiling_denies() -> None:
    d = decide("soka-yashio-fire", {"c": "C3"}, method="contractor",
               recipient=Recipient("消防組合", "草加八潮消防組合"))
    assert d.decision == "deny" and "ceiling" in rules(d)


def test_bad_context_is_a_clear_error() -> None:
    profile = PROFILES["saitama-police-2023"]
    with pytest.raises(InvalidRequest, match="method"):
        ExportContext((doc(profile),), "carrier-pigeon", OUTSIDE, STAFF)
    with pytest.raises(InvalidRequest, match="document_ids"):
        ExportContext((), "email", OUTSIDE, STAFF)


def test_every_reason_the_engine_gives_is_a_rule_an_exception_may_name() -> None:
    """BUILTIN_RULES is what POST /v1/exceptions accepts besides the profile's own rules:
    a reason id added to the engine without it could never be excepted."""
    import re
    from pathlib import Path

    import core.handling.engine as engine_module
    from core.handling import BUILTIN_RULES

    source = Path(engine_module.__file__).read_text(encoding="utf-8")
    emitted = set(re.findall(r'Reason\(\s*"([^"]+)"', source))
    assert emitted and emitted <= BUILTIN_RULES, emitted - BUILTIN_RULES
