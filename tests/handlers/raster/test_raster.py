"""Raster mode: only pixels survive; OCR adds a searchable layer; limits have their codes."""

from __future__ import annotations

import io
import shutil

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name
from PIL import Image

from core.errors import CorruptFile, EncryptedContent
from handlers.extract.ocr import ocr_available
from handlers.pdf import PdfHandler
from handlers.raster import image_to_pdf, limits, rasterise, render
from handlers.raster.limits import (
    ImageTooLarge,
    InvalidResolution,
    RasterPageTooLarge,
    TooManyOcrPages,
    TooManyRasterPages,
)
from tests.fixtures.imagegen import make_exif_jpeg, make_text_image
from tests.fixtures.pdfgen import (
    JS_MARKER,
    make_dirty_pdf,
    make_encrypted_pdf,
    make_text_pdf,
)
from tests.handlers.pdftools import all_keys_and_action_types, expand

needs_ocr = pytest.mark.skipif(not ocr_available(), reason="tesseract with the jpn model is "
                               "not installed (apt-get install -y tesseract-ocr-jpn)")


def _text(data: bytes) -> str:
    with PdfHandler.open(data) as handler:
        return handler.extract_text()


@pytest.fixture(scope="module")
def rastered() -> bytes:
    return rasterise(make_dirty_pdf("機密性２ RASTER-TEXT"))


def test_only_images_survive(rastered: bytes) -> None:
    keys, actions = all_keys_and_action_types(rastered)
    assert not actions
    for forbidden in ("/JS", "/AA", "/OpenAction", "/EmbeddedFiles", "/Annots", "/AcroForm",
                      "/Font", "/Metadata", "/Info"):
        assert forbidden not in keys, forbidden
    expanded = expand(rastered)
    assert JS_MARKER.encode() not in expanded
    assert "RASTER-TEXT" not in _text(rastered)  # no text layer without OCR
    with pikepdf.open(io.BytesIO(rastered)) as pdf:
        for page in pdf.pages:
            images = list(page.get_images().values())
            assert len(images) == 1 and images[0].Filter == Name.DCTDecode


def test_pages_keep_their_count_and_size(rastered: bytes) -> None:
    with pikepdf.open(io.BytesIO(make_dirty_pdf())) as source, \
            pikepdf.open(io.BytesIO(rastered)) as out:
        assert len(out.pages) == len(source.pages)
        for before, after in zip(source.pages, out.pages, strict=True):
            assert [round(float(v)) for v in after.mediabox] == \
                [round(float(v)) for v in before.mediabox]


def test_the_output_verifies_as_a_clean_pdf(rastered: bytes) -> None:
    with PdfHandler.open(rastered) as handler:
        assert PdfHandler.verify(handler.clean()).problems() == []


def test_dpi_sets_the_image_resolution() -> None:
    source = make_text_pdf("解像度")
    with pikepdf.open(io.BytesIO(rasterise(source, dpi=72))) as pdf:
        image = next(iter(pdf.pages[0].get_images().values()))
        assert (int(image.Width), int(image.Height)) == (595, 842)
    with pytest.raises(InvalidResolution):
        rasterise(source, dpi=5000)


def test_rotated_pages_render_as_displayed() -> None:
    with pikepdf.open(io.BytesIO(make_text_pdf("回転"))) as pdf:
        pdf.pages[0].obj.Rotate = 90
        out = io.BytesIO()
        pdf.save(out)
    with pikepdf.open(io.BytesIO(rasterise(out.getvalue(), dpi=72))) as pdf:
        box = [round(float(v)) for v in pdf.pages[0].mediabox]
        assert box == [0, 0, 842, 595]


def test_too_many_pages_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "MAX_RASTER_PAGES", 2)
    with pytest.raises(TooManyRasterPages) as raised:
        rasterise(make_text_pdf("多い", pages=3))
    assert raised.value.code == "too_many_raster_pages"


def test_too_many_ocr_pages_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import handlers.raster as raster

    monkeypatch.setattr(raster, "MAX_OCR_PAGES", 1)
    with pytest.raises(TooManyOcrPages):
        rasterise(make_text_pdf("多い", pages=2), ocr=True)


def test_a_huge_page_is_refused_before_rendering() -> None:
    with pikepdf.open(io.BytesIO(make_text_pdf("巨大"))) as pdf:
        pdf.pages[0].obj.MediaBox = Array([0, 0, 14400, 14400])  # 200 in square
        out = io.BytesIO()
        pdf.save(out)
    with pytest.raises(RasterPageTooLarge) as raised:
        rasterise(out.getvalue())
    assert raised.value.code == "raster_page_too_large"
    assert limits.MAX_PAGE_PIXELS < (14400 * 150 / 72) ** 2


def test_corrupt_and_encrypted_pdfs_are_refused() -> None:
    with pytest.raises(CorruptFile):
        rasterise(b"%PDF-1.7\n garbage")
    with pytest.raises(EncryptedContent):
        rasterise(make_encrypted_pdf())


def test_an_image_becomes_an_upright_one_page_pdf() -> None:
    with Image.open(io.BytesIO(make_exif_jpeg(size=(40, 20)))) as picture:
        exif = picture.getexif()
        exif[0x0112] = 6  # rotate 90° clockwise when displayed
        out = io.BytesIO()
        picture.save(out, "JPEG", exif=exif)
    pdf = image_to_pdf(out.getvalue(), dpi=72)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 1
        assert [round(float(v)) for v in document.pages[0].mediabox] == [0, 0, 20, 40]
    assert b"FixtureCam" not in expand(pdf)  # the EXIF went with the old encoding


def test_a_multi_page_tiff_becomes_several_pages() -> None:
    frames = [Image.new("RGB", (10, 10), colour) for colour in ("red", "blue", "green")]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:])
    with pikepdf.open(io.BytesIO(image_to_pdf(out.getvalue()))) as document:
        assert len(document.pages) == 3


def test_image_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    import handlers.raster as raster

    monkeypatch.setattr(raster, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(ImageTooLarge) as raised:
        image_to_pdf(make_exif_jpeg(size=(20, 20)))
    assert raised.value.code == "image_too_large"
    with pytest.raises(CorruptFile):
        image_to_pdf(b"\x89PNG\r\n\x1a\n broken")


@needs_ocr
def test_ocr_adds_an_invisible_text_layer() -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    image = make_text_image(["機密性２ 取扱注意", "OCR LAYER 2024"])
    result = rasterise(image_to_pdf(image), ocr=True)
    with PdfHandler.open(result) as handler:
        cleaned = handler.clean()  # tesseract names itself in DocInfo: cleaning removes it
    text = _text(cleaned).replace(" ", "")
    assert "取扱注意" in text and "2024" in text
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        assert len(pdf.pages) == 1
        assert len(pdf.pages[0].get_images()) == 1
        assert isinstance(pdf.pages[0].obj.Resources.get("/Font"), Dictionary)
