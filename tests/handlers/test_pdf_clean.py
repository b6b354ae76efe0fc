"""PDF sanitising (Chiba 2(12) 無害化; Saitama 第3 4(3) 属性情報): every item on the removal
list that a generated dirty PDF carries is gone after clean(), checked by a fresh pikepdf
parse and by qpdf; metadata values are absent from the bytes."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pikepdf
import pytest

from core.errors import VerificationFailed
from handlers.detect import detect
from handlers.pdf import PdfHandler
from tests.fixtures.pdfgen import (
    DIRTY_AUTHOR,
    EMBEDDED_MARKER,
    JS_MARKER,
    XMP_MARKER,
    make_dirty_pdf,
    make_incrementally_updated_pdf,
    make_pdf_with_appended_zip,
    make_text_pdf,
)
from tests.handlers.pdftools import (
    all_keys_and_action_types,
    contains_text,
    expand,
    needs_qpdf,
    qpdf,
    qpdf_expand,
)

#: Kinds the dirty fixture carries; each must be reported before and gone after.
DIRTY_KINDS = [
    "javascript", "open_action", "additional_actions", "action_launch", "action_submit_form",
    "action_import_data", "action_remote_goto", "action_embedded_goto", "action_uri",
    "action_named", "action_other", "multimedia", "rich_media", "xfa", "embedded_files",
    "associated_files", "portfolio",
    "xmp_metadata", "piece_info", "thumbnail", "web_capture", "catalog_other", "trailer_other",
]
#: Keys that must not exist anywhere in a cleaned file.
FORBIDDEN_KEYS = [
    "/JS", "/JavaScript", "/OpenAction", "/AA", "/Metadata", "/XFA", "/NeedsRendering",
    "/EmbeddedFiles", "/EF", "/AF", "/PieceInfo", "/Thumb", "/Collection", "/SpiderInfo",
    "/RichMediaContent", "/RichMediaSettings", "/PrivateCatalogKey", "/PrivateTrailerKey",
]
FORBIDDEN_ACTIONS = [
    "/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE",
    "/RichMediaExecute", "/Rendition", "/SetOCGState",
]
MARKERS = ["DIRTY-AUTHOR-7f3a", DIRTY_AUTHOR, XMP_MARKER, "app.alert", "private application data",
           "catalog secret", "trailer secret", EMBEDDED_MARKER.decode()]


@pytest.fixture(scope="module")
def dirty() -> bytes:
    return make_dirty_pdf()


@pytest.fixture(scope="module")
def cleaned(dirty: bytes) -> bytes:
    with PdfHandler.open(dirty) as handler:
        return handler.clean()


@pytest.mark.parametrize("kind", DIRTY_KINDS)
def test_each_dirty_kind_is_reported_then_gone(dirty: bytes, cleaned: bytes, kind: str) -> None:
    with PdfHandler.open(dirty) as before:
        assert kind in before.inspect().removable()
    with PdfHandler.open(cleaned) as after:
        assert after.inspect().removable() == {}


@pytest.mark.parametrize("key", FORBIDDEN_KEYS)
def test_forbidden_key_present_before_and_absent_after(
    dirty: bytes, cleaned: bytes, key: str
) -> None:
    keys_before, _ = all_keys_and_action_types(dirty)
    keys_after, _ = all_keys_and_action_types(cleaned)
    assert key in keys_before  # the fixture really carries it: this test can fail
    assert key not in keys_after


@pytest.mark.parametrize("action", FORBIDDEN_ACTIONS)
def test_forbidden_action_present_before_and_absent_after(
    dirty: bytes, cleaned: bytes, action: str
) -> None:
    _, actions_before = all_keys_and_action_types(dirty)
    _, actions_after = all_keys_and_action_types(cleaned)
    assert action in actions_before
    assert action not in actions_after


def annotation_subtypes(data: bytes) -> set[str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return {str(annot.Subtype) for page in pdf.pages for annot in page.obj.get("/Annots", [])}


def test_media_annotations_are_removed(dirty: bytes, cleaned: bytes) -> None:
    assert {"/RichMedia", "/Screen"} <= annotation_subtypes(dirty)
    assert annotation_subtypes(cleaned) == {"/Link", "/Widget", "/FileAttachment"}


def test_docinfo_and_xmp_are_gone(cleaned: bytes) -> None:
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        assert "/Info" not in pdf.trailer
        assert "/Metadata" not in pdf.Root
        assert all("/Metadata" not in page.obj for page in pdf.pages)


@pytest.mark.parametrize("marker", MARKERS)
def test_marker_values_absent_from_cleaned_bytes(dirty: bytes, cleaned: bytes, marker: str) -> None:
    assert contains_text(expand(dirty), marker)  # present before, in some encoding
    assert not contains_text(cleaned, marker)
    assert not contains_text(expand(cleaned), marker)


def test_unique_ascii_author_absent_from_raw_and_expanded_bytes() -> None:
    author = "UNIQUE-AUTHOR-Q9Z8X7"
    dirty = make_text_pdf("本文", metadata={"Author": author, "Subject": "件名"})
    assert author.encode() in dirty
    with PdfHandler.open(dirty) as handler:
        cleaned = handler.clean()
    assert author.encode() not in cleaned
    assert author.encode() not in expand(cleaned)


def test_safe_content_is_kept(cleaned: bytes) -> None:
    """Not over-stripped: pages, text, the https link and the form field survive."""
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        assert len(pdf.pages) == 2
        uris = [
            str(annot.A.URI) for annot in pdf.pages[0].Annots
            if "/A" in annot and annot.A.get("/S") == pikepdf.Name.URI
        ]
        assert uris == ["https://example.org/kept"]
        kept = [annot for annot in pdf.pages[0].Annots if "/A" in annot]
        assert "/Next" not in kept[-1].A  # the https link's chained Launch was cut
        assert [str(annot.A.S) for annot in kept] == ["/GoTo", "/URI"]
        assert len(pdf.Root.AcroForm.Fields) == 1
    with PdfHandler.open(cleaned) as handler:
        text = handler.extract_text()
    assert "機密性２ 取扱注意" in text
    assert "field value" in text


def test_removed_counts_match_inspection(dirty: bytes) -> None:
    with PdfHandler.open(dirty) as handler:
        removable = handler.inspect().removable()
        assert handler.removed == {}
        handler.clean()
        removed = handler.removed
    for kind, count in removable.items():
        assert removed[kind] == count
    assert removed["document_info"] == 1
    assert removed["document_id"] == 1


def test_inspection_names_keys_but_holds_no_values(dirty: bytes) -> None:
    with PdfHandler.open(dirty) as handler:
        inspection = handler.inspect()
    assert "/Author" in inspection.metadata_keys
    assert "XMP" in inspection.metadata_keys
    report = json.dumps(inspection.to_dict(), ensure_ascii=False)
    for marker in [DIRTY_AUTHOR, XMP_MARKER, JS_MARKER, "dirty title", "payload.txt"]:
        assert marker not in report


def test_previous_revision_is_gone() -> None:
    """An incremental update leaves the old DocInfo in the bytes; the rewrite drops it."""
    data = make_incrementally_updated_pdf("OLD-REVISION-AUTHOR", "NEW-REVISION-AUTHOR")
    assert b"OLD-REVISION-AUTHOR" in data
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.docinfo["/Author"]) == "NEW-REVISION-AUTHOR"
    with PdfHandler.open(data) as handler:
        cleaned = handler.clean()
    for marker in (b"OLD-REVISION-AUTHOR", b"NEW-REVISION-AUTHOR"):
        assert marker not in cleaned
        assert marker not in expand(cleaned)
    assert cleaned.count(b"%%EOF") == 1  # one revision, not an appended update


def test_appended_zip_is_dropped_by_the_rewrite() -> None:
    data = make_pdf_with_appended_zip()
    with PdfHandler.open(data) as handler:
        cleaned = handler.clean()
    assert not zipfile.is_zipfile(io.BytesIO(cleaned))
    assert detect(cleaned, "out.pdf").findings == ()


def test_original_document_id_is_replaced(dirty: bytes, cleaned: bytes) -> None:
    with pikepdf.open(io.BytesIO(dirty)) as before, pikepdf.open(io.BytesIO(cleaned)) as after:
        old_ids = {bytes(part) for part in before.trailer.ID}
        new_ids = {bytes(part) for part in after.trailer.ID}
    assert old_ids.isdisjoint(new_ids)


def test_clean_is_deterministic_and_idempotent(dirty: bytes, cleaned: bytes) -> None:
    with PdfHandler.open(dirty) as handler:
        assert handler.clean() == cleaned
    with PdfHandler.open(cleaned) as handler:
        again = handler.clean()
        assert handler.removed.get("document_info") is None
    assert PdfHandler.verify(again).removable() == {}


def test_clean_discards_output_that_fails_verification(
    dirty: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Design: an output that fails verification is discarded, inside clean() itself."""
    monkeypatch.setattr("handlers.pdf.handler.remove", lambda hazards: None)
    with PdfHandler.open(dirty) as handler:
        with pytest.raises(VerificationFailed):
            handler.clean()
        assert handler.removed == {}


