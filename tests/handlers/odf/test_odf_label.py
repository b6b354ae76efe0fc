"""ODF labels: the JSON label in meta.xml, the visible line on every page, slide and sheet
(Chiba 6.2(2), LBL-01), relabelling replaces rather than adds."""

from __future__ import annotations

import pytest

from core.errors import VerificationFailed
from handlers.base import LabelStamp
from tests.fixtures.odfdirty import make_dirty_odf
from tests.fixtures.odfgen import make_ods, make_odt
from tests.handlers.odf.support import HANDLERS, KINDS, clean, q, rezip, xml

STAMP = LabelStamp(label={"confidentiality": "C2", "restrictions": ["no_copy"]},
                   visible="機密性2（中）情報　取扱制限：複製禁止")
LABEL_STYLE = "Sekisho_20_Label"
TWO_MASTERS = (
    '<?xml version="1.0"?><office:document-styles xmlns:office="urn:oasis:names:tc:'
    'opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:'
    '1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:master-styles>'
    '<style:master-page style:name="Standard"><style:header style:display="false"><text:p>'
    "old</text:p></style:header><style:header-left><text:p>left</text:p></style:header-left>"
    '</style:master-page><style:master-page style:name="Landscape"/></office:master-styles>'
    "</office:document-styles>"
)


def labelled(kind: str, data: bytes, stamp: LabelStamp = STAMP) -> bytes:
    cleaned, _ = clean(HANDLERS[kind], data)
    return HANDLERS[kind].write_label(cleaned, stamp)


def label_lines(data: bytes) -> list[str]:
    return [p.text or "" for p in xml(data, "styles.xml").iter(q("text:p"))
            if p.get(q("text:style-name")) == LABEL_STYLE]


@pytest.mark.parametrize("kind", KINDS)
def test_label_goes_into_meta_and_reads_back(kind: str) -> None:
    result = labelled(kind, make_dirty_odf(kind))
    handler = HANDLERS[kind]
    assert handler.read_label(result) == dict(STAMP.label)
    inspection = handler.verify(result)
    assert inspection.metadata_keys == ("meta:user-defined:SekishoClassification",)
    fields = xml(result, "meta.xml").find(q("office:meta"))
    assert fields is not None
    user_defined = fields.findall(q("meta:user-defined"))
    assert [f.get(q("meta:name")) for f in user_defined] == ["SekishoClassification"]


def test_every_master_page_of_a_text_document_gets_a_header_line() -> None:
    data = rezip(make_odt(["body"]), {"styles.xml": TWO_MASTERS.encode()})
    result = labelled("text", data)
    styles = xml(result, "styles.xml")
    masters = list(styles.iter(q("style:master-page")))
    assert [m.get(q("style:name")) for m in masters] == ["Standard", "Landscape"]
    for master in masters:
        header = master.find(q("style:header"))
        assert header is not None and header.get(q("style:display")) is None
        assert header[0].get(q("text:style-name")) == LABEL_STYLE
    assert label_lines(result).count(STAMP.visible) == 3  # two headers and one left header
    assert "old" in [p.text for p in styles.iter(q("text:p"))]


def test_a_spreadsheet_gets_a_printed_header_on_its_default_page_style() -> None:
    result = labelled("spreadsheet", make_ods({"Sheet1": [["x"]]}))
    styles = xml(result, "styles.xml")
    names = {m.get(q("style:name")) for m in styles.iter(q("style:master-page"))}
    assert "Default" in names  # Calc's page style when a sheet names none
    layouts = list(styles.iter(q("style:page-layout")))
    assert layouts and all(lay.find(q("style:header-style")) is not None for lay in layouts)
    assert set(label_lines(result)) == {STAMP.visible}


def test_every_master_slide_gets_a_label_frame_that_slides_cannot_hide() -> None:
    dirty = make_dirty_odf("presentation")
    flag = q("presentation:background-objects-visible")
    assert [p.get(flag) for p in xml(dirty, "content.xml").iter(
        q("style:drawing-page-properties"))] == ["false"]
    result = labelled("presentation", dirty)
    styles = xml(result, "styles.xml")
    frames = [f for f in styles.iter(q("draw:frame")) if f.get(q("draw:name")) == "SekishoLabel"]
    assert len(frames) == len(list(styles.iter(q("style:master-page")))) == 1
    assert "".join(frames[0].itertext()) == STAMP.visible
    for root in (styles, xml(result, "content.xml")):
        for props in root.iter(q("style:drawing-page-properties")):
            assert props.get(flag) != "false"


@pytest.mark.parametrize("kind", KINDS)
def test_relabelling_replaces_the_label(kind: str) -> None:
    first = labelled(kind, make_dirty_odf(kind))
    lower = LabelStamp(label={"confidentiality": "C1"}, visible="機密性1")
    second = labelled(kind, first, lower)
    assert HANDLERS[kind].read_label(second) == {"confidentiality": "C1"}
    text = "".join(xml(second, "styles.xml").itertext())
    assert "機密性1" in text and STAMP.visible not in text


def test_labelling_refuses_unclean_input_and_unclean_output_is_impossible() -> None:
    with pytest.raises(VerificationFailed):
        HANDLERS["text"].write_label(make_dirty_odf("text"), STAMP)
    hostile = LabelStamp(label={"x": "y"}, visible="line\x00with\x07controls")
    result = labelled("text", make_odt(["body"]), hostile)
    assert label_lines(result) == ["linewithcontrols"]
