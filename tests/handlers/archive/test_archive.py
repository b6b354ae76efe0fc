"""ZIP archives: members cleaned by their own handlers, unsafe archives refused, the rebuilt
archive deterministic and free of 属性情報 (Saitama 第3 4(3))."""

from __future__ import annotations

import io
import json
import shutil
import stat
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest

from core.errors import EncryptedContent, MalwareDetected, VerificationFailed
from handlers.archive import ZipHandler
from handlers.archive.limits import ArchiveMemberRefused
from handlers.base import Cleaned, CleanOptions, LabelStamp
from handlers.pdf import PdfHandler
from tests.fixtures.archivedirty import (
    EXTENDED_TIMESTAMP,
    Entry,
    make_archive,
    make_cp932_named_archive,
    make_dirty_archive,
    make_fifo_archive,
    make_nested_archive,
    make_symlink_archive,
)
from tests.fixtures.archivegen import make_many_members, make_zip, make_zip_bomb
from tests.fixtures.pdfgen import make_dirty_pdf
from tests.handlers.archive.support import make_member_cleaner, options_with_cleaner

PDF_AUTHOR = "ZIP-PDF-AUTHOR-SECRET"
MEMBERS = {
    "報告書/議事録.pdf": make_dirty_pdf("議事録", author=PDF_AUTHOR),
    "報告書/page.html": b"<p>HTML-MEMBER <script>ZIP-SCRIPT</script></p>",
    "memo.txt": "メモ\x07\n".encode("cp932"),
    "empty.txt": b"",
}


def _clean(data: bytes, options: CleanOptions | None = None) -> tuple[bytes, ZipHandler]:
    with ZipHandler.open(data, options or options_with_cleaner()) as handler:
        return handler.clean(), handler


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _code(data: bytes, options: CleanOptions | None = None) -> str | None:
    with pytest.raises(Exception) as raised:
        _clean(data, options)
    return getattr(raised.value, "code", None)


def test_members_are_cleaned_renamed_and_metadata_dropped() -> None:
    cleaned, handler = _clean(make_dirty_archive(MEMBERS, comment=b"COMMENT-SECRET"))
    members = _members(cleaned)
    assert list(members) == ["empty.txt", "memo.txt", "報告書/page.txt", "報告書/議事録.pdf"]
    assert members["memo.txt"] == "メモ\n".encode()
    assert members["報告書/page.txt"] == b"HTML-MEMBER\n"
    assert members["empty.txt"] == b""
    pdf = members["報告書/議事録.pdf"]
    assert PdfHandler.verify(pdf).problems() == [] and PDF_AUTHOR.encode() not in pdf
    assert b"COMMENT-SECRET" not in cleaned and b"member note" not in cleaned
    assert handler.removed == {
        "archive_comment": 1, "member_comment": 4, "extra_field": 4, "member_timestamp": 4,
        "file_permissions": 4, "directory_entry": 1, "os_metadata_file": 3}
    assert [r["mime"] for r in handler.member_reports] == [
        "application/pdf", "text/plain", "text/plain"]


def test_rebuilt_entries_carry_no_attributes() -> None:
    cleaned, _ = _clean(make_dirty_archive(MEMBERS))
    with zipfile.ZipFile(io.BytesIO(cleaned)) as archive:
        assert archive.comment == b""
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == stat.S_IFREG | 0o644
            assert (info.extra, info.comment) == (b"", b"")
    assert EXTENDED_TIMESTAMP not in cleaned
    assert ZipHandler.verify(cleaned).problems() == []


def test_clean_is_deterministic_and_idempotent() -> None:
    first, _ = _clean(make_dirty_archive(MEMBERS))
    assert _clean(make_dirty_archive(MEMBERS))[0] == first
    again, handler = _clean(first)
    assert again == first and handler.removed == {}


def test_cp932_names_are_read_as_their_writer_meant_them() -> None:
    cleaned, _ = _clean(make_cp932_named_archive("表計算の説明.txt", b"text\n"))
    assert list(_members(cleaned)) == ["表計算の説明.txt"]  # 表 has a 0x5C trail byte


