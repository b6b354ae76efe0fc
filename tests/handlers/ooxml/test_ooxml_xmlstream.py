"""The XML rewriter: untouched markup is copied byte for byte (prefixes, mc:Ignorable,
character references), removals leave well-formed XML, and the fast path (parse, then copy)
gives exactly what the full walk gives wherever no rule applies."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import docx
import openpyxl
import pptx
import pytest

from handlers.base import CleanOptions
from handlers.extract.xmlsafe import XmlForbidden
from handlers.ooxml.family import FAMILIES
from handlers.ooxml.filters import PartContext, PartFilter, Tally
from handlers.ooxml.xmlstream import XML_DECLARATION, Node, XmlRewriter, checked_copy
from tests.fixtures.officegen import make_dirty_docx, make_dirty_pptx, make_dirty_xlsx
from tests.fixtures.ooxmldirty import make_dirty_excel, make_dirty_powerpoint, make_dirty_word

DECLARATION = XML_DECLARATION.encode()


class _Drop(XmlRewriter):
    """Drops ``x``, unwraps ``u``, erases the ``box`` around any ``bad``."""

    def on_start(self, node: Node) -> None:
        if node.local == "x":
            self.drop(node)
        elif node.local == "u":
            self.unwrap(node)
        elif node.local == "bad":
            self.erase_ancestor(frozenset({"box"}))


def test_untouched_markup_is_copied_exactly() -> None:
    body = ('<w:d xmlns:w="urn:w" xmlns:w14="urn:w14" xmlns:mc="urn:mc" mc:Ignorable="w14">'
            '<w:p w14:paraId="1" a="&#10;&amp;&lt;"><![CDATA[<raw>]]>t&#x3042;</w:p>'
            "<w:e/><w:e ></w:e></w:d>")
    assert XmlRewriter().rewrite(body.encode()) == DECLARATION + body.encode()


def test_prolog_comments_and_instructions_go() -> None:
    source = ('<?xml version="1.0" encoding="UTF-8"?>\n<!-- prolog --><?pi x?>\n'
              "<r><!-- secret --><a>t<?pi y?></a></r>\n<!-- epilogue -->")
    assert XmlRewriter().rewrite(source.encode()) == DECLARATION + b"<r><a>t</a></r>"


def test_removals_leave_well_formed_xml() -> None:
    source = (b'<r xmlns:p="urn:p"><x><x/>drop</x><u xmlns:q="urn:q"><q:c/>kept<x/></u>'
              b"<box><in/><bad/></box><box><ok/></box><x/><a>/></a></r>")
    out = _Drop().rewrite(source)
    assert out == (DECLARATION + b'<r xmlns:p="urn:p"><q:c xmlns:q="urn:q"/>kept'
                   b"<box><ok/></box><a>/></a></r>")
    ET.fromstring(out)


def test_other_encodings_are_transcoded_and_dtds_refused() -> None:
    source = '<?xml version="1.0" encoding="UTF-16"?><r>日本語</r>'.encode("utf-16")
    assert XmlRewriter().rewrite(source) == DECLARATION + "<r>日本語</r>".encode()
    assert checked_copy(source) == DECLARATION + "<r>日本語</r>".encode()
    with pytest.raises(XmlForbidden):
        checked_copy(b'<!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>')
    with pytest.raises(XmlForbidden):
        XmlRewriter().rewrite(b'<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>')


def _fixture_parts() -> list[tuple[str, str, bytes]]:
    """(family, content type, XML) of every XML part of realistic and dirty fixtures."""
    made = []
    for save, family in ((lambda b: docx.Document().save(b), "word"),
                         (lambda b: openpyxl.Workbook().save(b), "excel"),
                         (lambda b: pptx.Presentation().save(b), "powerpoint")):
        out = io.BytesIO()
        save(out)
        made.append((family, out.getvalue()))
    made += [("word", make_dirty_docx()), ("excel", make_dirty_xlsx()),
             ("powerpoint", make_dirty_pptx()), ("word", make_dirty_word("t")),
             ("excel", make_dirty_excel("t")), ("powerpoint", make_dirty_powerpoint("t"))]
    parts = []
    for family, data in made:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            types = ET.fromstring(archive.read("[Content_Types].xml"))
            overrides = {o.get("PartName", "").lstrip("/"): o.get("ContentType", "")
                         for o in types if o.tag.endswith("Override")}
            parts += [(family, overrides[name], archive.read(name))
                      for name in archive.namelist() if name in overrides
                      and overrides[name].endswith("xml")]
    return parts


def test_fast_path_agrees_with_the_full_walk() -> None:
    """Every rule has a trigger: where ``needs_walk`` says no, the walk changes nothing."""
    families = {family.name: family for family in FAMILIES}
    fast = 0
    for family, content_type, data in _fixture_parts():
        filter_class = families[family].filter_for(content_type)
        tally = Tally()
        walked = filter_class(PartContext(CleanOptions(), tally)).rewrite(data)
        if not filter_class.needs_walk(data):
            fast += 1
            assert walked == checked_copy(data), content_type
            assert not tally.hazards and not tally.notices, content_type
    assert fast >= 10  # the fixtures do exercise the fast path


def test_generic_rules_trigger_the_walk() -> None:
    r_ns = 'xmlns:rel="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    for part in (f'<a {r_ns}><b\n\trel:id="x"/></a>', "<a><!-- c --></a>", "<a/><?pi?>",
                 '<a><b macro = "m"/></a>', '<a><h action="ppaction://program"/></a>'):
        assert PartFilter.needs_walk(part.encode()), part
    assert not PartFilter.needs_walk(f'<a {r_ns}><b id="x">rel:id="y"</b></a>'.encode())
