"""ODF cleaning: the package rebuilt from the allow-list, active content and personal data
gone, the document's text kept, reported content reported."""

from __future__ import annotations

import io
import zipfile

import pytest

from core.errors import RefusedByProfile
from handlers.base import CleanOptions
from handlers.detect import detect
from handlers.image import JpegHandler, PngHandler
from tests.fixtures.imagedirty import IMAGE_SECRET
from tests.fixtures.odfdirty import ODF_KEPT, ODF_SECRETS, make_dirty_odf, package_text
from tests.handlers.odf.support import HANDLERS, KINDS, clean, hrefs, members, q, xml

KEPT_MEMBERS = {"mimetype", "META-INF/manifest.xml", "content.xml", "styles.xml", "meta.xml",
                "settings.xml"}


@pytest.mark.parametrize("kind", KINDS)
def test_no_secret_survives_anywhere_in_the_package(kind: str) -> None:
    dirty = make_dirty_odf(kind)
    carried = {name for name, secret in ODF_SECRETS.items() if secret in package_text(dirty)}
    assert len(carried) >= 15, "the fixture must be dirty"
    cleaned, removed = clean(HANDLERS[kind], dirty)
    text = package_text(cleaned)
    assert [name for name, secret in ODF_SECRETS.items() if secret in text] == []
    assert {"macros", "object_parts", "ui_configuration", "thumbnails", "rdf_metadata",
            "signatures", "embedded_fonts", "unknown_parts", "picture_metadata",
            "printer_settings", "comments"} <= set(removed)
    assert detect(cleaned).mime == HANDLERS[kind].mime


@pytest.mark.parametrize("kind", KINDS)
def test_the_package_holds_only_the_allow_list(kind: str) -> None:
    cleaned, _ = clean(HANDLERS[kind], make_dirty_odf(kind))
    with zipfile.ZipFile(io.BytesIO(cleaned)) as archive:
        infos = archive.infolist()
    assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    names = {info.filename for info in infos}
    assert names - KEPT_MEMBERS == {"Pictures/photo.jpg", "Pictures/fallback.png"}
    listed = {entry.get(q("manifest:full-path"))
              for entry in xml(cleaned, "META-INF/manifest.xml")}
    assert listed == (names - {"mimetype", "META-INF/manifest.xml"}) | {"/"}


def test_pictures_are_re_encoded_without_their_metadata() -> None:
    cleaned, _ = clean(HANDLERS["text"], make_dirty_odf("text"))
    parts = members(cleaned)
    assert JpegHandler.verify(parts["Pictures/photo.jpg"]).problems() == []
    assert PngHandler.verify(parts["Pictures/fallback.png"]).problems() == []
    assert IMAGE_SECRET.encode() not in parts["Pictures/photo.jpg"]


def test_text_document_active_content_is_gone_and_its_text_kept() -> None:
    cleaned, removed = clean(HANDLERS["text"], make_dirty_odf("text"))
    content = xml(cleaned, "content.xml")
    tags = {element.tag for element in content.iter()}
    for gone in ("office:scripts", "office:event-listeners", "draw:object", "draw:applet",
                 "draw:plugin", "draw:floating-frame", "office:annotation", "text:script",
                 "text:execute-macro", "text:dde-connection", "office:binary-data"):
        assert q(gone) not in tags, gone
    assert hrefs(content) == ["https://www.example.org/", "#top", "Pictures/photo.jpg",
                              "Pictures/fallback.png", "Pictures/fallback.png"]
    text = package_text(cleaned)
    assert all(kept in text for kept in ODF_KEPT)
    assert removed["script_links"] == 2 and removed["external_links"] == 5
    form = content.find(f".//{q('form:form')}")  # the form stays, its targets go
    assert form is not None and form.attrib == {q("form:name"): "f"}
    button = form.find(q("form:button"))
    assert button is not None and q("form:image-data") not in button.attrib
    assert not any(key.startswith("{http://www.w3.org/1999/xhtml}")
                   for element in content.iter() for key in element.attrib)


