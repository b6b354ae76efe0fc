"""Text and metadata in, findings and a label floor out (design.md "classifiers").

Imports only ``core`` (presidio arrives with a later issue, behind the recognizer classes).
"""

from classifiers.findings import CLASSIFICATION_MARKING, Finding
from classifiers.floor import Floor, Reason, floor_for
from classifiers.markings import ClassificationMarkingRecognizer
from classifiers.my_number import MyNumberRecognizer, is_valid_my_number, my_number_check_digit
from classifiers.normalize import NormalizedText
from classifiers.pipeline import MAX_CLASSIFY_CHARS, Classification, classify_text
from classifiers.recognizer import Pattern, PatternRecognizer, Recognizer, ValueTagger
from classifiers.registry import DEFAULT_RECOGNIZERS

__all__ = [
    "CLASSIFICATION_MARKING",
    "DEFAULT_RECOGNIZERS",
    "MAX_CLASSIFY_CHARS",
    "Classification",
    "ClassificationMarkingRecognizer",
    "Finding",
    "Floor",
    "MyNumberRecognizer",
    "NormalizedText",
    "Pattern",
    "PatternRecognizer",
    "Reason",
    "Recognizer",
    "ValueTagger",
    "classify_text",
    "floor_for",
    "is_valid_my_number",
    "my_number_check_digit",
]
