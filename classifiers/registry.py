"""The explicit list of recognizers that run by default (read this file to know what runs).

Never presidio's ``AnalyzerEngine()`` or ``load_predefined_recognizers``: the defaults load
English models (and try to download en_core_web_lg offline), and none of them knows Japanese.
GiNZA's NER is not in this list: it runs separately, on chunks and under a budget
(classifiers.ner), when the ``ner`` extra is installed.
"""

from __future__ import annotations

from collections.abc import Sequence

from classifiers._presidio import LANGUAGE, EntityRecognizer, RecognizerRegistry
from classifiers.address import AddressRecognizer
from classifiers.contact import EmailRecognizer, PhoneRecognizer, PostalCodeRecognizer
from classifiers.documents import BankAccountRecognizer, PassportRecognizer, ResidenceCardRecognizer
from classifiers.identifiers import (
    CorporateNumberRecognizer,
    CreditCardRecognizer,
    DriverLicenseRecognizer,
    MyNumberRecognizer,
)
from classifiers.markings import ClassificationMarkingRecognizer
from classifiers.person import PersonContextRecognizer, PersonNameRecognizer

DEFAULT_RECOGNIZERS: tuple[EntityRecognizer, ...] = (
    ClassificationMarkingRecognizer(),
    MyNumberRecognizer(),
    CorporateNumberRecognizer(),
    CreditCardRecognizer(),
    DriverLicenseRecognizer(),
    BankAccountRecognizer(),
    PassportRecognizer(),
    ResidenceCardRecognizer(),
    PhoneRecognizer(),
    EmailRecognizer(),
    PostalCodeRecognizer(),
    AddressRecognizer(),
    PersonContextRecognizer(),
    PersonNameRecognizer(),
)


def build_registry(recognizers: Sequence[EntityRecognizer] = DEFAULT_RECOGNIZERS
                   ) -> RecognizerRegistry:
    """A presidio registry holding exactly ``recognizers`` (for use with presidio's tools)."""
    return RecognizerRegistry(recognizers=list(recognizers), supported_languages=[LANGUAGE])
