"""Contract samples: OpenDocument text, spreadsheet and presentation."""

from __future__ import annotations

from handlers.odf import OdpHandler, OdsHandler, OdtHandler
from tests.fixtures.odfdirty import ODF_SECRETS, make_dirty_odf
from tests.fixtures.odfgen import make_odp, make_ods, make_odt
from tests.handlers.contract import MARKER, Sample

BODY = f"{MARKER} 本文"
#: Secrets that end up in stored (uncompressed) members or in short parts; the raw-bytes
#: search of the contract suite cannot see into deflated members, tests/handlers/odf does.
SECRETS = (ODF_SECRETS["image"], ODF_SECRETS["author"], ODF_SECRETS["macro"])

SAMPLES = {
    "application/vnd.oasis.opendocument.text": Sample(
        handler=OdtHandler,
        clean=lambda: make_odt([BODY]),
        dirty=lambda: make_dirty_odf("text", BODY),
        broken=make_odt([BODY])[:300],
        labels=True,
        secrets=SECRETS,
    ),
    "application/vnd.oasis.opendocument.spreadsheet": Sample(
        handler=OdsHandler,
        clean=lambda: make_ods({"Sheet1": [[BODY]]}),
        dirty=lambda: make_dirty_odf("spreadsheet", BODY),
        broken=b"PK\x03\x04" + b"\x00" * 40,
        labels=True,
        secrets=SECRETS,
    ),
    "application/vnd.oasis.opendocument.presentation": Sample(
        handler=OdpHandler,
        clean=lambda: make_odp([BODY]),
        dirty=lambda: make_dirty_odf("presentation", BODY),
        broken=make_odp([BODY])[:-40],
        labels=True,
        secrets=SECRETS,
    ),
}
