"""Opening ODF validates at once: bad packages, encryption, hostile XML and bombs are
refused with their own error codes; damaged pictures are dropped, never passed through."""

from __future__ import annotations

import io
import zipfile

import pytest

from core.errors import ContentRejected, EncryptedContent
from handlers.odf import OdsHandler, OdtHandler
from handlers.odf import package as package_module
from tests.fixtures.odfdirty import make_dirty_odf, package_text
from tests.fixtures.odfgen import make_dirty_odt, make_odt
from tests.handlers.odf.support import clean, hrefs, members, rezip, xml

CONTENT_START = ('<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:'
                 'tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:'
                 'opendocument:xmlns:text:1.0"><office:body><office:text>')
CONTENT_END = "</office:text></office:body></office:document-content>"


def code_of(data: bytes, handler: type[OdtHandler] | type[OdsHandler] = OdtHandler) -> str:
    with pytest.raises(ContentRejected) as caught:
        handler.open(data)
    assert "ODF-" not in str(caught.value)  # errors name the problem, never the content
    return caught.value.code


def test_password_protected_documents_are_refused() -> None:
    with pytest.raises(EncryptedContent):
        OdtHandler.open(make_dirty_odt(encrypted=True))


@pytest.mark.parametrize(("replace", "code"), [
    ({"META-INF/manifest.xml": None}, "odf_package_invalid"),
    ({"content.xml": None}, "odf_package_invalid"),
    ({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}, "odf_package_invalid"),
    ({"Content.XML": b"<x/>"}, "odf_package_invalid"),  # two readings of one name
    ({"content.xml": b"<office:document-styles xmlns:office='urn:oasis:names:tc:"
                     b"opendocument:xmlns:office:1.0'/>"}, "odf_package_invalid"),
    ({"content.xml": b"<not-xml"}, "xml_corrupt"),
    ({"content.xml": b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'}, "xml_forbidden"),
    ({"meta.xml": b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>'}, "xml_forbidden"),
    ({"content.xml": (CONTENT_START + "<text:span>" * 300 + "</text:span>" * 300
                      + CONTENT_END).encode()}, "xml_too_complex"),
])
def test_invalid_packages_are_refused(replace: dict[str, bytes | None], code: str) -> None:
    assert code_of(rezip(make_odt(["body"]), replace)) == code


def test_a_spreadsheet_body_in_a_text_package_is_refused() -> None:
    data = make_dirty_odf("spreadsheet")
    assert code_of(rezip(data, {"mimetype": b"application/vnd.oasis.opendocument.text"})) == (
        "odf_package_invalid")


def test_a_zip_bomb_member_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members(make_odt(["body"])).items():
            archive.writestr(name, body)
        archive.writestr("Thumbnails/thumbnail.png", b"\x00" * (8 * 1024 * 1024))
    assert code_of(out.getvalue()) == "archive_bomb"


def test_the_picture_count_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package_module, "MAX_ODF_PICTURES", 1)
    assert code_of(make_dirty_odf("text")) == "too_many_pictures"


def test_a_damaged_picture_is_dropped_with_every_reference_to_it() -> None:
    data = rezip(make_dirty_odf("text"), {"Pictures/photo.jpg": b"\xff\xd8\xff\xe0garbage"})
    cleaned, removed = clean(OdtHandler, data)
    assert removed["unreadable_pictures"] == 1
    assert "Pictures/photo.jpg" not in members(cleaned)
    assert "Pictures/photo.jpg" not in hrefs(xml(cleaned, "content.xml"))


def test_an_encrypted_member_in_the_zip_is_refused() -> None:
    data = bytearray(make_odt(["body"]))
    # Set the "encrypted" flag of content.xml in its central directory entry.
    at = data.rfind(b"PK\x01\x02", 0, data.rfind(b"content.xml"))
    data[at + 8] |= 0x01
    assert code_of(bytes(data)) == "encrypted_content"


def test_xml_comments_and_processing_instructions_are_not_copied() -> None:
    cleaned, _ = clean(OdtHandler, make_dirty_odf("text"))
    assert "<!--" not in package_text(cleaned)
