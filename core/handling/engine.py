"""The export decision: ceiling, then each document's restrictions, then the profile's rules.

Order does not matter for the result: every check adds reasons, and the strictest outcome of
all of them is the decision (deny > approval > encrypt > allow). A bundle is judged as one
document with the highest level on every axis and the union of restrictions (LBL-07,
Chiba 6.2(5)ウ), while per-document restrictions (配布禁止 lists, 複製禁止 counts) are checked
on each document and name it, so the response says which document made it strict.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import reduce

from core.handling.context import DocumentFacts, ExportContext, destination_of
from core.handling.decision import RANK, ExportDecision, Reason
from core.labels import Confidentiality, Integrity, Label
from core.profiles import Profile
from core.profiles.schema import ExportRule

GENERIC_APPROVER = "approver"


#: The rules this engine itself applies (besides each profile's export_rules): the ids an
#: exception (例外措置, Saitama 第2 3(2)) may name, with rule_ids().
BUILTIN_RULES = frozenset({
    "ceiling", "restriction:encrypt", "restriction:named_recipients_only",
    "restriction:no_export", "restriction:no_internet", "restriction:permission",
    "restriction:read_once", "restriction:restricted_viewers", "restriction:single_provision",
})


def rule_ids(profile: Profile) -> frozenset[str]:
    """Every rule id a decision under ``profile`` can give as a reason."""
    return BUILTIN_RULES | {rule.id for rule in profile.document.handling.export_rules}


def enforcement_of(profile: Profile, restrictions: Iterable[str]) -> dict[str, frozenset[str]]:
    """Enforcement kind -> the restriction codes that demand it."""
    found: dict[str, set[str]] = {}
    table = profile.document.handling.enforcement
    for code in restrictions:
        for kind in table.get(code, ()):
            found.setdefault(kind, set()).add(code)
    return {kind: frozenset(codes) for kind, codes in found.items()}


def viewer_may_access(profile: Profile, doc: DocumentFacts, user_id: int, name: str,
                      roles: Iterable[str]) -> bool:
    """閲覧制限 / 所属長限り (HR-07): only the owner, listed users, or the profile's roles."""
    if "restricted_viewers" not in enforcement_of(profile, doc.label.restrictions):
        return True
    allowed_roles = set(profile.document.handling.restricted_viewer_roles)
    return user_id == doc.owner_id or name in doc.viewers or bool(allowed_roles & set(roles))


def bundle_label(labels: Iterable[Label]) -> Label:
    """Highest level per axis, restrictions united (LBL-07, Chiba 6.2(5)ウ): Label.combine
    in one step, since a bundle of many documents would otherwise build (and validate) one
    intermediate label per document."""
    items = list(labels)
    first = items[0]
    for other in items[1:]:
        if other.profile != first.profile:
            return reduce(Label.combine, items)  # raises the cross-profile error
    return Label(max(x.confidentiality for x in items), max(x.integrity for x in items),
                 max(x.availability for x in items),
                 frozenset().union(*(x.restrictions for x in items)), first.profile)


def _restriction_ref(profile: Profile, codes: Iterable[str]) -> str:
    specs = profile.document.restrictions
    return "; ".join(f"{specs[c].name} ({specs[c].ref})" for c in sorted(codes) if c in specs)


def _names(profile: Profile, codes: Iterable[str]) -> str:
    return "・".join(profile.restriction_name(c) for c in sorted(codes))


def _ceiling(profile: Profile, label: Label) -> Iterator[Reason]:
    violations = profile.ceiling_violations(label)
    if violations:
        yield Reason("ceiling", "deny", "CLS-09 (handling ceiling)",
                     "この配備で扱える上限を超える分類の情報は提供できない",
                     f"above this deployment's ceiling: {', '.join(violations)}")


def _per_document(profile: Profile, ctx: ExportContext, destination: str,
                  doc: DocumentFacts) -> Iterator[Reason]:
    kinds = enforcement_of(profile, doc.label.restrictions)
    ids = (doc.id,)
    if codes := kinds.get("no_export"):
        yield Reason("restriction:no_export", "deny", _restriction_ref(profile, codes),
                     f"{_names(profile, codes)}の指定があるため外部への提供はできない",
                     "the document may not leave (持ち出し禁止)", ids)
    if codes := kinds.get("named_recipients_only"):
        address = ctx.recipient.address
        listed = address is not None and address in doc.named_recipients
        if not listed and ctx.recipient.name not in doc.named_recipients:
            yield Reason("restriction:named_recipients_only", "deny",
                         _restriction_ref(profile, codes),
                         f"{_names(profile, codes)}：この受領者は文書に指定された配布先ではない",
                         "the recipient is not one of the document's named recipients", ids)
    if (codes := kinds.get("single_provision")) and doc.provisions >= 1:
        yield Reason("restriction:single_provision", "deny", _restriction_ref(profile, codes),
                     f"{_names(profile, codes)}：この文書は既に一度提供されている",
                     "the document was already provided once (no copies)", ids)
    if (codes := kinds.get("restricted_viewers")) and not viewer_may_access(
            profile, doc, ctx.requester.user_id, ctx.requester.name, ctx.requester.roles):
        yield Reason("restriction:restricted_viewers", "deny", _restriction_ref(profile, codes),
                     f"{_names(profile, codes)}：申請者はこの文書の閲覧範囲に含まれない",
                     "the requester is outside the document's viewing scope", ids)
    if (codes := kinds.get("no_internet")) and ctx.crosses_internet and destination != "internal":
        yield Reason("restriction:no_internet", "deny", _restriction_ref(profile, codes),
                     f"{_names(profile, codes)}：インターネットに接続された宛先には提供できない",
                     "internet-separated information cannot go to an internet-connected "
                     "destination", ids)
    leaving = destination != "internal"
    if (codes := kinds.get("permission")) and leaving:
        yield Reason("restriction:permission", "approval", _restriction_ref(profile, codes),
                     f"{_names(profile, codes)}：事前の許可が必要",
                     "prior permission is required to copy, send or provide it", ids,
                     GENERIC_APPROVER)
    if (codes := kinds.get("encrypt")) and leaving:
        yield Reason("restriction:encrypt", "encrypt", _restriction_ref(profile, codes),
                     f"{_names(profile, codes)}：暗号化して提供する",
                     "the package must be encrypted", ids)