@pytest.mark.parametrize("name", [
    "../evil.txt", "a/../../evil.txt", "/etc/passwd", "C:/windows/x.txt", "C:x.txt",
    "a\\..\\b.txt", "a//b.txt", "./a.txt", "a/./b.txt", "con.txt", "dir/nul", "trail. ",
    "x\u202etxt.exe", "nul\x00byte.txt", "file.txt:stream", "a" * 1100,
])
def test_unsafe_paths_refuse_the_archive(name: str) -> None:
    data = make_archive([Entry("ok.txt", b"ok"), Entry(name, b"x")])
    assert _code(data) == "unsafe_member_path"


def test_links_and_special_files_are_refused() -> None:
    assert _code(make_symlink_archive()) == "symlink_member"
    assert _code(make_fifo_archive()) == "special_file_member"


@pytest.mark.parametrize("names", [
    ("a.txt", "a.txt"), ("Report.txt", "report.TXT"),
    (unicodedata.normalize("NFC", "が.txt"), unicodedata.normalize("NFD", "が.txt")),
    ("a", "a/b.txt"), ("page.html", "page.txt"),
])
def test_duplicate_names_are_refused(names: tuple[str, str]) -> None:
    data = make_archive([Entry(name, b"<html><body>x</body></html>" if name.endswith("html")
                               else b"plain text\n") for name in names])
    assert _code(data) == "duplicate_member"


def test_encrypted_members_are_refused() -> None:
    with pytest.raises(EncryptedContent):
        ZipHandler.open(make_zip({"a.txt": b"x"}, encrypted=frozenset({"a.txt"})))


@pytest.mark.parametrize(("data", "code"), [
    (make_zip_bomb(), "archive_bomb"),
    (make_many_members(10_001), "too_many_members"),
    (b"PK\x03\x04 not really an archive", "corrupt_file"),
])
def test_hostile_archives_are_refused_at_open(data: bytes, code: str) -> None:
    with pytest.raises(Exception) as raised:
        ZipHandler.open(data)
    assert getattr(raised.value, "code", None) == code


@pytest.mark.parametrize(("limit", "code"), [
    ("MAX_CLEAN_MEMBERS", "too_many_members"),
    ("MAX_CLEAN_EXPANDED_BYTES", "archive_expansion_too_large"),
])
def test_cleaning_limits(monkeypatch: pytest.MonkeyPatch, limit: str, code: str) -> None:
    monkeypatch.setattr(f"handlers.archive.handler.{limit}", 2)
    with pytest.raises(Exception) as raised:
        ZipHandler.open(make_zip({"a.txt": b"abc", "b.txt": b"def", "c.txt": b"ghi"}))
    assert getattr(raised.value, "code", None) == code


def test_a_refused_member_refuses_the_archive_by_position_and_code() -> None:
    data = make_archive([Entry("a.txt", b"ok"), Entry("秘密の給与一覧.exe", b"MZ" + b"\0" * 200)])
    with pytest.raises(ArchiveMemberRefused) as raised:
        _clean(data)
    assert raised.value.code == "archive_member_refused"
    assert (raised.value.member_path, raised.value.member_code) == ((2,), "unsupported_content")
    assert "給与" not in raised.value.message and "exe" not in raised.value.message


def test_nesting_is_cleaned_recursively_up_to_the_limit() -> None:
    calls: list[tuple[str, int]] = []
    options = CleanOptions(member_cleaner=make_member_cleaner(calls=calls))
    cleaned, _ = _clean(make_nested_archive(3, {"deep.txt": b"deep\n"}), options)
    assert calls == [("application/zip", 1), ("application/zip", 2), ("text/plain", 3)]
    inner = _members(_members(_members(cleaned)["level1.zip"])["level0.zip"])
    assert inner == {"deep.txt": b"deep\n"}
    with pytest.raises(ArchiveMemberRefused) as raised:
        _clean(make_nested_archive(6, {"deep.txt": b"deep\n"}), options)
    assert raised.value.member_path == (1, 1, 1, 1, 1)
    assert raised.value.member_code == "nesting_too_deep"
    assert raised.value.message == "member 1/1/1/1/1 was refused (nesting_too_deep)"
    with pytest.raises(Exception) as raised:
        ZipHandler.open(make_zip({"a.txt": b"x"}), CleanOptions(depth=5))
    assert getattr(raised.value, "code", None) == "nesting_too_deep"


