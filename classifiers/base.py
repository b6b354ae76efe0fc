"""What our recognizers add to presidio's: triggers, CJK context, a score floor, a hash value.

Every recognizer is a presidio ``PatternRecognizer`` or ``EntityRecognizer`` (language
``ja``); the engine (``classifiers.engine``) reads these class attributes, with defaults for
a plain presidio recognizer:

- ``TRIGGERS``: literal words (or a digit cluster) at least one of which every match contains;
  the prefilter scans only around them. ``None`` = run on the whole text.
- ``CONTEXT``: words whose presence in a window of characters BEFORE (and a little after) a
  match raises its score. Presidio's own context enhancer compares whole lemmas, which never
  works for Japanese (no spaces; presidio issue #2216), so the engine does it.
- ``REPORT_THRESHOLD``: results below it after the context boost are dropped (a bare
  7-digit number is a bank account only with 口座番号/普通/当座 nearby).
- ``PERSONAL``: findings carry a keyed hash of the value (never the value), markings do not.

Presidio's ``validate_result`` sets the score to 1.0 when it returns True. A check digit that
1 in 10 random numbers passes is no certainty, so our hooks return ``None`` (keep the pattern
score) for a pass and ``False`` (drop) for a failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ClassVar

import regex

from classifiers._presidio import (
    LANGUAGE,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)

# Dashes that separate digit groups after NFKC: ASCII hyphen-minus (full-width － folds to
# it), the Unicode hyphens and dashes, minus sign, and ー (the katakana long vowel mark, often
# typed for a dash in Japanese text).
DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc"


@dataclass(frozen=True)
class Triggers:
    """Words that occur in or next to every match of a recognizer (classifiers.prefilter).

    ``radius``: how far from a trigger a match, and the characters its lookarounds inspect,
    may reach (e.g. an address runs ~70 characters after its prefecture).
    """

    words: tuple[str, ...] = ()  # literal, case-sensitive (Japanese words, symbols)
    ascii_words: tuple[str, ...] = ()  # ASCII, matched case-insensitively
    # A cluster of at least this many digits (spaces, dashes, line breaks between); 0: none.
    numeric: int = 0
    radius: int = 128


@dataclass(frozen=True)
class Context:
    """Context words searched in ``before`` characters before a match and ``after`` after."""

    words: tuple[str, ...] = ()
    before: int = 40
    after: int = 8
    boost: float = 0.3


# Like presidio's own pattern loop: a regex that runs longer than this is abandoned.
REGEX_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Spec:
    """One regex of a pattern recognizer.

    ``engine``: ``"regex"`` (the ``regex`` module, presidio's engine, with its timeout) or
    ``"re"`` (the stdlib engine: several times faster, because a pattern that opens with a
    character class lets it skip every other position in C; it has no timeout, so only
    patterns without nested quantifiers, reviewed for backtracking, may use it).
    """

    name: str
    regex: str
    score: float
    engine: str = "regex"

    def compile(self) -> CompiledSpec:
        if self.engine == "re":
            return CompiledSpec(self, re.compile(self.regex, re.MULTILINE).finditer)
        if self.engine != "regex":
            raise ValueError(f"unknown regex engine {self.engine!r} in pattern {self.name}")
        compiled = regex.compile(self.regex, regex.MULTILINE)

        def finditer(text: str) -> Iterator[re.Match[str]]:
            return compiled.finditer(text, timeout=REGEX_TIMEOUT_SECONDS)  # type: ignore[no-any-return]

        return CompiledSpec(self, finditer)


@dataclass(frozen=True)
class CompiledSpec:
    spec: Spec
    finditer: Callable[[str], Iterator[re.Match[str]]]


class JaPatternRecognizer(PatternRecognizer):
    """A presidio ``PatternRecognizer`` for Japanese text, configured by class attributes."""

    ENTITY: ClassVar[str]
    PATTERNS: ClassVar[tuple[Spec, ...]]
    TRIGGERS: ClassVar[Triggers | None] = None
    CONTEXT: ClassVar[Context] = Context()
    REPORT_THRESHOLD: ClassVar[float] = 0.0
    PERSONAL: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            name=type(self).__name__,
            supported_language=LANGUAGE,
            patterns=[Pattern(p.name, p.regex, p.score) for p in self.PATTERNS],
            context=list(self.CONTEXT.words),
            # Case matters (passport letters are upper case) and "." must not cross lines.
            global_regex_flags=regex.MULTILINE,
        )

        self._compiled = tuple(p.compile() for p in self.PATTERNS)
        self._metadata = {RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                          RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id}

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None,
                regex_flags: int | None = None) -> list[RecognizerResult]:
        """presidio's ``PatternRecognizer`` loop (validate, invalidate, drop zero scores,
        remove duplicates) without the explanation object it builds for every match, which
        cost more than the matching itself on number-dense text (issue 3, speed)."""
        entity = self.supported_entities[0]
        results = []
        for compiled in self._compiled:
            for match in compiled.finditer(text):
                start, end = match.span()
                if start == end:
                    continue
                score = self._score(text[start:end], compiled.spec.score)
                if score > EntityRecognizer.MIN_SCORE:
                    results.append(RecognizerResult(entity, start, end, score,
                                                    recognition_metadata=dict(self._metadata)))
        return EntityRecognizer.remove_duplicates(results)

    def _score(self, value: str, score: float) -> float:
        valid = self.validate_result(value)
        if valid is not None:
            score = EntityRecognizer.MAX_SCORE if valid else EntityRecognizer.MIN_SCORE
        if self.invalidate_result(value):
            return EntityRecognizer.MIN_SCORE
        return float(score)

    def canonical(self, value: str) -> str:
        """The value as validated and hashed (digits only for numbers, etc.)."""
        return "".join(value.split())


class JaEntityRecognizer(EntityRecognizer):
    """A presidio ``EntityRecognizer`` with our class attributes (custom ``analyze``)."""

    TRIGGERS: ClassVar[Triggers | None] = None
    CONTEXT: ClassVar[Context] = Context()
    REPORT_THRESHOLD: ClassVar[float] = 0.0
    PERSONAL: ClassVar[bool] = True

    def __init__(self, entities: list[str]) -> None:
        super().__init__(
            supported_entities=entities,
            name=type(self).__name__,
            supported_language=LANGUAGE,
            context=list(self.CONTEXT.words),
        )

    def load(self) -> None:
        """Nothing to load: patterns are compiled at import."""

    def result(self, entity: str, start: int, end: int, score: float,
               **metadata: str) -> RecognizerResult:
        return RecognizerResult(entity, start, end, score, recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__, **metadata})

    def canonical(self, value: str) -> str:
        return "".join(value.split())


_NOT_DIGIT = re.compile("[^0-9]+")


def digits_only(value: str) -> str:
    return _NOT_DIGIT.sub("", value)