def _rule_matches(profile: Profile, rule: ExportRule, label: Label, method: str,
                  destination: str) -> bool:
    when = rule.when
    if when.confidentiality and label.confidentiality < Confidentiality.from_code(
            when.confidentiality):
        return False
    if when.integrity and label.integrity < Integrity.from_code(when.integrity):
        return False
    if when.restrictions and not set(when.restrictions) & label.restrictions:
        return False
    if when.aggregates and not set(when.aggregates) & set(profile.aggregates_of(label)):
        return False
    if when.methods and method not in when.methods:
        return False
    return not when.destinations or destination in when.destinations


def _rules(profile: Profile, ctx: ExportContext, label: Label,
           destination: str) -> Iterator[Reason]:
    for rule in profile.document.handling.export_rules:
        if _rule_matches(profile, rule, label, ctx.method, destination):
            docs = tuple(d.id for d in ctx.documents
                         if _rule_matches(profile, rule, d.label, ctx.method, destination))
            yield Reason(rule.id, rule.outcome, rule.ref, rule.message, rule.message_en,
                         docs, rule.approver or (GENERIC_APPROVER if rule.outcome == "approval"
                                                 else None))


def _conflicts(profile: Profile, ctx: ExportContext, reasons: list[Reason]) -> tuple[str, ...]:
    """Where the documents of a bundle disagree, say which one made the decision strict."""
    if len(ctx.documents) < 2:
        return ()
    notes = []
    everyone = {d.id for d in ctx.documents}
    for reason in reasons:
        if reason.documents and set(reason.documents) != everyone and reason.outcome != "allow":
            notes.append(f"{reason.rule}: {reason.outcome} because of "
                         f"{', '.join(reason.documents)}; the strictest applies to the bundle")
    levels = {d.label.confidentiality.code for d in ctx.documents}
    if len(levels) > 1:
        notes.append(f"confidentiality differs ({', '.join(sorted(levels))}): the highest "
                     "applies (LBL-07)")
    return tuple(notes)


def decide_export(profile: Profile, ctx: ExportContext,
                  extra_internal_domains: Iterable[str] = ()) -> ExportDecision:
    label = bundle_label(d.label for d in ctx.documents)
    destination = destination_of(profile.document.handling, ctx.recipient,
                                 profile.document.organisation, extra_internal_domains)
    reasons = list(_ceiling(profile, label))
    for doc in ctx.documents:
        reasons.extend(_per_document(profile, ctx, destination, doc))
    reasons.extend(_rules(profile, ctx, label, destination))
    kinds = enforcement_of(profile, label.restrictions)
    leaving = destination != "internal"
    read_once = "read_once" in kinds
    # Saitama 第6 1(5) / Chiba HR-17: integrity-2 information leaves signed.
    sign = label.integrity >= Integrity.I2 or "sign" in kinds
    if read_once and leaving:
        # 読後廃棄 is enforced by erasing the package's key: only an encrypted package has one.
        reasons.append(Reason("restriction:read_once", "encrypt",
                              _restriction_ref(profile, kinds["read_once"]),
                              f"{_names(profile, kinds['read_once'])}：最初の開封後に鍵を消去する",
                              "the package key is crypto-erased after the first open"))
    pending = tuple(r for r in reasons if r.outcome == "approval" and r.rule not in ctx.granted)
    settled = [r for r in reasons if not (r.outcome == "approval" and r.rule in ctx.granted)]
    outcome = max((r.outcome for r in settled), key=RANK.__getitem__, default="allow")
    encrypt = any(r.outcome == "encrypt" for r in reasons)
    ordered = tuple(sorted(reasons, key=lambda r: -RANK[r.outcome]))
    return ExportDecision(outcome, ordered, label, destination, encrypt, sign, read_once,
                          "single_provision" in kinds, pending, _conflicts(profile, ctx, reasons))
