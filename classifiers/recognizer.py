"""Recognizer base classes, shaped like presidio-analyzer's so a later move onto it is a port.

A recognizer reports one entity type. ``PatternRecognizer`` runs regexes over the NFKC text,
asks ``validate`` (the check-digit hook, presidio's ``validate_result``) and ``reject`` (context
that disqualifies a match, e.g. a longer digit chain), raises the score when a context word
is near, and maps every span back to the original text.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from classifiers.findings import Finding
from classifiers.normalize import NormalizedText


class ValueTagger:
    """Non-reversible value tags: HMAC-SHA256 under a key that lives for one call only."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def __call__(self, canonical: str) -> str:
        return hmac.new(self._key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def __repr__(self) -> str:
        return "ValueTagger(<ephemeral key>)"


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: re.Pattern[str]
    score: float


class Recognizer(ABC):
    """One entity type in, findings (with ORIGINAL-text offsets) out."""

    name: ClassVar[str]
    entity_type: ClassVar[str]

    @abstractmethod
    def analyze(self, text: NormalizedText, tagger: ValueTagger) -> list[Finding]:
        """Findings for ``text``; personal values are only ever passed to ``tagger``."""


class PatternRecognizer(Recognizer):
    patterns: ClassVar[tuple[Pattern, ...]]
    context_words: ClassVar[tuple[str, ...]] = ()
    context_before: ClassVar[int] = 40
    context_after: ClassVar[int] = 20
    context_boost: ClassVar[float] = 0.3

    def canonical(self, matched: str) -> str:
        """The value as validated and tagged (e.g. digits only)."""
        return matched

    def validate(self, value: str) -> bool:
        """Check-digit hook: False drops the match whatever its context."""
        return True

    def reject(self, text: str, match: re.Match[str]) -> bool:
        """Context that disqualifies an otherwise valid match."""
        return False

    def has_context(self, text: str, start: int, end: int) -> bool:
        window = text[max(0, start - self.context_before) : end + self.context_after].lower()
        return any(word in window for word in self.context_words)

    def analyze(self, text: NormalizedText, tagger: ValueTagger) -> list[Finding]:
        findings: list[Finding] = []
        for pattern in self.patterns:
            for match in pattern.regex.finditer(text.text):
                finding = self._finding(text, match, pattern, tagger)
                if finding is not None:
                    findings.append(finding)
        return findings

    def _finding(
        self, text: NormalizedText, match: re.Match[str], pattern: Pattern, tagger: ValueTagger
    ) -> Finding | None:
        value = self.canonical(match.group(0))
        if not self.validate(value) or self.reject(text.text, match):
            return None
        score = pattern.score
        if self.has_context(text.text, match.start(), match.end()):
            score = min(1.0, score + self.context_boost)
        start, end = text.original_span(match.start(), match.end())
        return Finding(self.entity_type, start, end, score, self.name, value_tag=tagger(value))
