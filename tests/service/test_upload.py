"""Uploads: streamed, encrypted from the first byte, size-limited, bad input -> clear errors."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings


@pytest.fixture
def uploader(make_user: Any) -> dict[str, str]:
    return make_user("alice", "uploader")


def test_multipart_upload_records_hash_size_and_is_ciphertext(
    client: Any, uploader: dict[str, str], settings: Settings
) -> None:
    data = b"sekisho-unique-marker-7f3a " * 5000
    response = client.post("/v1/documents", headers=uploader,
                           data={"file": (io.BytesIO(data), "報告書.txt")})
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["filename"] == "報告書.txt"
    assert body["state"] == "received"
    assert body["job"]["state"] == "queued"
    assert response.headers["Location"].endswith(body["id"])
    blobs = list((settings.data_dir / "blobs").rglob("*.sealed"))
    assert len(blobs) == 1
    assert b"sekisho-unique-marker" not in blobs[0].read_bytes()


def test_raw_body_upload_with_filename_header(client: Any, uploader: dict[str, str]) -> None:
    response = client.post("/v1/documents", data=b"%PDF-1.4 not really",
                           headers={**uploader, "Content-Type": "application/pdf",
                                    "X-Sekisho-Filename": "%E7%A7%98.pdf"})
    assert response.status_code == 202
    body = response.get_json()
    assert body["filename"] == "秘.pdf"
    assert body["declared_type"] == "application/pdf"


def test_path_components_are_stripped_from_names(client: Any, uploader: dict[str, str]) -> None:
    response = client.post("/v1/documents", headers=uploader,
                           data={"file": (io.BytesIO(b"x"), "../../etc/passwd")})
    assert response.get_json()["filename"] == "passwd"


def test_oversized_upload_is_413_and_leaves_nothing(
    client: Any, uploader: dict[str, str], settings: Settings, rt: Any
) -> None:
    from dataclasses import replace

    rt.settings = replace(settings, max_upload_bytes=1000)
    response = client.post("/v1/documents", headers=uploader,
                           data={"file": (io.BytesIO(b"a" * 5000), "big.txt")})
    assert response.status_code == 413
    assert response.get_json()["error"] == "payload_too_large"
    assert list(Path(settings.data_dir / "blobs").rglob("*.sealed*")) == []
    # a raw body whose Content-Length is over the limit is refused before reading
    response = client.post("/v1/documents", headers=uploader, data=b"b" * 70_000)
    assert response.status_code == 413


@pytest.mark.parametrize("body,content_type,code", [
    (b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc",
     "multipart/form-data; boundary=xyz", "malformed_multipart"),
    (b"garbage", "multipart/form-data", "malformed_multipart"),
    (b"--xyz\r\nno headers here\r\n\r\nabc\r\n--xyz--\r\n",
     "multipart/form-data; boundary=xyz", "malformed_multipart"),
    (b"--xyz\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nabc\r\n--xyz--\r\n",
     "multipart/form-data; boundary=xyz", "missing_file"),
])
def test_malformed_multipart_is_400(client: Any, uploader: dict[str, str], body: bytes,
                                    content_type: str, code: str, settings: Settings) -> None:
    response = client.post("/v1/documents", data=body,
                           headers={**uploader, "Content-Type": content_type})
    assert response.status_code == 400
    assert response.get_json()["error"] == code
    assert list(Path(settings.data_dir / "blobs").rglob("*.sealed*")) == []


def test_unknown_document_is_404(client: Any, uploader: dict[str, str]) -> None:
    for path in ("/v1/documents/nope", "/v1/documents/nope/content"):
        response = client.get(path, headers=uploader)
        assert response.status_code == 404
        assert response.get_json()["error"] == "not_found"


def test_other_users_documents_are_invisible(client: Any, make_user: Any,
                                             uploader: dict[str, str]) -> None:
    doc = client.post("/v1/documents", headers=uploader,
                      data={"file": (io.BytesIO(b"mine"), "m.txt")}).get_json()
    mallory = make_user("mallory", "uploader")
    assert client.get(f"/v1/documents/{doc['id']}", headers=mallory).status_code == 404
    assert client.get(f"/v1/documents/{doc['id']}/content", headers=mallory).status_code == 404
    assert client.get("/v1/documents", headers=mallory).get_json()["documents"] == []
    auditor = make_user("audrey", "auditor")
    assert client.get(f"/v1/documents/{doc['id']}", headers=auditor).status_code == 200
    assert client.get(f"/v1/documents/{doc['id']}/content", headers=auditor).status_code == 403


def test_original_content_round_trips(client: Any, uploader: dict[str, str]) -> None:
    data = bytes(range(256)) * 1000
    doc = client.post("/v1/documents", headers=uploader,
                      data={"file": (io.BytesIO(data), "bin.dat")}).get_json()
    response = client.get(f"/v1/documents/{doc['id']}/content?variant=original", headers=uploader)
    assert response.status_code == 200
    assert response.data == data
    assert response.headers["X-Sekisho-Variant"] == "original"
    missing = client.get(f"/v1/documents/{doc['id']}/content?variant=labelled", headers=uploader)
    assert missing.status_code == 404


def test_a_plain_download_before_processing_never_returns_the_original(
        client: Any, uploader: dict[str, str]) -> None:
    """The upload still carries its JavaScript and metadata: without ?variant only a cleaned
    version is returned, and before there is one the answer says to wait."""
    doc = client.post("/v1/documents", headers=uploader,
                      data={"file": (io.BytesIO(b"%PDF-1.7 not yet cleaned"), "a.pdf")}
                      ).get_json()
    early = client.get(f"/v1/documents/{doc['id']}/content", headers=uploader)
    assert early.status_code == 409
    assert early.get_json()["error"] == "not_processed"
    assert b"not yet cleaned" not in early.data


def test_errors_never_leak_a_stack_trace(client: Any, uploader: dict[str, str]) -> None:
    response = client.post("/v1/documents/abc/content", headers=uploader)
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"
    assert "Traceback" not in response.get_data(as_text=True)
