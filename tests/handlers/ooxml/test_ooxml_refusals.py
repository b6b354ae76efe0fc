"""Hostile and damaged packages: refused at open with a specific code and without echoing
content; parts outside the allow-list, or lying about their type, are dropped."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile

import pytest

from core.errors import ContentRejected, EncryptedContent, SekishoError, UnsupportedContent
from handlers.ooxml import ExcelHandler, PowerPointHandler, WordHandler
from handlers.ooxml import package as package_module
from tests.fixtures.officegen import make_docx, make_pptx, make_xlsx
from tests.fixtures.olegen import make_encrypted_ooxml, make_legacy_doc
from tests.fixtures.ooxmldirty import PackageEditor
from tests.handlers.ooxml.support import clean, contains, members

SECRET = "REFUSAL-SECRET-9ca3"
HANDLERS = [WordHandler, ExcelHandler, PowerPointHandler]


def _refused(handler: type[WordHandler], data: bytes, code: str) -> SekishoError:
    with pytest.raises((ContentRejected, UnsupportedContent)) as raised:
        handler.open(data)
    assert raised.value.code == code, raised.value.code
    assert SECRET not in raised.value.message
    return raised.value


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names we want
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, body in entries:
                archive.writestr(name, body)
    return out.getvalue()


def _with_document(body: str) -> bytes:
    editor = PackageEditor(make_docx([SECRET]))
    editor.insert("word/document.xml", "<w:sectPr", body)
    return editor.save()


@pytest.mark.parametrize("handler", HANDLERS)
def test_password_protected_office_files_are_refused(handler: type[WordHandler]) -> None:
    with pytest.raises(EncryptedContent):
        handler.open(make_encrypted_ooxml())
    _refused(handler, make_legacy_doc(), "not_ooxml")


def test_encrypted_zip_entries_are_refused() -> None:
    data = bytearray(make_docx([SECRET]))
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = data.find(signature)
        while position >= 0:
            (flags,) = struct.unpack_from("<H", data, position + flag_offset)
            struct.pack_into("<H", data, position + flag_offset, flags | 1)
            position = data.find(signature, position + 4)
    _refused(WordHandler, bytes(data), "encrypted_content")


def test_ambiguous_packages_are_refused() -> None:
    entries = list(members(make_docx([SECRET])).items())
    twice = [*entries, ("WORD/document.xml", b"<x/>")]
    _refused(WordHandler, _zip(twice), "duplicate_part")
    editor = PackageEditor(make_docx([SECRET]))
    rels = editor.text("_rels/.rels").replace("</Relationships>", (
        '<Relationship Id="rId1" Type="http://x.invalid/t" Target="x.xml"/></Relationships>'))
    editor.members["_rels/.rels"] = rels.encode()
    _refused(WordHandler, editor.save(), "duplicate_relationship")


def test_limits_have_their_own_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package_module, "MAX_RELATIONSHIPS", 3)
    _refused(WordHandler, make_docx([SECRET], header="h", footer="f", footnote="n"),
             "too_many_relationships")
    monkeypatch.setattr(package_module, "MAX_CONTENT_TYPE_ENTRIES", 4)
    _refused(WordHandler, make_docx([SECRET], header="h", footer="f"), "too_many_content_types")
    monkeypatch.undo()
    nested = '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r></w:p>' * 40
    _refused(WordHandler, _with_document(nested), "fields_too_deep")
    deep = "<w:customXml>" * 300 + "</w:customXml>" * 300
    _refused(WordHandler, _with_document(deep), "xml_too_complex")


def test_a_decompression_bomb_is_refused() -> None:
    entries = [*members(make_docx([SECRET])).items(), ("word/media/zeros.png", bytes(8 << 20))]
    _refused(WordHandler, _zip(entries), "archive_bomb")


def test_dtds_and_broken_xml_are_refused() -> None:
    editor = PackageEditor(make_docx([SECRET]))
    document = editor.text("word/document.xml")
    declaration_end = document.index("?>") + 2
    editor.members["word/document.xml"] = (
        document[:declaration_end] + '<!DOCTYPE w [<!ENTITY e "x">]>'
        + document[declaration_end:]).encode()
    _refused(WordHandler, editor.save(), "xml_forbidden")
    editor.members["word/document.xml"] = document.replace("</w:body>", "").encode()
    _refused(WordHandler, editor.save(), "xml_corrupt")


def test_the_main_part_decides_the_family() -> None:
    _refused(WordHandler, make_xlsx({"A": [[SECRET]]}), "ooxml_type_mismatch")
    _refused(PowerPointHandler, make_docx([SECRET]), "ooxml_type_mismatch")
    editor = PackageEditor(make_xlsx({"A": [[SECRET]]}))
    editor.retype("xl/workbook.xml", "application/vnd.ms-excel.sheet.binary.macroEnabled.main")
    _refused(ExcelHandler, editor.save(), "unsupported_office_format")
    no_types = [(n, b) for n, b in members(make_docx([SECRET])).items()
                if n != "[Content_Types].xml"]
    _refused(WordHandler, _zip(no_types), "not_ooxml")
    no_main = [(n, b) for n, b in members(make_docx([SECRET])).items() if n != "_rels/.rels"]
    _refused(WordHandler, _zip(no_main), "not_ooxml")


def test_parts_outside_the_allow_list_are_dropped() -> None:
    editor = PackageEditor(make_pptx(["slide"]))
    main = "ppt/presentation.xml"
    editor.add("ppt/secret.xml", f"<s>{SECRET}-unknown</s>", "application/x-secret+xml")
    editor.relate(main, "http://example.invalid/relationships/secret", "secret.xml")
    editor.add("ppt/fake.png", f"<s>{SECRET}-mistyped</s>", "application/vnd.ms-office.vbaProject")
    editor.relate(main, "image", "fake.png")
    editor.add("ppt/media/not-a-picture.png", b"MZ\x90\x00" + SECRET.encode(), "image/png")
    editor.relate(main, "image", "media/not-a-picture.png")
    editor.add("secret.txt", SECRET.encode())
    editor.relate(main, "slide", "../../../secret.txt")  # leaves the package: never resolved
    cleaned, opened = clean(PowerPointHandler, editor.save())
    assert not contains(cleaned, SECRET)
    assert opened.removed["unknown_part"] == 3
    assert opened.removed["dangling_relationship"] == 1
    assert opened.removed["unreferenced_part"] == 1


def test_a_picture_that_is_not_one_loses_its_reference_not_its_shape() -> None:
    editor = PackageEditor(make_docx(["x"]))
    editor.add("word/media/image9.png", b"MZ" + SECRET.encode(), "image/png")
    rel = editor.relate("word/document.xml", "image", "media/image9.png")
    editor.insert("word/document.xml", "<w:sectPr", (
        '<w:p><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml">'
        f'<v:imagedata r:id="{rel}"/></v:shape></w:pict></w:r></w:p>'))
    cleaned, _ = clean(WordHandler, editor.save())
    document = members(cleaned)["word/document.xml"].decode()
    assert "<v:imagedata/>" in document and "word/media/image9.png" not in members(cleaned)
