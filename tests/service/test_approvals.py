"""One approval mechanism (issue 6, item 3): the requester never decides (兼務の禁止, Saitama
第2 1(6); SOD-01), an approver's own request is escalated to another approver (第2 1(6)イ;
SOD-02), requests expire, and exceptions last at most the profile's maximum (第2 3(2))."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidRequest, SeparationOfDutiesViolation
from service.approvals import (
    EXPIRED,
    KIND_EXCEPTION,
    active_exceptions,
    decide_approval,
    granted_rules,
    parse_exception,
    register_decision_handler,
    request_approval,
)
from service.db import utcnow
from service.models import Approval, AuditEvent, User
from tests.fixtures.pdfgen import make_text_pdf
from tests.service.test_classification import processed, propose

SAITAMA = "saitama-police-2023"
MakeUser = Callable[..., dict[str, str]]
RULE = "c3_external_email"
C1 = {"confidentiality": "C1", "integrity": "I1", "availability": "A1"}


@pytest.fixture
def alice(make_user: MakeUser) -> dict[str, str]:
    return make_user("alice", "uploader", profile=SAITAMA)


@pytest.fixture
def bob(make_user: MakeUser) -> dict[str, str]:
    return make_user("bob", "approver", profile=SAITAMA)


@pytest.fixture
def carol(make_user: MakeUser) -> dict[str, str]:
    """An uploader who is also an approver: her requests are escalated (SOD-02)."""
    return make_user("carol", "uploader", "approver", profile=SAITAMA)


def ask_exception(client: Any, headers: dict[str, str], valid_days: int = 30,
                  **extra: Any) -> Any:
    return client.post("/v1/exceptions", headers=headers,
                       json={"rule": RULE, "reason": "災害対応のため", "valid_days": valid_days,
                             **extra})


def inbox(client: Any, headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/v1/approvals{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return list(response.get_json()["approvals"])


def user_named(session: Session, name: str) -> User:
    return session.execute(select(User).where(User.name == name)).scalar_one()


def test_the_requester_can_never_decide_their_own_request(
    client: Any, carol: dict[str, str], bob: dict[str, str]
) -> None:
    asked = ask_exception(client, carol)
    assert asked.status_code == 201, asked.get_json()
    approval = asked.get_json()["approval"]
    for verb in ("approve", "reject"):
        refused = client.post(f"/v1/approvals/{approval['id']}/{verb}", headers=carol,
                              json={"reason": "自分で承認"})
        assert refused.status_code == 403
        assert refused.get_json()["error"] == "separation_of_duties"
    assert client.get(f"/v1/approvals/{approval['id']}",
                      headers=bob).get_json()["state"] == "pending"


def test_an_approvers_own_request_is_escalated_and_decided_by_another_approver(
    client: Any, rt: Any, carol: dict[str, str], bob: dict[str, str], alice: dict[str, str]
) -> None:
    escalated = ask_exception(client, carol).get_json()["approval"]
    plain = ask_exception(client, alice).get_json()["approval"]
    assert escalated["escalated"] is True and plain["escalated"] is False
    # Carol's inbox never offers her own request, only alice's; bob's offers both.
    assert [a["id"] for a in inbox(client, carol)] == [plain["id"]]
    assert {a["id"]: a["decidable"] for a in inbox(client, bob)} == {
        escalated["id"]: True, plain["id"]: True}
    mine = inbox(client, carol, "?mine=1")
    assert [(a["id"], a["decidable"]) for a in mine] == [(escalated["id"], False)]
    granted = client.post(f"/v1/approvals/{escalated['id']}/approve", headers=bob,
                          json={"reason": "やむを得ない"})
    assert granted.status_code == 200, granted.get_json()
    body = granted.get_json()["approval"]
    assert body["state"] == "approved" and body["decided_by"] == "bob"
    assert body["valid_until"] is not None
    with rt.sessions() as session:
        stored = session.get_one(Approval, escalated["id"])
        assert stored.decided_at is not None and stored.valid_until is not None
        assert stored.valid_until - stored.decided_at == timedelta(days=30)
        actions = session.execute(
            select(AuditEvent.action).where(AuditEvent.object_id == RULE)).scalars().all()
    assert actions.count("approval.requested") == 2 and "approval.granted" in actions
    again = client.post(f"/v1/approvals/{escalated['id']}/reject", headers=bob)
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"


def test_only_approvers_decide(
    client: Any, make_user: Any, alice: dict[str, str]
) -> None:
    approval = ask_exception(client, alice).get_json()["approval"]
    officer = make_user("rita", "records_officer", profile=SAITAMA)
    refused = client.post(f"/v1/approvals/{approval['id']}/approve", headers=officer)
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"


def test_inbox_excludes_own_requests_and_requesters_see_only_theirs(
    client: Any, alice: dict[str, str], bob: dict[str, str], make_user: Any
) -> None:
    own = ask_exception(client, bob).get_json()["approval"]
    theirs = ask_exception(client, alice).get_json()["approval"]
    assert [a["id"] for a in inbox(client, bob)] == [theirs["id"]]
    assert [a["id"] for a in inbox(client, bob, "?state=all&mine=1")] == [own["id"]]
    # An uploader sees only the requests they made, and can decide none of them.
    assert [(a["id"], a["decidable"]) for a in inbox(client, alice)] == [(theirs["id"], False)]
    assert client.get(f"/v1/approvals/{own['id']}", headers=alice).status_code == 404
    assert inbox(client, bob, "?kind=classification") == []
    assert [a["id"] for a in inbox(client, bob, "?kind=exception")] == [theirs["id"]]
    bad = client.get("/v1/approvals?state=maybe", headers=bob)
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_request"


def _backdate(rt: Any, approval_id: str) -> None:
    with rt.sessions.begin() as session:
        approval = session.get_one(Approval, approval_id)
        approval.expires_at = utcnow() - timedelta(minutes=1)


def test_an_expired_request_is_refused_with_409_and_marked_expired(
    client: Any, rt: Any, alice: dict[str, str], bob: dict[str, str]
) -> None:
    approval = ask_exception(client, alice).get_json()["approval"]
    # The profile's approval_ttl_hours (default 72) sets the expiry at the request.
    with rt.sessions() as session:
        stored = session.get_one(Approval, approval["id"])
        assert stored.expires_at is not None
        ttl = stored.expires_at - stored.created_at
    assert ttl == timedelta(hours=rt.profile(SAITAMA).document.handling.approval_ttl_hours)
    _backdate(rt, approval["id"])
    refused = client.post(f"/v1/approvals/{approval['id']}/approve", headers=bob)
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "approval_expired"
    shown = client.get(f"/v1/approvals/{approval['id']}", headers=bob).get_json()
    assert shown["state"] == "expired" and shown["decided_by"] is None
    assert inbox(client, bob) == []
    assert [a["id"] for a in inbox(client, bob, "?state=expired")] == [approval["id"]]
    with rt.sessions() as session:
        actions = session.execute(select(AuditEvent.action).where(
            AuditEvent.action == "approval.expired")).scalars().all()
    assert actions == ["approval.expired"]  # audited once, however often it is looked at


def test_decide_marks_an_overdue_request_expired_itself(
    rt: Any, alice: dict[str, str], bob: dict[str, str]
) -> None:
    """Callers that skip expire_overdue still never grant an overdue request."""
    profile = rt.profile(SAITAMA)
    with rt.sessions() as session:
        requester, approver = user_named(session, "alice"), user_named(session, "bob")
        approval = request_approval(
            session, rt.audit_mac, kind=KIND_EXCEPTION, object_type="rule", object_id=RULE,
            requester=requester, reasons=[], payload={"rule": RULE, "valid_days": 1},
            profile=profile, ttl_hours=1)
        approval.expires_at = utcnow() - timedelta(seconds=1)
        with pytest.raises(Conflict) as raised:
            decide_approval(session, rt.audit_mac, approval, approver, grant=True, reason=None)
        assert raised.value.code == "approval_expired" and approval.state == EXPIRED
        with pytest.raises(SeparationOfDutiesViolation):
            decide_approval(session, rt.audit_mac, approval, requester, grant=True,
                            reason=None)


def test_exception_duration_is_bounded_by_the_profile(
    client: Any, rt: Any, alice: dict[str, str]
) -> None:
    """Saitama 第2 3(2): 例外措置 for at most one year (exception_max_days: 365)."""
    too_long = ask_exception(client, alice, valid_days=366)
    assert too_long.status_code == 400
    assert too_long.get_json()["error"] == "invalid_request"
    assert "365" in too_long.get_json()["message"]
    assert ask_exception(client, alice, valid_days=365).status_code == 201
    for bad in (0, -1, "30", True):
        assert ask_exception(client, alice, valid_days=bad).status_code == 400  # type: ignore[arg-type]
    no_reason = client.post("/v1/exceptions", headers=alice,
                            json={"rule": RULE, "valid_days": 1})
    assert no_reason.get_json()["error"] == "reason_required"
    # The maximum is the profile's, not a constant.
    saitama = rt.profile(SAITAMA)
    shorter = replace(saitama, document=saitama.document.model_copy(update={
        "handling": saitama.document.handling.model_copy(update={"exception_max_days": 30})}))
    body = {"rule": RULE, "reason": "r", "valid_days": 31}
    with pytest.raises(InvalidRequest, match="30"):
        parse_exception(body, shorter)
    assert parse_exception(body, saitama)["valid_days"] == 31


def test_an_exception_names_a_rule_the_profile_has(client: Any, alice: dict[str, str]) -> None:
    unknown = client.post("/v1/exceptions", headers=alice,
                          json={"rule": "no_such_rule", "reason": "r", "valid_days": 5})
    assert unknown.status_code == 400
    assert unknown.get_json()["error"] == "unknown_rule"
    assert RULE in unknown.get_json()["message"]  # it lists the rules there are
    builtin = client.post("/v1/exceptions", headers=alice,
                          json={"rule": "restriction:permission", "reason": "r",
                                "valid_days": 5})
    assert builtin.status_code == 201


def test_granted_exceptions_are_in_force_until_valid_until(
    client: Any, rt: Any, alice: dict[str, str], bob: dict[str, str]
) -> None:
    bound = ask_exception(client, alice, object_type="export", object_id="exp-1").get_json()
    general = ask_exception(client, alice).get_json()
    refused = ask_exception(client, alice, object_type="export", object_id="exp-2").get_json()
    for approval, verb in ((bound, "approve"), (general, "approve"), (refused, "reject")):
        assert client.post(f"/v1/approvals/{approval['approval']['id']}/{verb}",
                           headers=bob).status_code == 200
    with rt.sessions() as session:
        assert granted_rules(session, "export", "exp-1") == frozenset({RULE})
        assert granted_rules(session, "export", "exp-2") == frozenset()
        ids = {a.id for a in active_exceptions(session, RULE, "exp-1")}
        assert ids == {bound["approval"]["id"], general["approval"]["id"]}
        assert [a.id for a in active_exceptions(session, RULE, "exp-2")] == [
            general["approval"]["id"]]
    with rt.sessions.begin() as session:
        lapsed = session.get_one(Approval, bound["approval"]["id"])
        lapsed.valid_until = utcnow() - timedelta(seconds=1)
    with rt.sessions() as session:
        assert granted_rules(session, "export", "exp-1") == frozenset()
        assert [a.id for a in active_exceptions(session, RULE, "exp-1")] == [
            general["approval"]["id"]]


def test_the_kinds_handler_runs_inside_the_decision(
    rt: Any, alice: dict[str, str], bob: dict[str, str]
) -> None:
    calls: list[tuple[str, str, bool]] = []
    register_decision_handler(
        "test-kind", lambda s, a, u, grant: calls.append((a.id, u.name, grant)))
    with rt.sessions() as session:
        approval = request_approval(
            session, rt.audit_mac, kind="test-kind", object_type="export", object_id="exp-9",
            requester=user_named(session, "alice"), reasons=[], payload={"rule": "r1"},
            profile=rt.profile(SAITAMA))
        decide_approval(session, rt.audit_mac, approval, user_named(session, "bob"),
                        grant=False, reason="不要")
        assert calls == [(approval.id, "bob", False)]
        assert approval.decision_reason == "不要" and approval.state == "rejected"
        assert granted_rules(session, "export", "exp-9") == frozenset()


def test_classification_requests_go_through_the_same_mechanism(
    client: Any, rt: Any, alice: dict[str, str], bob: dict[str, str], carol: dict[str, str]
) -> None:
    doc = processed(client, rt, alice, make_text_pdf("【取扱注意】 会議資料"), "a.pdf")
    # Saitama 第3 2(2) (LBL-08): 機密性1 always waits for a 上職者's approval.
    approval = propose(client, alice, doc["id"], C1).get_json()["approval"]
    assert approval is not None
    listed = inbox(client, bob, "?kind=classification")
    assert [a["id"] for a in listed] == [approval["id"]]
    assert listed[0]["expires_at"] and listed[0]["escalated"] is False
    _backdate(rt, approval["id"])
    refused = client.post(f"/v1/approvals/{approval['id']}/approve", headers=carol)
    assert refused.get_json()["error"] == "approval_expired"
    labels = client.get(f"/v1/documents/{doc['id']}", headers=alice).get_json()["labels"]
    assert labels["source"] == "system"  # an expired request never changes the label
