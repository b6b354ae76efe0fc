"""The evaluation set itself: gold spans, check digits, determinism, span relocation on
extracted text, and the matcher. Nothing here depends on how good the classifier is."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.eval import entities as E
from tests.eval import formats
from tests.eval.checkdigits import (
    corporate_check_digit,
    driver_license_check_digit,
    is_valid_corporate_number,
    is_valid_driver_license,
    is_valid_my_number,
    luhn_valid,
    my_number_check_digit,
)
from tests.eval.formats import as_text, convert, locate
from tests.eval.generator import Paragraph, Span, Table, corpus, generate, make_document
from tests.eval.matching import Counts, score_document
from tests.eval.run import Results, _record, targets

ROOT = Path(__file__).resolve().parents[2]
DOCS = generate(200, seed=11)


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", text))


def _spans(kind: str | None = None, *, gold: bool | None = None) -> list[Span]:
    return [s for d in DOCS for s in d.spans
            if (kind is None or s.entity_type == kind) and (gold is None or s.is_gold == gold)]


# --- check digits: known answers ---------------------------------------------------------


def test_my_number_check_digit_known_answer() -> None:
    assert my_number_check_digit("12345678901") == 8
    assert is_valid_my_number("123456789018")
    assert not is_valid_my_number("123456789017")


def test_corporate_number_check_digit_known_answers() -> None:
    assert is_valid_corporate_number("7000012050002")  # 国税庁
    assert is_valid_corporate_number("1180301018771")
    assert not is_valid_corporate_number("2180301018771")
    assert corporate_check_digit("000012050002") == 7


def test_luhn_and_licence_known_answers() -> None:
    assert luhn_valid("4111111111111111") and luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")
    assert driver_license_check_digit("4598033587") == 2
    assert is_valid_driver_license("459803358720")


# --- gold spans --------------------------------------------------------------------------


def test_every_span_is_its_string_in_the_text_and_spans_do_not_overlap() -> None:
    for doc in DOCS:
        end = 0
        for span in doc.spans:
            assert doc.text[span.start:span.end] == span.text
            assert span.start >= end, f"overlapping spans in {doc.doc_id}"
            assert span.text.strip() == span.text and span.text
            end = span.end


def test_positive_numbers_have_valid_check_digits() -> None:
    for span in _spans(E.MY_NUMBER, gold=True):
        assert is_valid_my_number(_digits(span.text)), span
    for span in _spans(E.CORPORATE_NUMBER, gold=True):
        assert is_valid_corporate_number(_digits(span.text)), span
    for span in _spans(E.CREDIT_CARD, gold=True):
        assert luhn_valid(_digits(span.text)) and len(_digits(span.text)) in (15, 16), span
    for span in _spans(E.DRIVER_LICENSE, gold=True):
        assert is_valid_driver_license(span.text), span


def test_invalid_check_digit_decoys_fail_their_checks() -> None:
    decoys = [s for s in _spans(gold=False) if s.decoy == E.INVALID_CHECK_DIGIT]
    assert {s.entity_type for s in decoys} == {E.MY_NUMBER, E.CORPORATE_NUMBER, E.CREDIT_CARD}
    for span in decoys:
        number = _digits(span.text)
        if span.entity_type == E.MY_NUMBER:
            assert len(number) == 12 and not is_valid_my_number(number), span
            assert not is_valid_driver_license(number), span  # no valid reading at all
        elif span.entity_type == E.CORPORATE_NUMBER:
            assert len(number) == 13 and not is_valid_corporate_number(number), span
        else:
            assert not luhn_valid(number), span


def test_number_like_decoys_are_not_identifiers() -> None:
    for span in _spans(gold=False):
        if span.decoy == E.PHONE_LIKE_AMOUNT:
            assert span.text.endswith("円") and not span.text.startswith("0")
        if span.decoy in (E.DATE, E.ORDER_NUMBER, E.AMOUNT):
            assert len(_digits(span.text)) not in (12, 13, 15, 16) or span.decoy == E.AMOUNT


def test_postal_codes_and_phones_have_their_shapes() -> None:
    for span in _spans(E.POSTAL_CODE, gold=True):
        assert re.fullmatch(r"\d{3}-?\d{4}", unicodedata.normalize("NFKC", span.text)), span
    for span in _spans(E.PHONE, gold=True):
        national = _digits(span.text)
        national = "0" + national[2:] if span.text.startswith(("+81", "＋８１")) else national
        assert national.startswith("0") and len(national) in (10, 11), span


def test_the_set_covers_every_type_variant_and_decoy_kind() -> None:
    assert {s.entity_type for s in _spans(gold=True)} == set(E.ENTITY_TYPES)
    assert {s.decoy for s in _spans(gold=False)} == {
        E.INVALID_CHECK_DIGIT, E.DATE, E.ORDER_NUMBER, E.AMOUNT, E.PHONE_LIKE_AMOUNT,
        E.MARKING_LOOKALIKE}
    variants = {(s.entity_type, s.variant) for s in _spans(gold=True)}
    for entity in (E.MY_NUMBER, E.CREDIT_CARD):
        for variant in ("plain", "spaced", "hyphen", "fullwidth", "line_break"):
            assert (entity, variant) in variants
    assert any("\n" in s.text for s in _spans(E.MY_NUMBER, gold=True))
    assert {d.style for d in DOCS} == {"memo", "roster", "table", "form"}
    in_tables = [d for d in DOCS if any(isinstance(b, Table) for b in d.blocks)]
    assert in_tables and all("\t" in d.text for d in in_tables)


# --- determinism -------------------------------------------------------------------------


def _fingerprint(docs: list) -> str:
    h = hashlib.sha256()
    for doc in docs:
        h.update(doc.text.encode())
        h.update(repr(doc.spans).encode())
    return h.hexdigest()


def test_generation_is_deterministic_and_seeded() -> None:
    assert _fingerprint(generate(30, seed=5)) == _fingerprint(generate(30, seed=5))
    assert _fingerprint(generate(30, seed=5)) != _fingerprint(generate(30, seed=6))
    assert make_document(5, 7) == make_document(5, 7)
    assert generate(10, seed=5, offset=20) == generate(30, seed=5)[20:]


def test_generation_does_not_depend_on_hash_randomisation() -> None:
    code = ("from tests.eval.generator import generate; import hashlib;"
            "print(hashlib.sha256(repr([(d.text, d.spans) for d in generate(20, 3)])"
            ".encode()).hexdigest())")
    outs = set()
    for hashseed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        outs.add(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                                capture_output=True, text=True).stdout)
    assert len(outs) == 1


def test_corpus_is_large_enough_and_repeatable() -> None:
    text = corpus(200_000, seed=2)
    assert len(text.encode()) >= 200_000
    assert text == corpus(200_000, seed=2)


# --- gold spans on extracted text --------------------------------------------------------


def _doc_with_table():
    return next(d for d in generate(40, seed=4) if d.style == "table")


def test_locate_follows_reordering_and_whitespace_changes() -> None:
    doc = _doc_with_table()
    paragraphs = [b for b in doc.blocks if isinstance(b, Paragraph)]
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    # An extractor that emits tables after the paragraphs, cells one per line, and line
    # breaks inside paragraphs as spaces.
    from tests.eval.generator import render

    para_text, _ = render(tuple(paragraphs))
    table_text, _ = render(tuple(tables))
    extracted = "ヘッダー\n" + para_text.replace("\n", " ") + table_text.replace("\t", "\n")
    spans, lost = locate(doc.text, doc.spans, extracted)
    assert not lost and len(spans) == len(doc.spans)
    for before, after in zip(doc.spans, spans, strict=True):
        assert re.sub(r"\s", "", before.text) == re.sub(r"\s", "", after.text)
        assert extracted[after.start:after.end] == after.text


def test_locate_reports_what_extraction_lost() -> None:
    text = "氏名：山田太郎\n電話：03-1234-5678\n"
    spans = (Span(E.PERSON, 3, 7, "山田太郎"), Span(E.PHONE, 11, 23, "03-1234-5678"))
    found, lost = locate(text, spans, "氏名：山田太郎\n電話：")
    assert [s.text for s in found] == ["山田太郎"] and lost == (spans[1],)


def test_line_break_inside_a_number_may_become_a_space_or_vanish() -> None:
    text = "個人番号：1234 5678\n9018\n"
    span = Span(E.MY_NUMBER, 5, 19, "1234 5678\n9018")
    for extracted in ("個人番号：1234 5678 9018", "個人番号：1234 56789018"):
        (found,), lost = locate(text, (span,), extracted)
        assert not lost and found.end == len(extracted)


def _needs_extract() -> None:
    if getattr(pytest.importorskip("handlers.extract"), "extract", None) is None:
        pytest.skip("handlers.extract.extract not available yet")


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_gold_is_put_on_extracted_text(fmt: str) -> None:
    _needs_extract()
    if fmt == "docx":
        pytest.importorskip("tests.fixtures.officegen")
    for doc in generate(8, seed=9):
        evaluated = convert(doc, fmt)
        assert evaluated.error is None
        assert len(evaluated.spans) + len(evaluated.lost) == len(doc.spans)
        for span in evaluated.spans:
            assert evaluated.text[span.start:span.end] == span.text


def test_an_extraction_failure_loses_every_span(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(doc):
        raise ValueError("unreadable")

    monkeypatch.setitem(formats.CONVERTERS, "pdf", broken)
    doc = make_document(1, 1)
    evaluated = convert(doc, "pdf")
    assert evaluated.error == "ValueError: unreadable" and evaluated.text == ""
    assert evaluated.lost == doc.spans and evaluated.spans == ()


# --- matcher -----------------------------------------------------------------------------


@dataclass(frozen=True)
class F:
    entity_type: str
    start: int
    end: int


TYPES = (E.PERSON, E.PHONE, E.MY_NUMBER)


def _score(findings, gold, decoys=(), lost=()):
    return score_document(findings, gold, decoys, entity_types=TYPES, lost_gold=lost)


def test_exact_and_larger_findings_are_true_positives() -> None:
    gold = [Span(E.PHONE, 10, 22, "x" * 12), Span(E.PERSON, 30, 34, "x" * 4)]
    s = _score([F(E.PHONE, 10, 22), F(E.PERSON, 28, 36)], gold)
    assert (s.counts[E.PHONE].tp, s.counts[E.PERSON].tp) == (1, 1)
    assert all(c.fp == 0 and c.fn == 0 for c in s.counts.values())


def test_half_the_gold_span_is_the_threshold() -> None:
    gold = [Span(E.PERSON, 0, 10, "x" * 10)]
    assert _score([F(E.PERSON, 5, 12)], gold).counts[E.PERSON].tp == 1  # 5 of 10
    c = _score([F(E.PERSON, 6, 12)], gold).counts[E.PERSON]  # 4 of 10
    assert (c.tp, c.fp, c.fn) == (0, 1, 1)


def test_wrong_type_is_a_false_positive_and_a_false_negative() -> None:
    s = _score([F(E.PHONE, 0, 12)], [Span(E.MY_NUMBER, 0, 12, "1" * 12)])
    assert (s.counts[E.PHONE].fp, s.counts[E.MY_NUMBER].fn) == (1, 1)
    assert s.false_positives == [0] and s.missed_gold == [0]


def test_matching_is_one_to_one() -> None:
    gold = [Span(E.PERSON, 0, 4, "xxxx"), Span(E.PERSON, 5, 9, "xxxx")]
    merged = _score([F(E.PERSON, 0, 9)], gold).counts[E.PERSON]
    assert (merged.tp, merged.fp, merged.fn) == (1, 0, 1)
    twice = _score([F(E.PERSON, 0, 4), F(E.PERSON, 1, 4), F(E.PERSON, 5, 9)], gold)
    c = twice.counts[E.PERSON]
    assert (c.tp, c.fp, c.fn, c.duplicates) == (2, 0, 0, 1)


def test_decoys_other_types_and_lost_gold() -> None:
    decoys = [Span(E.MY_NUMBER, 20, 32, "1" * 12, decoy=E.INVALID_CHECK_DIGIT),
              Span(None, 40, 50, "2024-01-15", decoy=E.DATE)]
    lost = [Span(E.PERSON, 0, 0, "山田太郎")]
    s = _score([F(E.MY_NUMBER, 20, 32), F("DATE_TIME", 40, 50)], [], decoys, lost)
    assert s.reported_decoys == [0]
    assert s.counts[E.MY_NUMBER].fp == 1 and s.counts[E.PERSON].fn == 1
    assert s.other_types == {"DATE_TIME": 1}


def test_counts_arithmetic() -> None:
    c = Counts(tp=8, fp=2, fn=2)
    assert c.precision == pytest.approx(0.8) and c.recall == pytest.approx(0.8)
    assert c.f1 == pytest.approx(0.8)
    assert Counts().f1 is None and Counts(fn=3).f1 == 0.0


# --- runner plumbing with a stand-in classifier ------------------------------------------


def _results(findings_for) -> Results:
    results = Results()
    for doc in generate(24, seed=3):
        evaluated = as_text(doc)
        _record(results, evaluated, findings_for(evaluated))
    return results


def test_a_perfect_classifier_meets_every_target() -> None:
    results = _results(lambda d: [F(str(s.entity_type), s.start, s.end) for s in d.gold])
    assert all(results.counts[e].f1 == 1.0 for e in E.ENTITY_TYPES if results.counts[e].tp)
    assert results.decoy_reported[E.INVALID_CHECK_DIGIT] == 0
    assert {v for v, _ in targets(results, ner=True, skipped={})} == {"PASS"}


def test_reporting_invalid_numbers_misses_the_target() -> None:
    def findings(d):
        gold = [F(str(s.entity_type), s.start, s.end) for s in d.gold]
        return gold + [F(E.MY_NUMBER, s.start, s.end) for s in d.decoys
                       if s.decoy == E.INVALID_CHECK_DIGIT]

    results = _results(findings)
    assert results.decoy_reported[E.INVALID_CHECK_DIGIT] > 0
    verdicts = dict((line.split()[0], v) for v, line in targets(results, True, {}))
    assert verdicts["invalid-check-digit"] == "MISS"


def test_ner_targets_are_not_applicable_without_ner() -> None:
    results = _results(lambda d: [])
    verdicts = {line.split()[0]: v for v, line in targets(results, ner=False, skipped={})}
    assert verdicts[E.PERSON] == verdicts[E.ADDRESS] == "N/A"
    assert verdicts[E.MY_NUMBER] == "MISS"