def test_associated_files_on_pages_are_removed(dirty: bytes, cleaned: bytes) -> None:
    with pikepdf.open(io.BytesIO(dirty)) as before, pikepdf.open(io.BytesIO(cleaned)) as after:
        assert "/AF" in before.pages[0].obj
        assert "/AF" not in after.pages[0].obj


def test_verify_rejects_the_dirty_original(dirty: bytes) -> None:
    with pytest.raises(VerificationFailed) as raised:
        PdfHandler.verify(dirty)
    assert "javascript" in raised.value.message
    assert DIRTY_AUTHOR not in raised.value.message


def test_verify_rejects_metadata_added_after_cleaning(cleaned: bytes) -> None:
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        pdf.docinfo["/Author"] = "sneaked back"
        out = io.BytesIO()
        pdf.save(out)
    with pytest.raises(VerificationFailed, match="metadata:/Author"):
        PdfHandler.verify(out.getvalue())


def test_verify_rejects_output_with_appended_zip(cleaned: bytes) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("x.txt", "x")
    with pytest.raises(VerificationFailed, match="polyglot"):
        PdfHandler.verify(cleaned + archive.getvalue())


def test_verify_rejects_unparseable_output() -> None:
    with pytest.raises(VerificationFailed, match="corrupt_file"):
        PdfHandler.verify(b"%PDF-1.7\nnot really\n")