def test_remove_links_turns_web_links_into_text() -> None:
    options = CleanOptions(remove_links=True)
    cleaned, removed = clean(HANDLERS["text"], make_dirty_odf("text"), options)
    content = xml(cleaned, "content.xml")
    assert "https://www.example.org/" not in hrefs(content)
    assert removed["hyperlinks"] == 1
    assert ODF_KEPT[1] in package_text(cleaned)


def test_spreadsheet_formulas_reaching_outside_keep_only_their_values() -> None:
    cleaned, removed = clean(HANDLERS["spreadsheet"], make_dirty_odf("spreadsheet"))
    formulas = [cell.get(q("table:formula")) for cell in xml(cleaned, "content.xml").iter(
        q("table:table-cell")) if cell.get(q("table:formula"))]
    assert formulas == ["of:=SUM(1;2)"]
    assert removed["external_data"] == 5  # WEBSERVICE, DDE, file reference, SQL, DDE links
    assert "cached web" in package_text(cleaned)


def test_presentation_program_launch_is_gone() -> None:
    cleaned, _ = clean(HANDLERS["presentation"], make_dirty_odf("presentation"))
    content = xml(cleaned, "content.xml")
    assert q("presentation:event-listener") not in {e.tag for e in content.iter()}
    assert "calc.exe" not in package_text(cleaned)


def test_meta_and_settings_keep_only_their_allow_lists() -> None:
    cleaned, _ = clean(HANDLERS["text"], make_dirty_odf("text"))
    meta = xml(cleaned, "meta.xml").find(q("office:meta"))
    assert meta is not None
    assert [child.tag for child in meta] == [q("dc:language"), q("meta:document-statistic")]
    settings = xml(cleaned, "settings.xml")
    kept = {item.get(q("config:name")) for item in settings.iter(q("config:config-item"))}
    assert kept == {"PrinterIndependentLayout", "AddParaTableSpacing"}
    assert HANDLERS["text"].read_label(make_dirty_odf("text")) == {"confidentiality": "C1"}
    assert HANDLERS["text"].read_label(cleaned) is None  # a forged label does not ride along


def test_tracked_changes_stay_reported_and_their_authors_go() -> None:
    handler = HANDLERS["text"]
    with handler.open(make_dirty_odf("text")) as document:
        notices = document.inspect().notices
        cleaned = document.clean()
    assert notices["tracked_changes"] == 1 and notices["hidden_text"] == 4
    content = xml(cleaned, "content.xml")
    assert content.find(f".//{q('text:tracked-changes')}") is not None
    creators = [c.text or "" for c in content.iter(q("dc:creator"))]
    assert creators == [""]
    with handler.open(cleaned) as again:
        assert again.inspect().notices == notices


@pytest.mark.parametrize(("kind", "option", "notice"), [
    ("text", "tracked_changes", "tracked_changes"),
    ("spreadsheet", "hidden_content", "hidden_sheets"),
    ("presentation", "hidden_content", "hidden_slides"),
])
def test_profiles_may_refuse_reported_content(kind: str, option: str, notice: str) -> None:
    with HANDLERS[kind].open(make_dirty_odf(kind)) as document:
        assert document.inspect().notices[notice] == 1
    refusing = CleanOptions(**{option: "refuse"})  # type: ignore[arg-type]
    with pytest.raises(RefusedByProfile), HANDLERS[kind].open(make_dirty_odf(kind),
                                                              refusing) as document:
        document.clean()


@pytest.mark.parametrize("kind", KINDS)
def test_cleaning_is_idempotent_and_the_output_verifies(kind: str) -> None:
    handler = HANDLERS[kind]
    once, _ = clean(handler, make_dirty_odf(kind))
    assert handler.verify(once).problems() == []
    twice, removed = clean(handler, once)
    assert twice == once
    assert removed == {}
