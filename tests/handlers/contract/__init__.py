"""Samples for the shared handler contract suite (tests/handlers/test_contract.py).

Each format family adds one module ``samples_<family>.py`` here defining
``SAMPLES: dict[str, Sample]`` keyed by the detected MIME type of its inputs. The suite
collects every module, so families can be added without touching a shared table, and a
handler registered without a sample fails ``test_every_registered_type_has_a_sample``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from handlers.base import DEFAULT_OPTIONS, CleanOptions, Handler

MARKER = "CONTRACT-MARKER-2c9d"


@dataclass(frozen=True)
class Sample:
    handler: type[Handler]
    clean: Callable[[], bytes]        # a plain file whose extracted text contains MARKER
    dirty: Callable[[], bytes]        # a file with something on the removal list
    broken: bytes                     # refused at open (corrupt, truncated, wrong format)
    labels: bool                      # whether read_label returns the label written
    #: What clean() produces when the handler converts (docm -> docx, html -> text/plain).
    output_mime: str | None = None
    #: Text that must be gone from the cleaned dirty sample (author names, macro source...).
    secrets: tuple[str, ...] = ()
    #: What the handler is opened with: containers need a member cleaner to clean anything.
    options: CleanOptions = DEFAULT_OPTIONS
    #: The MARKER is only in the pixels: extract_text finds it through OCR.
    text_by_ocr: bool = False


def all_samples() -> dict[str, Sample]:
    samples: dict[str, Sample] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("samples_"):
            found = importlib.import_module(f"{__name__}.{module.name}").SAMPLES
            overlap = set(samples) & set(found)
            assert not overlap, f"{module.name} redefines samples for {sorted(overlap)}"
            samples.update(found)
    return samples
