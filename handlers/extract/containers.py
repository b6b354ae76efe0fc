"""ZIP-based input: which document family it is, from its members rather than from libmagic.

An OOXML package has ``[Content_Types].xml``; an ODF package has ``mimetype`` (or a
manifest). Anything else is a plain archive: every member goes through ``extract`` one level
deeper, named by position and detected type (member paths are chosen by whoever built the
archive, and may be personal data such as "山田太郎_源泉徴収票.pdf").
"""

from __future__ import annotations

from handlers.extract.collector import Collector
from handlers.extract.odf import MANIFEST, extract_odf
from handlers.extract.ooxml import CONTENT_TYPES, extract_ooxml
from handlers.extract.package import read_member
from handlers.extract.zipsafe import SafeZip


def extract_zip_container(untrusted_data: bytes, out: Collector) -> None:
    package = SafeZip(untrusted_data, out.context.budget)
    if package.find(CONTENT_TYPES) is not None:
        extract_ooxml(package, out)
    elif package.find("mimetype") is not None or package.find(MANIFEST) is not None:
        extract_odf(package, out)
    else:
        _extract_archive(package, out)


def _extract_archive(package: SafeZip, out: Collector) -> None:
    for info in package:
        data = read_member(package, info, out)
        if data:
            out.add_embedded(data, f"member[{package.position(info)}]")
