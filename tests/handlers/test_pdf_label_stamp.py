"""PDF labels (Chiba 6.2(2), LBL-01): the label in DocInfo and in our XMP packet, and a
visible header stamp on every page, checked with tools we did not write (pdftotext, qpdf,
pdffonts, exiftool, pypdf) where they are installed."""

from __future__ import annotations

import io
import itertools
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, Stream

from core.errors import VerificationFailed
from handlers.base import LabelStamp
from handlers.pdf import PdfHandler
from handlers.pdf.fontsubset import stamp_font, subset
from handlers.pdf.label import LABEL_KEY, xmp_label_json
from handlers.pdf.xmp import NAMESPACE, XMP_LABEL_KEY, build_packet, parse_packet
from tests.fixtures.pdfgen import make_dirty_pdf, make_text_pdf
from tests.handlers.pdftools import QPDF, needs_qpdf, qpdf

LABEL = {"confidentiality": "C2", "restrictions": ["複製禁止"], "profile": "chiba-pref-2022"}
VISIBLE = "機密性2（中）情報　取扱制限：複製禁止"
STAMP = LabelStamp(LABEL, visible=VISIBLE, file_prefix="【機密性2】")
PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) "
                                     "is not installed: apt-get install -y poppler-utils")


def _clean(data: bytes) -> bytes:
    with PdfHandler.open(data) as handler:
        return handler.clean()


@pytest.fixture(scope="module")
def labelled() -> bytes:
    return PdfHandler.write_label(_clean(make_dirty_pdf()), STAMP)  # two pages


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdftotext_page(tmp_path: Path, data: bytes, page: int) -> str:
    assert PDFTOTEXT is not None
    path = tmp_path / "labelled.pdf"
    path.write_bytes(data)
    out = subprocess.run([PDFTOTEXT, "-layout", "-f", str(page), "-l", str(page), str(path),
                          "-"], capture_output=True, timeout=60, check=True)
    return out.stdout.decode()


def _with(data: bytes, change: object) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        change(pdf)  # type: ignore[operator]
        out = io.BytesIO()
        # As it is: pikepdf would otherwise edit our XMP packet or recode its streams.
        pdf.save(out, fix_metadata_version=False,
                 stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return out.getvalue()


def test_label_reads_back_from_docinfo_and_xmp(labelled: bytes) -> None:
    assert PdfHandler.read_label(labelled) == LABEL
    with pikepdf.open(io.BytesIO(labelled)) as pdf:
        assert set(pdf.docinfo.keys()) == {LABEL_KEY}
        packet = pdf.Root.Metadata.read_bytes()
    assert packet == build_packet(json.dumps(LABEL, ensure_ascii=False, sort_keys=True,
                                             separators=(",", ":")), VISIBLE)
    assert NAMESPACE.encode() in packet and VISIBLE.encode() in packet


def test_verify_reports_exactly_our_two_keys(labelled: bytes) -> None:
    inspection = PdfHandler.verify(labelled)
    assert set(inspection.metadata_keys) == {LABEL_KEY, XMP_LABEL_KEY}
    assert inspection.removable() == {}


@needs_pdftotext
def test_stamp_text_is_on_every_page(tmp_path: Path, labelled: bytes) -> None:
    for page in (1, 2):
        assert _squash(VISIBLE) in _squash(_pdftotext_page(tmp_path, labelled, page)), page


def test_stamp_is_extractable_by_pypdf(labelled: bytes) -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(labelled))
    assert len(reader.pages) == 2
    for page in reader.pages:
        assert _squash(VISIBLE) in _squash(page.extract_text())


def test_stamp_font_is_an_embedded_subset(labelled: bytes) -> None:
    with pikepdf.open(io.BytesIO(labelled)) as pdf:
        fonts = [o for o in pdf.objects if isinstance(o, Dictionary)
                 and o.get("/Subtype") == Name.Type0 and "+IPAGothic" in str(o.BaseFont)]
        assert len(fonts) == 1  # one font shared by every page's stamp
        assert "/ToUnicode" in fonts[0]
        program = fonts[0].DescendantFonts[0].FontDescriptor.FontFile2
        assert len(program.read_raw_bytes()) < 20_000  # 6 MB font, subset to a few glyphs
    assert len(labelled) < 40_000


def test_subset_keeps_only_the_used_outlines() -> None:
    font = stamp_font()
    gid = font.cmap[ord("機")]
    small = subset(font, {gid})
    assert len(small) < 200_000
    tables = {struct.unpack_from(">4s", small, 12 + 16 * i)[0]:
              struct.unpack_from(">II", small, 12 + 16 * i + 8)
              for i in range(struct.unpack_from(">H", small, 4)[0])}
    offset, _ = tables[b"loca"]
    offsets = struct.unpack_from(f">{font.num_glyphs + 1}I", small, offset)
    loca_lengths = [b - a for a, b in itertools.pairwise(offsets)]
    assert loca_lengths[gid] > 0
    assert sum(1 for n in loca_lengths if n) <= 2  # the glyph and .notdef


