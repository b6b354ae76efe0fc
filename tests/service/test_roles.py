"""Every endpoint checks roles: 401 without a valid token, 403 for a wrong role, JSON errors."""

from __future__ import annotations

import io
from typing import Any

import pytest

from core.roles import ROLES

ALL = frozenset(ROLES)
DOC = "{doc}"
# (method, path, roles allowed) — written independently of the code so a change shows up here.
MATRIX: list[tuple[str, str, frozenset[str]]] = [
    ("GET", "/v1/profiles", ALL),
    ("GET", "/v1/me", ALL),
    ("GET", "/v1/users", frozenset({"security_admin"})),
    ("POST", "/v1/users", frozenset({"security_admin"})),
    ("POST", "/v1/users/owner/tokens", frozenset({"security_admin"})),
    ("GET", "/v1/documents", ALL),
    ("POST", "/v1/documents", frozenset({"uploader", "gateway"})),
    ("GET", f"/v1/documents/{DOC}", ALL),
    ("GET", f"/v1/documents/{DOC}/content", frozenset({"uploader", "gateway", "approver"})),
    ("POST", f"/v1/documents/{DOC}/retry", frozenset({"uploader", "gateway"})),
    ("POST", f"/v1/documents/{DOC}/classification", frozenset({"uploader", "gateway"})),
    ("GET", f"/v1/documents/{DOC}/classification", ALL),
    ("GET", "/v1/approvals", ALL - {"records_officer"}),
    ("GET", "/v1/approvals/none", ALL - {"records_officer"}),
    ("POST", "/v1/approvals/none/approve", frozenset({"approver"})),
    ("POST", "/v1/approvals/none/reject", frozenset({"approver"})),
    ("GET", "/v1/audit/events", frozenset({"auditor", "security_admin"})),
    ("GET", "/v1/audit/verify", frozenset({"auditor"})),
]
PUBLIC = [("GET", "/v1/health"), ("GET", "/v1/openapi.json"), ("GET", "/v1/docs")]


@pytest.fixture
def doc_id(client: Any, make_user: Any) -> str:
    headers = make_user("owner", "uploader")
    response = client.post("/v1/documents", headers=headers,
                           data={"file": (io.BytesIO(b"hello"), "hello.txt")})
    assert response.status_code == 202, response.get_json()
    return str(response.get_json()["id"])


@pytest.fixture
def tokens(make_user: Any) -> dict[str, dict[str, str]]:
    return {role: make_user(f"user-{role}", role) for role in sorted(ROLES)}


def call(client: Any, method: str, path: str, headers: dict[str, str]) -> Any:
    if method == "POST" and path == "/v1/users":
        return client.post(path, headers=headers, json={"name": "x-new", "roles": ["auditor"]})
    if method == "POST" and path == "/v1/documents":
        return client.post(path, headers=headers,
                           data={"file": (io.BytesIO(b"abc"), "a.txt")})
    return client.open(path, method=method, headers=headers)


@pytest.mark.parametrize(("method", "path", "allowed"), MATRIX)
def test_no_token_is_401(client: Any, doc_id: str, method: str, path: str,
                         allowed: frozenset[str]) -> None:
    for headers in ({}, {"Authorization": "Bearer skt_not-a-real-token"},
                    {"Authorization": "Basic abc"}):
        response = call(client, method, path.replace(DOC, doc_id), headers)
        assert response.status_code == 401
        assert response.get_json()["error"] == "unauthenticated"
        assert response.get_json()["message"]


@pytest.mark.parametrize(("method", "path", "allowed"), MATRIX)
def test_roles(client: Any, doc_id: str, tokens: dict[str, dict[str, str]], method: str,
               path: str, allowed: frozenset[str]) -> None:
    for role, headers in tokens.items():
        response = call(client, method, path.replace(DOC, doc_id), headers)
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.get_json())
        else:
            assert response.status_code == 403, (role, response.status_code)
            assert response.get_json()["error"] == "forbidden"


@pytest.mark.parametrize(("method", "path"), PUBLIC)
def test_public_endpoints(client: Any, method: str, path: str) -> None:
    assert client.open(path, method=method).status_code == 200


def test_openapi_states_the_same_roles(client: Any) -> None:
    spec = client.get("/v1/openapi.json").get_json()
    for method, path, allowed in MATRIX:
        templated = (path.replace(DOC, "{document_id}").replace("/owner/", "/{name}/")
                     .replace("/approvals/none", "/approvals/{approval_id}"))
        operation = spec["paths"][templated][method.lower()]
        assert set(operation["x-required-roles"]) == set(allowed), path


def test_disabled_user_token_is_refused(client: Any, rt: Any, make_user: Any) -> None:
    from service.models import User

    headers = make_user("leaver", "uploader")
    assert client.get("/v1/me", headers=headers).status_code == 200
    with rt.sessions.begin() as session:
        session.query(User).filter_by(name="leaver").one().disabled = True
    assert client.get("/v1/me", headers=headers).status_code == 401


def test_tokens_are_stored_only_as_hashes(client: Any, rt: Any, make_user: Any) -> None:
    from service.models import ApiToken

    headers = make_user("hashcheck", "uploader")
    token = headers["Authorization"].split()[1]
    with rt.sessions() as session:
        stored = [t.token_hash for t in session.query(ApiToken).all()]
    assert token not in stored
    assert all(len(h) == 64 for h in stored)


def test_admin_creates_user_and_token_over_api(client: Any, make_user: Any) -> None:
    admin = make_user("boss", "security_admin")
    created = client.post("/v1/users", headers=admin,
                          json={"name": "alice", "roles": ["uploader"],
                                "profile": "chiba-pref-2022"})
    assert created.status_code == 201
    assert created.get_json()["roles"] == ["uploader"]
    token = client.post("/v1/users/alice/tokens", headers=admin).get_json()["token"]
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["name"] == "alice" and me["effective_profile"] == "chiba-pref-2022"
    again = client.post("/v1/users", headers=admin, json={"name": "alice", "roles": ["auditor"]})
    assert again.status_code == 409 and again.get_json()["error"] == "user_exists"
    bad = client.post("/v1/users", headers=admin, json={"name": "bob", "roles": ["root"]})
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_role"


def test_token_use_is_recorded_for_account_reviews(client: Any, rt: Any,
                                                   make_user: Any) -> None:
    from service.auth import hash_token
    from service.models import ApiToken

    headers = make_user("reviewed", "auditor")
    digest = hash_token(headers["Authorization"].split()[1])

    def last_used() -> Any:
        with rt.sessions() as session:
            return session.query(ApiToken).filter_by(token_hash=digest).one().last_used_at

    assert last_used() is None
    assert client.get("/v1/me", headers=headers).status_code == 200
    assert last_used() is not None
