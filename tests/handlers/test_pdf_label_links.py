"""Link removal by profile option (issue 4: "Link (/URI) removal by profile option";
CleanOptions.remove_links): web links are kept by default and all gone with the option."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String

from core.errors import VerificationFailed
from handlers.base import CleanOptions
from handlers.pdf import PdfHandler
from handlers.pdf import handler as pdf_handler
from tests.fixtures.pdfgen import make_text_pdf
from tests.handlers.pdftools import all_keys_and_action_types, expand, needs_qpdf, qpdf

LINK_URL = "https://example.invalid/LINK-MARKER-31ad"
OUTLINE_URL = "https://example.invalid/OUTLINE-MARKER-42be"
STRICT = CleanOptions(remove_links=True)


def _linked_pdf() -> bytes:
    with pikepdf.open(io.BytesIO(make_text_pdf("リンク LINKS", pages=2))) as pdf:
        first, second = pdf.pages[0], pdf.pages[1]
        uri = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 100, 20]),
                         A=Dictionary(S=Name.URI, URI=String(LINK_URL)))
        goto = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 30, 100, 50]),
                          Dest=Array([second.obj, Name.Fit]))
        first.obj.Annots = pdf.make_indirect(Array([pdf.make_indirect(uri),
                                                    pdf.make_indirect(goto)]))
        item = pdf.make_indirect(Dictionary(Title=String("web"),
                                            A=Dictionary(S=Name.URI, URI=String(OUTLINE_URL))))
        outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, First=item, Last=item,
                                                Count=1))
        item.Parent = outlines
        pdf.Root.Outlines = outlines
        pdf.Root.URI = Dictionary(Base=String("https://example.invalid/"))
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def _clean(data: bytes, options: CleanOptions) -> tuple[bytes, dict[str, int]]:
    with PdfHandler.open(data, options) as handler:
        cleaned = handler.clean()
        return cleaned, dict(handler.removed)


def _annotations(data: bytes) -> list[str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        annots = pdf.pages[0].obj.get("/Annots", Array())
        return ["uri" if "/A" in a else "goto" for a in annots]


def test_web_links_are_kept_by_default() -> None:
    cleaned, _ = _clean(_linked_pdf(), CleanOptions())
    assert LINK_URL.encode() in expand(cleaned)
    assert _annotations(cleaned) == ["uri", "goto"]


def test_remove_links_takes_out_every_uri() -> None:
    data = _linked_pdf()
    with PdfHandler.open(data, STRICT) as handler:
        found = handler.inspect().active_content
    assert found["link_annotation"] == 1 and found["action_uri"] == 1
    cleaned, removed = _clean(data, STRICT)
    assert removed["link_annotation"] == 1
    assert removed["action_uri"] == 1  # the outline item's action
    assert removed["base_uri"] == 1
    for marker in (LINK_URL, OUTLINE_URL, "example.invalid"):
        assert marker.encode() not in expand(cleaned)
    _keys, actions = all_keys_and_action_types(cleaned)
    assert "/URI" not in actions


def test_in_document_links_survive_link_removal() -> None:
    cleaned, _ = _clean(_linked_pdf(), STRICT)
    assert _annotations(cleaned) == ["goto"]


def test_link_removal_is_verified_on_a_fresh_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """If removal missed a link, the output is refused, not released."""
    monkeypatch.setattr(pdf_handler, "remove", lambda hazards: None)
    with PdfHandler.open(_linked_pdf(), STRICT) as handler, pytest.raises(VerificationFailed):
        handler.clean()


@needs_qpdf
def test_qpdf_json_shows_no_uri_after_removal(tmp_path: Path) -> None:
    cleaned, _ = _clean(_linked_pdf(), STRICT)
    out = qpdf(tmp_path, cleaned, "--json")
    assert out.returncode == 0
    document = json.loads(out.stdout)  # qpdf's own parse: every object and page
    text = json.dumps(document)
    assert '"/URI"' not in text
    assert '"/Link"' in text  # the in-document link is still there
