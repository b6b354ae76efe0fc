"""Text for the classifier: pages (Japanese included), annotation contents, form fields."""

from __future__ import annotations

import pytest

from core.errors import CorruptFile
from handlers.pdf import PdfHandler
from handlers.pdf.textextract import extract_pdf_text
from tests.fixtures.pdfgen import make_dirty_pdf, make_text_pdf

JAPANESE = "機密性３ 極秘\n個人番号：１２３４ ５６７８ ９０１２\n埼玉県さいたま市浦和区 ｶﾀｶﾅ ①㈱"


def test_japanese_text_is_extracted_exactly() -> None:
    with PdfHandler.open(make_text_pdf(JAPANESE)) as handler:
        text = handler.extract_text()
    for line in JAPANESE.split("\n"):
        assert line in text


def test_every_page_is_extracted() -> None:
    with PdfHandler.open(make_text_pdf("取扱注意", pages=3)) as handler:
        assert handler.extract_text().count("取扱注意") == 3


def test_annotation_contents_and_field_values_are_extracted() -> None:
    data = make_text_pdf("本文", annotation_text="注釈に秘密", field_value="入力値 複製禁止")
    with PdfHandler.open(data) as handler:
        text = handler.extract_text()
    assert "本文" in text
    assert "注釈に秘密" in text
    assert "入力値 複製禁止" in text


def test_extraction_describes_the_input_even_after_clean() -> None:
    with PdfHandler.open(make_dirty_pdf("清掃前の本文")) as handler:
        handler.clean()
        assert "清掃前の本文" in handler.extract_text()


def test_unextractable_input_is_refused_not_silently_empty() -> None:
    with pytest.raises(CorruptFile):
        extract_pdf_text(b"%PDF-1.7\n garbage without objects")


def test_generator_refuses_characters_it_cannot_encode() -> None:
    with pytest.raises(ValueError):
        make_text_pdf("𠮷")  # outside the BMP: no 2-byte Identity-H code
