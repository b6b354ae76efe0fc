"""Contract samples: ZIP archives.

An archive's members are cleaned through ``CleanOptions.member_cleaner``, and without one
the handler refuses archives that have members (by design). The shared suite opens handlers
with ``Sample.options`` once the Sample dataclass has that field (a change proposed to the
suite's owner); until then the sample is left out here and the same checks run with a
cleaner in tests/handlers/archive/test_archive_contract.py.
"""

from __future__ import annotations

import dataclasses

from handlers.archive import ZipHandler
from tests.fixtures.archivedirty import make_dirty_archive
from tests.fixtures.archivegen import make_zip
from tests.handlers.archive.support import options_with_cleaner
from tests.handlers.contract import MARKER, Sample

ARCHIVE_SAMPLE_KWARGS: dict[str, object] = {
    "handler": ZipHandler,
    "clean": lambda: make_zip({"a.txt": f"{MARKER} 本文\n".encode()}),
    "dirty": lambda: make_dirty_archive({"docs/a.txt": f"{MARKER} 本文\u202e\n".encode()},
                                         comment=b"ARCHIVE-COMMENT-SECRET"),
    "broken": make_zip({"a.txt": b"text"})[:-30],
    "labels": True,
    "secrets": ("ARCHIVE-COMMENT-SECRET", "member note"),
}

_SUITE_PASSES_OPTIONS = "options" in {f.name for f in dataclasses.fields(Sample)}
SAMPLES = (
    {"application/zip": Sample(**ARCHIVE_SAMPLE_KWARGS,  # type: ignore[arg-type]
                               options=options_with_cleaner())}
    if _SUITE_PASSES_OPTIONS else {}
)