def test_relabelling_replaces_the_stamp(labelled: bytes) -> None:
    other = LabelStamp({"confidentiality": "C3"}, visible="機密性3 SECOND-STAMP")
    again = PdfHandler.write_label(labelled, other)
    assert PdfHandler.read_label(again) == {"confidentiality": "C3"}
    from pypdf import PdfReader

    for page in PdfReader(io.BytesIO(again)).pages:
        text = _squash(page.extract_text())
        assert text.count("SECOND-STAMP") == 1
        assert _squash(VISIBLE) not in text


def test_cleaning_a_labelled_file_removes_the_label(labelled: bytes) -> None:
    with PdfHandler.open(labelled) as handler:
        assert XMP_LABEL_KEY in handler.inspect().metadata_keys
        recleaned = handler.clean()
        assert handler.removed.get("xmp_metadata") == 1
    assert PdfHandler.read_label(recleaned) is None
    relabelled = PdfHandler.write_label(recleaned, STAMP)
    with pikepdf.open(io.BytesIO(relabelled)) as pdf:
        contents = pdf.pages[0].obj.Contents
        ours = [c for c in contents if c.get("/SekishoStamp")] if isinstance(contents, Array) \
            else []
        assert len(ours) == 2  # one q before the page's content, one stamp after


def test_verify_refuses_a_changed_packet(labelled: bytes) -> None:
    def extra_property(pdf: pikepdf.Pdf) -> None:
        packet = pdf.Root.Metadata.read_bytes().replace(
            b"</rdf:Description>", b"<xmp:CreatorTool>x</xmp:CreatorTool></rdf:Description>")
        pdf.Root.Metadata = pdf.make_stream(packet, Type=Name.Metadata, Subtype=Name.XML)

    with pytest.raises(VerificationFailed, match="xmp_metadata"):
        PdfHandler.verify(_with(labelled, extra_property))


def test_only_an_unfiltered_packet_is_ours(labelled: bytes) -> None:
    """A filtered packet is never decoded (no decompression of hostile streams) and so never
    accepted. qpdf decompresses metadata when it writes, so this is checked on the object."""
    import zlib

    with pikepdf.open(io.BytesIO(labelled)) as pdf:
        packet = pdf.Root.Metadata.read_bytes()
        assert xmp_label_json(pdf.Root.Metadata) is not None
        pdf.Root.Metadata.write(zlib.compress(packet), filter=Name.FlateDecode)
        assert xmp_label_json(pdf.Root.Metadata) is None
        pdf.Root.Metadata.write(packet)
        pdf.Root.Metadata.Extra = 1
        assert xmp_label_json(pdf.Root.Metadata) is None


