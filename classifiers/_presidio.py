"""The one place that imports presidio-analyzer (design.md: classifiers is its only importer).

Importing presidio imports tldextract, whose module-level extractor would fetch the Public
Suffix List over the network on first use unless told otherwise. Our recognizers never call
it (EmailRecognizer validates the domain itself), and an empty URL list here makes any other
use fall back to the bundled snapshot: no network at run time (issue 3). An operator who set
the variable keeps their value.
"""

from __future__ import annotations

import os

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from presidio_analyzer import (
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)

LANGUAGE = "ja"

__all__ = [
    "LANGUAGE",
    "EntityRecognizer",
    "Pattern",
    "PatternRecognizer",
    "RecognizerRegistry",
    "RecognizerResult",
]
