"""PERSON (and address hints) from GiNZA's named-entity recognizer — the optional ``ner`` extra.

GiNZA tags Extended Named Entity labels (``Person``, ``Province``, ``City`` ...), which
presidio's spaCy engine would drop (its default mapping knows PERSON/GPE/...), so we map
them ourselves: ``Person`` -> PERSON; place labels are only hints — a run of them followed
by a block number (3丁目15番1号, 2-1-1) becomes JP_ADDRESS, a bare 埼玉県 does not.

NER is slow (~5 KB/s) and Sudachi refuses more than 49,149 bytes, so it runs on overlapping
chunks (classifiers.chunking) under a budget: at most ``max_chars`` characters and
``seconds`` of wall time; whatever it could not cover makes the outcome ``partial``. The
pattern recognizers always cover the whole text.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import regex

from classifiers._presidio import RecognizerResult
from classifiers.address import TOWN_BLOCK
from classifiers.base import Context, JaEntityRecognizer
from classifiers.chunking import chunk_text

log = logging.getLogger(__name__)

MODEL_NAME = "ja_ginza"
# Pipes NER does not need (it listens to tok2vec only): skipping them saves time and memory.
_EXCLUDED_PIPES = ("parser", "morphologizer", "compound_splitter", "bunsetu_recognizer")
# Smaller than Sudachi's limit so the time budget is checked every few seconds.
NER_CHUNK_BYTES = 12_000
# Budget defaults (parameters of classify_text): at ~5 KB/s, 20 s cover ~30,000 characters.
DEFAULT_NER_BUDGET_SECONDS = 20.0
DEFAULT_NER_MAX_CHARS = 60_000

PERSON_LABELS = frozenset({"Person"})
PLACE_LABELS = frozenset({"Province", "City", "County", "GPE_Other", "Postal_Address"})
SCORE_PERSON = 0.85
SCORE_ADDRESS = 0.7
# A person's name has kana or kanji, no digits or mail signs (GiNZA tags taro@x.jp Person).
_NAME_SHAPE = regex.compile(r"^(?=.*[\p{Han}\p{Hiragana}\p{Katakana}])[^0-9@:/]{2,20}$")

NerModel = Callable[[str], Any]  # a spaCy Language: text -> Doc

_model_lock = threading.Lock()
_loaded: list[NerModel] = []


def ner_available() -> bool:
    """True when the ``ner`` extra (ginza, ja-ginza) is installed."""
    return importlib.util.find_spec(MODEL_NAME) is not None


def load_model() -> NerModel:
    """GiNZA, loaded once per process (~2.5 s, ~430 MB); never touches the network."""
    with _model_lock:
        if not _loaded:
            import spacy

            _loaded.append(spacy.load(MODEL_NAME, exclude=list(_EXCLUDED_PIPES)))
        return _loaded[0]


class GinzaRecognizer(JaEntityRecognizer):
    """A presidio EntityRecognizer over GiNZA entities handed in as presidio NlpArtifacts."""

    CONTEXT = Context((), boost=0.0)
    REPORT_THRESHOLD = 0.5

    def __init__(self) -> None:
        super().__init__(["PERSON", "JP_ADDRESS"])

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None
                ) -> list[RecognizerResult]:
        spans = [(e.start_char, e.end_char, e.label_) for e in nlp_artifacts.entities]
        results = [self.result("PERSON", s, e, SCORE_PERSON) for s, e, label in spans
                   if label in PERSON_LABELS and _NAME_SHAPE.match(text[s:e])]
        results += [self.result("JP_ADDRESS", s, e, SCORE_ADDRESS)
                    for s, e in _addresses(text, spans)]
        return results


def _addresses(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Runs of adjacent place entities followed by a block number."""
    found = []
    places = sorted((s, e) for s, e, label in spans if label in PLACE_LABELS)
    i = 0
    while i < len(places):
        start, end = places[i]
        while i + 1 < len(places) and places[i + 1][0] <= end + 1:
            i += 1
            end = max(end, places[i][1])
        block = TOWN_BLOCK.match(text, end)
        if block is not None:
            found.append((start, block.end()))
        i += 1
    return found


@dataclass(frozen=True)
class NerOutcome:
    results: tuple[RecognizerResult, ...]  # offsets into the text NER was given
    partial: bool


def _artifacts(doc: Any) -> Any:
    from presidio_analyzer.nlp_engine import NlpArtifacts

    return NlpArtifacts(entities=list(doc.ents), tokens=doc, tokens_indices=[t.idx for t in doc],
                        lemmas=[], nlp_engine=None, language="ja")


def run_ner(text: str, model: NerModel, *, seconds: float, max_chars: int,
            recognizer: GinzaRecognizer | None = None) -> NerOutcome:
    """NER over ``text[:max_chars]`` in chunks until ``seconds`` run out."""
    recognizer = recognizer or GinzaRecognizer()
    deadline = time.monotonic() + seconds
    covered = text[:max_chars]
    partial = len(text) > len(covered)
    results: list[RecognizerResult] = []
    for chunk in chunk_text(covered, NER_CHUNK_BYTES):
        if time.monotonic() >= deadline:
            partial = True
            break
        piece = covered[chunk.start : chunk.end]
        try:
            found = recognizer.analyze(piece, recognizer.supported_entities,
                                       _artifacts(model(piece)))
        except Exception as exc:
            # The type only: a tokenizer message may quote the input.
            log.warning("NER failed on a chunk (%s); classification is partial",
                        type(exc).__name__)
            partial = True
            continue
        for r in found:
            if chunk.owns(chunk.start + r.start):
                r.start += chunk.start
                r.end += chunk.start
                results.append(r)
    return NerOutcome(tuple(results), partial)

