"""A stand-in for GiNZA: a spaCy pipeline-like callable tagging given words, for NER tests
that must not depend on the model (chunking, budgets, failures)."""

from __future__ import annotations

import time
from itertools import pairwise

from spacy.tokens import Doc
from spacy.vocab import Vocab

from classifiers.chunking import SUDACHI_MAX_BYTES


class FakeGinza:
    def __init__(self, tags: dict[str, str], delay: float = 0.0, fail_at: int | None = None
                 ) -> None:
        self.tags = tags  # word -> GiNZA label ("Person", "City", ...)
        self.delay = delay
        self.fail_at = fail_at  # raise on this call (0-based)
        self.vocab = Vocab()
        self.calls: list[int] = []

    def __call__(self, text: str) -> Doc:
        self.calls.append(len(text))
        if len(text.encode("utf-8")) > SUDACHI_MAX_BYTES:
            raise ValueError("Input is too long")  # what Sudachi does
        if self.fail_at is not None and len(self.calls) - 1 == self.fail_at:
            raise RuntimeError(f"tokenizer choked on {text[:20]}")  # quotes the input
        time.sleep(self.delay)
        found = []
        for word, label in self.tags.items():
            i = text.find(word)
            while i >= 0:
                found.append((i, i + len(word), label))
                i = text.find(word, i + 1)
        cuts = sorted({0, len(text), *(s for s, _, _ in found), *(e for _, e, _ in found)})
        words = [text[a:b] for a, b in pairwise(cuts) if b > a]
        doc = Doc(self.vocab, words=words, spaces=[False] * len(words))
        doc.ents = [doc.char_span(s, e, label=label) for s, e, label in sorted(found)]
        return doc
