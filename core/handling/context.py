"""The facts one export decision is made on (gathered by the service, judged by the engine)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from core.errors import InvalidRequest
from core.labels import Label
from core.profiles.schema import HandlingSpec

METHODS = ("email", "media", "download", "contractor")
# Methods whose package crosses an internet-connected network (特定個人情報 stays off them:
# fire union 4, CLS-19). Media and a contractor hand-over travel physically.
INTERNET_METHODS = frozenset({"email", "download"})


@dataclass(frozen=True)
class Recipient:
    name: str
    organisation: str | None = None
    email: str | None = None
    has_certificate: bool = False

    @property
    def domain(self) -> str | None:
        if not self.email or "@" not in self.email:
            return None
        return self.email.rsplit("@", 1)[1].strip().lower().rstrip(".")

    @property
    def address(self) -> str | None:
        return self.email.strip().lower() if self.email else None


@dataclass(frozen=True)
class Requester:
    user_id: int
    name: str
    roles: frozenset[str]


@dataclass(frozen=True)
class DocumentFacts:
    id: str
    name: str
    label: Label
    owner_id: int
    # 配布禁止: addresses the document may go to (lower-case e-mail addresses or names).
    named_recipients: frozenset[str] = frozenset()
    # 閲覧制限: user names allowed besides the owner and the profile's viewer roles.
    viewers: frozenset[str] = frozenset()
    provisions: int = 0  # exports already made of this document (複製禁止: one provision)


@dataclass(frozen=True)
class ExportContext:
    documents: tuple[DocumentFacts, ...]
    method: str
    recipient: Recipient
    requester: Requester
    granted: frozenset[str] = field(default_factory=frozenset)  # approved rule ids

    def __post_init__(self) -> None:
        if not self.documents:
            raise InvalidRequest("document_ids: at least one document is needed")
        if self.method not in METHODS:
            raise InvalidRequest(f"method: must be one of {', '.join(METHODS)}")

    @property
    def crosses_internet(self) -> bool:
        return self.method in INTERNET_METHODS


def _matches(domain: str, listed: Iterable[str]) -> bool:
    """``domain`` is one of ``listed`` or a subdomain of one (pref.saitama.jp covers
    police.pref.saitama.jp)."""
    for entry in listed:
        entry = entry.lower().lstrip(".")
        if domain == entry or domain.endswith("." + entry):
            return True
    return False


def destination_of(spec: HandlingSpec, recipient: Recipient, organisation: str,
                   extra_internal: Iterable[str] = ()) -> str:
    """``internal`` (inside the organisation), ``owner`` (the information's owner, for a
    contractor profile) or ``external``. Unknown is external: fail closed.

    An e-mail domain decides when there is one (it is where the package actually goes);
    without one (media, hand-over) the recipient's organisation is compared with the
    profile's."""
    domain = recipient.domain
    if domain is None:
        named = (recipient.organisation or "").strip()
        return spec.organisation_is if named and named == organisation else "external"
    if _matches(domain, [*spec.internal_domains, *extra_internal]):
        return "internal"
    if _matches(domain, spec.owner_domains):
        return "owner"
    return "external"