# --- the same claims, checked by qpdf (an independent parser) -----------------------------


@needs_qpdf
def test_qpdf_check_passes_on_cleaned(tmp_path, cleaned: bytes) -> None:
    result = qpdf(tmp_path, cleaned, "--check")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_qpdf
def test_qpdf_sees_the_same_pages(tmp_path, dirty: bytes, cleaned: bytes) -> None:
    before = qpdf(tmp_path, dirty, "--show-npages").stdout.strip()
    after = qpdf(tmp_path, cleaned, "--show-npages").stdout.strip()
    assert before == after == b"2"


@needs_qpdf
def test_qpdf_lists_no_attachments(tmp_path, dirty: bytes, cleaned: bytes) -> None:
    assert b"payload.txt" in qpdf(tmp_path, dirty, "--list-attachments").stdout
    assert b"has no embedded files" in qpdf(tmp_path, cleaned, "--list-attachments").stdout


@needs_qpdf
@pytest.mark.parametrize("key", FORBIDDEN_KEYS + FORBIDDEN_ACTIONS)
def test_qpdf_expansion_has_no_forbidden_names(
    tmp_path, dirty: bytes, cleaned: bytes, key: str
) -> None:
    pattern = re.compile(re.escape(key.encode()) + rb"(?![A-Za-z0-9])")
    assert pattern.search(qpdf_expand(tmp_path, dirty))
    assert not pattern.search(qpdf_expand(tmp_path, cleaned))


@needs_qpdf
@pytest.mark.parametrize("marker", MARKERS)
def test_qpdf_expansion_has_no_marker(tmp_path, cleaned: bytes, marker: str) -> None:
    assert not contains_text(qpdf_expand(tmp_path, cleaned), marker)
