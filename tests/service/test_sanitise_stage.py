"""The sanitise stage in the service (issue 4): direction, profile modes, refusals by
code, quarantine on a malware detection, labelled file names and the label header."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from core.settings import load_settings
from service.app import create_app
from service.bootstrap import initialise
from service.jobs import run_job
from service.models import Job
from service.runtime import build_runtime
from tests.fixtures.clamd import SKIP_REASON, clamd_binary, running_clamd
from tests.fixtures.eicar import eicar
from tests.fixtures.officegen import make_docx
from tests.fixtures.ooxmldirty import make_dirty_word
from tests.fixtures.pdfgen import make_dirty_pdf, make_text_pdf


@pytest.fixture
def uploader(make_user: Any) -> dict[str, str]:
    return make_user("alice", "uploader")


def upload(client: Any, headers: dict[str, str], data: bytes, name: str,
           query: str = "") -> Any:
    return client.post(f"/v1/documents{query}", headers=headers,
                       data={"file": (io.BytesIO(data), name)})


def process(client: Any, rt: Any, headers: dict[str, str], data: bytes, name: str,
            query: str = "") -> dict[str, Any]:
    response = upload(client, headers, data, name, query)
    assert response.status_code == 202, response.get_json()
    doc_id = response.get_json()["id"]
    with rt.sessions() as session:
        job_id = session.query(Job).filter_by(document_id=doc_id).one().id
    run_job(rt, job_id)
    return dict(client.get(f"/v1/documents/{doc_id}", headers=headers).get_json())


def test_report_names_mode_policy_hashes_and_tools(
    client: Any, uploader: dict[str, str], rt: Any
) -> None:
    body = process(client, rt, uploader, make_dirty_pdf(), "report.pdf")
    assert body["state"] == "processed", body["error"]
    report = body["report"]["sanitise"]
    assert report["mode"] == "structural" and report["isolated"] is True
    assert report["policy"]["direction"] == "outbound"
    assert report["sha256_before"] == body["sha256"]
    assert report["sha256_after"] != report["sha256_before"]
    assert report["removed"]["javascript"] >= 1
    assert {"pikepdf", "qpdf"} <= set(report["tools"])
    assert report["malware_scan"] == {"scanned": False, "infected": False, "signature": None,
                                      "scanner": None}
    assert body["direction"] == "outbound" and body["sanitised_type"] == "application/pdf"


def test_direction_is_validated_before_anything_is_stored(
    client: Any, uploader: dict[str, str], rt: Any
) -> None:
    bad = upload(client, uploader, make_text_pdf("x"), "x.pdf", "?direction=sideways")
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_request"
    assert list((Path(rt.settings.blob_dir)).rglob("*.sealed")) == []
    body = process(client, rt, uploader, make_text_pdf("受信資料"), "in.pdf",
                   "?direction=inbound")
    assert body["direction"] == "inbound"
    policy = body["report"]["sanitise"]["policy"]
    assert policy["direction"] == "inbound" and policy["remove_links"] is True


@pytest.mark.parametrize(("data", "name"), [
    (b"MZ\x90\x00" + b"\x00" * 200, "tool.exe"),
    (b"var shell = new ActiveXObject('WScript.Shell'); shell.Run('calc');\n", "invoice.js"),
    (b"#!/bin/sh\nrm -rf ~\n", "notes.txt"),
])
def test_programs_and_scripts_are_refused_with_their_own_code(
    client: Any, uploader: dict[str, str], rt: Any, data: bytes, name: str
) -> None:
    body = process(client, rt, uploader, data, name)
    assert body["state"] == "failed"
    assert body["error"]["code"] == "executable_content"
    assert body["job"]["stage"] == "detect"


def test_labelled_download_is_named_and_carries_the_label(
    client: Any, uploader: dict[str, str], rt: Any
) -> None:
    body = process(client, rt, uploader, make_text_pdf("取扱注意 資料"), "資料.pdf")
    assert body["state"] == "processed"
    response = client.get(f"/v1/documents/{body['id']}/content", headers=uploader)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    disposition = unquote(response.headers["Content-Disposition"])
    assert disposition.endswith("【機密性2】資料.pdf"), disposition
    label = json.loads(unquote(response.headers["X-Sekisho-Label"]))
    assert label["confidentiality"] == body["labels"]["label"]["confidentiality"]
    original = client.get(f"/v1/documents/{body['id']}/content?variant=original",
                          headers=uploader)
    assert original.data.startswith(b"%PDF")
    assert unquote(original.headers["Content-Disposition"]).endswith("''資料.pdf")
    assert "X-Sekisho-Label" not in original.headers


@pytest.fixture
def clamd_socket(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if clamd_binary() is None:
        pytest.skip(SKIP_REASON)
    with running_clamd(tmp_path_factory.mktemp("clamd")) as socket_path:
        yield socket_path


def test_malware_is_quarantined_and_never_released(
    service_env: dict[str, str], clamd_socket: str
) -> None:
    settings = load_settings({**service_env, "SEKISHO_CLAMD": clamd_socket})
    initialise(settings, quiet=True)
    rt = build_runtime(settings)
    try:
        client = create_app(rt).test_client()
        headers = _user(rt)
        bad = process(client, rt, headers, eicar(), "readme.txt")
        assert bad["state"] == "quarantined"
        assert bad["error"]["code"] == "malware_detected"
        assert "Sekisho-Test.EICAR" in bad["error"]["message"]
        for variant in ("", "?variant=original"):
            denied = client.get(f"/v1/documents/{bad['id']}/content{variant}", headers=headers)
            assert denied.status_code == 403
            assert denied.get_json()["error"] == "forbidden"
        retry = client.post(f"/v1/documents/{bad['id']}/retry", headers=headers)
        assert retry.status_code == 409
        assert bad["history"][-1]["action"] == "document.quarantined"
        good = process(client, rt, headers, "普通の連絡です".encode(), "memo.txt")
        assert good["state"] == "processed"
        assert good["report"]["sanitise"]["malware_scan"]["scanned"] is True
    finally:
        rt.engine.dispose()


def _user(rt: Any) -> dict[str, str]:
    from service.accounts import create_token, create_user

    with rt.sessions.begin() as session:
        user = create_user(session, rt.audit_mac, name="carol", roles=("uploader",),
                           profile=None, actor="test", known_profiles=rt.profiles)
        token = create_token(session, rt.audit_mac, user=user, actor="test")
    return {"Authorization": f"Bearer {token}"}


def test_macro_document_leaves_as_a_macro_free_labelled_docx(
    client: Any, make_user: Any, rt: Any
) -> None:
    # Chiba: tracked changes are reported, not refused, outbound (the dirty fixture has some).
    headers = make_user("dora", "uploader", profile="chiba-pref-2022")
    body = process(client, rt, headers, make_dirty_word("取扱注意 会議資料", macro=True),
                   "会議資料.docm")
    assert body["state"] == "processed", body["error"]
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert body["content_type"] == "application/vnd.ms-word.document.macroenabled.12"
    assert body["sanitised_type"] == docx
    assert body["report"]["sanitise"]["removed"]
    response = client.get(f"/v1/documents/{body['id']}/content", headers=headers)
    assert response.mimetype == docx
    assert unquote(response.headers["Content-Disposition"]).endswith("【機密性2】会議資料.docx")
    with zipfile.ZipFile(io.BytesIO(response.data)) as package:
        names = package.namelist()
        assert not any("vbaProject" in n for n in names)
        assert "SekishoClassification" in package.read("docProps/custom.xml").decode()


def test_saitama_refuses_outbound_tracked_changes(
    client: Any, uploader: dict[str, str], rt: Any
) -> None:
    """Saitama 第3 4(3) (XFR-05): earlier drafts must not reach outsiders."""
    draft = make_docx(["取扱注意 会議資料"], inserted="追記", deleted="削除した案")
    body = process(client, rt, uploader, draft, "draft.docx")
    assert body["state"] == "failed"
    assert body["error"]["code"] == "refused_by_profile"
    assert "tracked_changes" in body["error"]["message"]
