"""The explicit list of recognizers that run by default (read this file to know what runs).

A later issue adds the other design.md entity types (JP_CORPORATE_NUMBER, PHONE_NUMBER, ...)
and moves them onto presidio; each is one more entry here.
"""

from __future__ import annotations

from classifiers.markings import ClassificationMarkingRecognizer
from classifiers.my_number import MyNumberRecognizer
from classifiers.recognizer import Recognizer

DEFAULT_RECOGNIZERS: tuple[Recognizer, ...] = (
    ClassificationMarkingRecognizer(),
    MyNumberRecognizer(),
)