def test_verify_refuses_our_packet_on_a_page(labelled: bytes) -> None:
    def on_page(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.Metadata = pdf.make_stream(pdf.Root.Metadata.read_bytes(),
                                                    Type=Name.Metadata, Subtype=Name.XML)

    with pytest.raises(VerificationFailed, match="xmp_metadata"):
        PdfHandler.verify(_with(labelled, on_page))


def test_verify_refuses_docinfo_and_xmp_that_disagree(labelled: bytes) -> None:
    def disagree(pdf: pikepdf.Pdf) -> None:
        pdf.docinfo[LABEL_KEY] = '{"confidentiality":"C1"}'

    with pytest.raises(VerificationFailed, match="label_inconsistent"):
        PdfHandler.verify(_with(labelled, disagree))
    assert PdfHandler.read_label(_with(labelled, disagree)) is None


def test_verify_refuses_xmp_label_without_docinfo(labelled: bytes) -> None:
    def drop_info(pdf: pikepdf.Pdf) -> None:
        del pdf.trailer["/Info"]

    with pytest.raises(VerificationFailed, match="label_inconsistent"):
        PdfHandler.verify(_with(labelled, drop_info))


def test_packet_parser_accepts_only_its_own_bytes() -> None:
    packet = build_packet('{"a":"<&>"}', "機密")
    assert parse_packet(packet) == ('{"a":"<&>"}', "機密")
    assert parse_packet(packet.replace(b"\n</rdf:RDF>", b" \n</rdf:RDF>")) is None
    assert parse_packet(packet.replace(b"&lt;", b"<")) is None
    assert parse_packet(b"\xff" + packet) is None


def _rotated_and_cropped() -> bytes:
    def change(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.Rotate = 90
        pdf.pages[1].obj.CropBox = Array([50, 100, 400, 600])
        pdf.pages[2].obj.Rotate = 270

    return _clean(_with(make_text_pdf("回転 ROTATED", pages=3), change))


@needs_pdftotext
def test_stamp_sits_at_the_top_of_the_visible_page(tmp_path: Path) -> None:
    labelled = PdfHandler.write_label(_rotated_and_cropped(), LabelStamp({"c": "C2"},
                                                                         "TOPSTAMP 機密性2"))
    path = tmp_path / "rotated.pdf"
    path.write_bytes(labelled)
    assert PDFTOTEXT is not None
    html = subprocess.run([PDFTOTEXT, "-bbox", "-cropbox", str(path), "-"], capture_output=True,
                          timeout=60, check=True).stdout.decode()
    pages = html.split("<page ")[1:]
    assert len(pages) == 3
    for page in pages:
        height = float(re.search(r'height="([\d.]+)"', page).group(1))  # type: ignore[union-attr]
        word = re.search(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">TOPSTAMP', page)
        assert word is not None, page[:300]
        assert float(word.group(1)) < 0.06 * height  # top of the page as displayed


def test_pages_with_inherited_resources_keep_them() -> None:
    def inherit(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[0].obj
        pdf.Root.Pages.Resources = page.Resources
        del page["/Resources"]

    source = _clean(_with(make_text_pdf("継承 INHERITED"), inherit))
    labelled = PdfHandler.write_label(source, STAMP)
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(labelled)).pages[0].extract_text()
    assert "INHERITED" in text and _squash(VISIBLE) in _squash(text)


@needs_qpdf
def test_qpdf_json_shows_no_actions_or_attachments(tmp_path: Path, labelled: bytes) -> None:
    assert QPDF is not None
    out = qpdf(tmp_path, labelled, "--json")
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert document["attachments"] == {}
    text = out.stdout.decode()
    for forbidden in ("/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch", "/EmbeddedFile"):
        assert f'"{forbidden}"' not in text, forbidden
    assert qpdf(tmp_path, labelled, "--check").returncode == 0


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed "
                    "(apt-get install -y libimage-exiftool-perl)")
def test_exiftool_shows_the_label_and_nothing_personal(tmp_path: Path, labelled: bytes) -> None:
    path = tmp_path / "labelled.pdf"
    path.write_bytes(labelled)
    out = subprocess.run(["exiftool", "-json", "-a", "-G1", str(path)], capture_output=True,
                         timeout=60, check=True)
    tags = json.loads(out.stdout)[0]
    assert json.loads(tags["XMP-sekisho:Classification"]) == LABEL
    assert tags["XMP-sekisho:Marking"] == VISIBLE
    personal = {k for k in tags if k.split(":")[-1] in
                {"Author", "Creator", "Producer", "CreatorTool", "Title", "CreateDate"}}
    assert not personal, personal


def test_labelling_output_is_deterministic() -> None:
    cleaned = _clean(make_text_pdf("決定的 DETERMINISTIC", pages=2))
    assert PdfHandler.write_label(cleaned, STAMP) == PdfHandler.write_label(cleaned, STAMP)


def test_a_stamp_stream_cannot_hide_inside_the_page_content() -> None:
    """Our marker key on a content stream is only an identification for relabelling; the
    stream is still page content that verification walks like any other."""
    def plant(pdf: pikepdf.Pdf) -> None:
        stream = Stream(pdf, b"")
        stream["/SekishoStamp"] = True
        stream["/AA"] = Dictionary()
        pdf.pages[0].obj.Contents = Array([pdf.pages[0].obj.Contents, stream])

    with pytest.raises(VerificationFailed, match="additional_actions"):
        PdfHandler.verify(_with(_clean(make_text_pdf("x")), plant))


def test_a_stamp_text_seen_before_reuses_its_font_subset(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """Subsetting the font is most of the cost of labelling a small PDF: a process makes
    each glyph set's program once; a new text still gets a subset of its own."""
    import handlers.pdf.stamp as stamp_module

    cleaned = _clean(make_text_pdf("字形の再利用", pages=1))
    first = PdfHandler.write_label(cleaned, STAMP)
    made: list[int] = []
    real_subset = stamp_module.subset
    monkeypatch.setattr(stamp_module, "subset",
                        lambda font, gids: made.append(len(gids)) or real_subset(font, gids))
    assert PdfHandler.write_label(cleaned, STAMP) == first
    assert made == []
    other = LabelStamp(LABEL, visible="極秘　新しい文字列ゑ")
    PdfHandler.write_label(cleaned, other)
    assert made, "a text with new glyphs was stamped with a stale subset"
