"""Imported once by the isolation fork server (handlers.isolation.PRELOAD) so that every
cleaning child is forked with the expensive first-use work already done: the handler
modules imported, libmagic's database loaded, Pillow's plugins registered, and one tiny
PDF, PNG, JPEG and DOCX cleaned so that lazily compiled patterns, parser set-up and
caches exist before the fork. Import-time side effects are the point of this module."""

from __future__ import annotations

import io
import logging
import zipfile

import pikepdf
from PIL import Image

from handlers.detect import detect
from handlers.sanitise import SanitiseSettings, clean_converted

log = logging.getLogger("sekisho.isolation")

_DOCX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
        '/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="'
        'application/xml"/><Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="word/document.xml"/></Relationships>'),
    "word/document.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
        'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>warm</w:t>'
        '</w:r></w:p></w:body></w:document>'),
}


def _samples() -> list[bytes]:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    samples = [out.getvalue()]
    for image_format in ("PNG", "JPEG"):
        picture = io.BytesIO()
        Image.new("RGB", (8, 8), "white").save(picture, image_format)
        samples.append(picture.getvalue())
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as docx:
        for name, text in _DOCX_PARTS.items():
            docx.writestr(name, text)
    samples.append(package.getvalue())
    return samples


def warm_up() -> None:
    Image.init()
    for sample in _samples():
        try:
            clean_converted(sample, detect(sample).mime, SanitiseSettings())
        except Exception:  # a cold child still works; only slower
            log.warning("isolation warm-up could not clean a %d-byte sample", len(sample))


warm_up()