def test_malware_in_a_member_is_not_reduced_to_a_member_refusal() -> None:
    def infected(data: bytes, name: str, depth: int) -> Cleaned:
        raise MalwareDetected()

    with pytest.raises(MalwareDetected):
        _clean(make_zip({"a.txt": b"x"}), CleanOptions(member_cleaner=infected))


def test_without_a_member_cleaner_archives_with_members_are_refused() -> None:
    assert _code(make_zip({"a.txt": b"x"}), CleanOptions()) == "member_cleaner_missing"
    cleaned, _ = _clean(make_archive([Entry("Thumbs.db", b"x")]), CleanOptions())
    assert _members(cleaned) == {}


def test_inspection_holds_no_names_or_content() -> None:
    with ZipHandler.open(make_dirty_archive(MEMBERS, comment=b"COMMENT-SECRET")) as handler:
        report = json.dumps(handler.inspect().to_dict(), ensure_ascii=False)
    for value in ("議事録", "page", "memo", "COMMENT-SECRET", "member note"):
        assert value not in report


STAMP = LabelStamp({"confidentiality": "C2"}, "機密性2")


def test_label_in_the_archive_comment() -> None:
    cleaned, _ = _clean(make_dirty_archive(MEMBERS))
    labelled = ZipHandler.write_label(cleaned, STAMP)
    assert zipfile.ZipFile(io.BytesIO(labelled)).comment == (
        b'sekisho-label: {"confidentiality":"C2"}')
    assert ZipHandler.read_label(labelled) == {"confidentiality": "C2"}
    assert _members(labelled) == _members(cleaned)
    relabelled = ZipHandler.write_label(labelled, LabelStamp({"confidentiality": "C3"}, "3"))
    assert ZipHandler.read_label(relabelled) == {"confidentiality": "C3"}
    again, handler = _clean(labelled)
    assert again == cleaned and handler.removed == {"sekisho-label": 1}


def test_a_forged_comment_label_is_not_a_label() -> None:
    forged = make_archive([Entry("a.txt", b"plain text\n", date_time=(1980, 1, 1, 0, 0, 0))],
                          comment=b'sekisho-label: {"confidentiality": "C1"}')
    assert ZipHandler.read_label(forged) is None
    with pytest.raises(VerificationFailed):
        ZipHandler.verify(forged)
    cleaned, _ = _clean(forged)
    assert ZipHandler.read_label(cleaned) is None


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip not installed")
def test_unzip_accepts_the_output_and_extracts_only_the_cleaned_files(tmp_path: Path) -> None:
    cleaned, _ = _clean(make_dirty_archive(MEMBERS))
    archive = tmp_path / "out.zip"
    archive.write_bytes(ZipHandler.write_label(cleaned, STAMP))
    tested = subprocess.run(["unzip", "-t", str(archive)], capture_output=True, text=True,
                            check=True)
    assert "No errors detected" in tested.stdout
    subprocess.run(["unzip", "-q", str(archive), "-d", str(tmp_path / "x")], check=True)
    extracted = sorted(str(p.relative_to(tmp_path / "x")) for p in
                       (tmp_path / "x").rglob("*") if p.is_file())
    assert extracted == ["empty.txt", "memo.txt", "報告書/page.txt", "報告書/議事録.pdf"]
    comment = subprocess.run(["unzip", "-z", str(archive)], capture_output=True, check=True)
    assert b'sekisho-label: {"confidentiality":"C2"}' in comment.stdout
