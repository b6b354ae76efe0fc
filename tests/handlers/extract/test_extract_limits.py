"""Hostile containers: bombs refused, per-part limits reported, nesting bounded."""

from __future__ import annotations

import pytest

from core.errors import LimitExceeded, UnsupportedContent
from handlers.extract import collector, zipsafe
from handlers.extract.limits import MAX_ARCHIVE_MEMBERS, ArchiveBomb, TooManyMembers
from handlers.limits import TextTooLong
from tests.fixtures.archivegen import make_many_members, make_zip, make_zip_bomb
from tests.fixtures.mailgen import make_eml
from tests.fixtures.officegen import make_docx
from tests.fixtures.olegen import make_encrypted_ooxml, make_legacy_doc
from tests.fixtures.pdfgen import make_text_pdf
from tests.handlers.extract.support import extract_detected, reasons


def test_zip_bomb_is_refused() -> None:
    with pytest.raises(ArchiveBomb) as refused:
        extract_detected(make_zip_bomb())
    assert refused.value.code == "archive_bomb"


def test_bomb_disguised_as_a_document_is_refused() -> None:
    bomb = make_zip_bomb("word/document.xml", extra={"[Content_Types].xml": b"<Types/>"})
    with pytest.raises(ArchiveBomb):
        extract_detected(bomb)


def test_bomb_inside_an_attachment_refuses_the_message() -> None:
    message = make_eml("本文", attachments=[("a.zip", "application/zip", make_zip_bomb())])
    with pytest.raises(ArchiveBomb):
        extract_detected(message)


def test_too_many_members_is_refused() -> None:
    with pytest.raises(TooManyMembers):
        extract_detected(make_many_members(MAX_ARCHIVE_MEMBERS + 1))


def test_one_oversized_member_is_one_incomplete_part(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zipsafe, "MAX_MEMBER_BYTES", 1000)
    data = make_docx(["BODY"], comment="x" * 5000)
    extraction = extract_detected(data)
    assert "BODY" in extraction.text
    assert ("limit_exceeded", "word/comments.xml") in reasons(extraction)


def test_text_budget_spans_nesting_and_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector, "MAX_EXTRACTED_TEXT_CHARS", 500)
    archive = make_zip({f"{i}.txt": ("文" * 100).encode() for i in range(10)})
    with pytest.raises(TextTooLong):
        extract_detected(archive)


def test_plain_archive_members_are_read_by_position() -> None:
    archive = make_zip({
        "山田/報告.docx": make_docx(["ARCHIVED-DOCX-MARK"]),
        "b.pdf": make_text_pdf("ARCHIVED-PDF-MARK"),
        "secret.txt": b"locked",
        "nested.zip": make_zip({"deep.txt": b"NESTED-MARK"}),
    }, encrypted=frozenset({"secret.txt"}))
    extraction = extract_detected(archive)
    for mark in ("ARCHIVED-DOCX-MARK", "ARCHIVED-PDF-MARK", "NESTED-MARK"):
        assert mark in extraction.text
    assert "member[2]:application/pdf" in extraction.parts
    assert "member[4]/member[1]:text/plain" in extraction.parts
    assert ("password_protected", "member[3]") in reasons(extraction)
    assert not any("山田" in part for part in extraction.parts)


def test_nesting_depth_is_bounded() -> None:
    archive = make_zip({"deep.txt": b"DEEPEST-MARK"})
    for _level in range(6):
        archive = make_zip({"inner.zip": archive})
    extraction = extract_detected(archive)
    assert "DEEPEST-MARK" not in extraction.text
    assert any(reason == "limit_exceeded" for reason, _part in reasons(extraction))


def test_encrypted_ooxml_is_password_protected() -> None:
    extraction = extract_detected(make_encrypted_ooxml())
    assert extraction.text == ""
    assert reasons(extraction) == {("password_protected", "encrypted_package")}


def test_legacy_office_is_named_unsupported_not_refused() -> None:
    extraction = extract_detected(make_legacy_doc())
    assert reasons(extraction) == {("unsupported_part", "legacy_word")}


def test_executables_are_unsupported() -> None:
    with pytest.raises(UnsupportedContent):
        extract_detected(b"MZ\x90\x00" + b"\x00" * 200)


def test_limit_errors_have_their_own_codes() -> None:
    codes = {ArchiveBomb.code, TooManyMembers.code, zipsafe.MemberTooLarge.code}
    assert len(codes) == 3
    assert all(issubclass(e, LimitExceeded) for e in (ArchiveBomb, TooManyMembers))
