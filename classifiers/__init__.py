"""Text and metadata in, findings and a label floor out (design.md "classifiers").

Imports only ``core`` of ours; the only package that imports presidio, spaCy and GiNZA.
Public API: ``classify_text`` (the façade), ``Classification``, ``Finding``, ``floor_for``,
the recognizers (presidio recognizers for language ``ja``) and ``DEFAULT_RECOGNIZERS``.
"""

from classifiers.address import AddressRecognizer
from classifiers.checkdigits import (
    corporate_number_check_digit,
    driver_license_check_digit,
    is_valid_corporate_number,
    is_valid_driver_license,
    is_valid_my_number,
    luhn_valid,
    my_number_check_digit,
)
from classifiers.contact import EmailRecognizer, PhoneRecognizer, PostalCodeRecognizer
from classifiers.documents import BankAccountRecognizer, PassportRecognizer, ResidenceCardRecognizer
from classifiers.findings import CLASSIFICATION_MARKING, Finding
from classifiers.floor import Floor, Reason, floor_for
from classifiers.hashing import TextHasher
from classifiers.identifiers import (
    CorporateNumberRecognizer,
    CreditCardRecognizer,
    DriverLicenseRecognizer,
    MyNumberRecognizer,
)
from classifiers.markings import ClassificationMarkingRecognizer
from classifiers.ner import GinzaRecognizer, ner_available
from classifiers.normalize import NormalizedText
from classifiers.person import PersonContextRecognizer, PersonNameRecognizer
from classifiers.pipeline import MAX_CLASSIFY_CHARS, Classification, classify_text
from classifiers.registry import DEFAULT_RECOGNIZERS, build_registry

__all__ = [
    "CLASSIFICATION_MARKING",
    "DEFAULT_RECOGNIZERS",
    "MAX_CLASSIFY_CHARS",
    "AddressRecognizer",
    "BankAccountRecognizer",
    "Classification",
    "ClassificationMarkingRecognizer",
    "CorporateNumberRecognizer",
    "CreditCardRecognizer",
    "DriverLicenseRecognizer",
    "EmailRecognizer",
    "Finding",
    "Floor",
    "GinzaRecognizer",
    "MyNumberRecognizer",
    "NormalizedText",
    "PassportRecognizer",
    "PersonContextRecognizer",
    "PersonNameRecognizer",
    "PhoneRecognizer",
    "PostalCodeRecognizer",
    "Reason",
    "ResidenceCardRecognizer",
    "TextHasher",
    "build_registry",
    "classify_text",
    "corporate_number_check_digit",
    "driver_license_check_digit",
    "floor_for",
    "is_valid_corporate_number",
    "is_valid_driver_license",
    "is_valid_my_number",
    "luhn_valid",
    "my_number_check_digit",
    "ner_available",
]
