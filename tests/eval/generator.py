"""Deterministic synthetic Japanese documents with known entity spans (issue 3, Deliver 7).

``generate(n, seed)`` returns ``Document``s: official memos (通知文), name lists (名簿), tables
and application forms (申請書). A document is a sequence of blocks (paragraphs and tables) of
plain strings and labelled ``Piece``s (tests.eval.entities); ``Document.text`` renders
paragraphs as lines and table rows as tab-separated lines, and ``Document.spans`` gives each
piece's [start, end) in that text. Positives carry valid check digits; decoys (invalid check
digits, dates, order numbers, amounts, phone-like amounts, marking look-alikes) are spans
too, with ``decoy`` set, so the runner can say which of them were reported.

Everything depends on ``seed`` and the index only (``random.Random(f"{seed}:{style}:{i}")``,
seeded through SHA-512, independent of PYTHONHASHSEED): the same call gives the same bytes on
every machine.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tests.eval import entities as E
from tests.eval import pools
from tests.eval.entities import Inline, Piece

Cell = tuple[Inline, ...]


@dataclass(frozen=True)
class Paragraph:
    """One paragraph; a newline inside a piece is a line break within it (a number broken
    across lines)."""

    inlines: tuple[Inline, ...]


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[Cell, ...], ...]


Block = Paragraph | Table


@dataclass(frozen=True)
class Span:
    entity_type: str | None
    start: int
    end: int
    text: str
    decoy: str | None = None
    variant: str = "plain"

    @property
    def is_gold(self) -> bool:
        return self.decoy is None


@dataclass(frozen=True)
class Document:
    doc_id: str
    style: str
    blocks: tuple[Block, ...]
    text: str
    spans: tuple[Span, ...]

    @property
    def gold(self) -> tuple[Span, ...]:
        return tuple(s for s in self.spans if s.is_gold)

    @property
    def decoys(self) -> tuple[Span, ...]:
        return tuple(s for s in self.spans if not s.is_gold)


# --- rendering ---------------------------------------------------------------------------


def render(blocks: tuple[Block, ...]) -> tuple[str, tuple[Span, ...]]:
    """Text and spans: a paragraph is a line; a table row is a line of tab-separated cells."""
    out: list[str] = []
    spans: list[Span] = []
    pos = 0

    def emit(inlines: tuple[Inline, ...]) -> None:
        nonlocal pos
        for item in inlines:
            text = item if isinstance(item, str) else item.text
            if isinstance(item, Piece):
                spans.append(Span(item.entity_type, pos, pos + len(text), text, item.decoy,
                                  item.variant))
            out.append(text)
            pos += len(text)

    for block in blocks:
        rows = [(block.inlines,)] if isinstance(block, Paragraph) else list(block.rows)
        for row in rows:
            for i, cell in enumerate(row):
                if i:
                    emit(("\t",))
                emit(cell)
            emit(("\n",))
    return "".join(out), tuple(spans)


def paragraph_text(block: Paragraph) -> str:
    return "".join(i if isinstance(i, str) else i.text for i in block.inlines)


def cell_text(cell: Cell) -> str:
    return "".join(i if isinstance(i, str) else i.text for i in cell)


# --- document styles ---------------------------------------------------------------------


class _Doc:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.blocks: list[Block] = []

    def line(self, *inlines: Inline | list[Inline]) -> None:
        flat: list[Inline] = []
        for item in inlines:
            flat.extend(item if isinstance(item, list) else [item])
        self.blocks.append(Paragraph(tuple(flat)))

    def table(self, rows: list[list[Inline | list[Inline]]]) -> None:
        def cell(value: Inline | list[Inline]) -> Cell:
            return tuple(value) if isinstance(value, list) else (value,)

        self.blocks.append(Table(tuple(tuple(cell(v) for v in row) for row in rows)))

    def filler(self, lo: int, hi: int) -> None:
        for _ in range(self.rng.randint(lo, hi)):
            self.line("\u3000" + "".join(self.rng.sample(pools.FILLER, 2)))

    def maybe_marking(self, p: float) -> None:
        if self.rng.random() < p:
            self.line(E.marking(self.rng, own_line=True))

    def dept(self) -> str:
        return self.rng.choice(pools.DEPARTMENTS)

    def my_number_or_decoy(self, *, allow_break: bool = True, p_invalid: float = 0.2) -> Piece:
        valid = self.rng.random() >= p_invalid
        return E.my_number(self.rng, valid=valid, allow_break=allow_break)


def _memo(d: _Doc) -> None:
    rng = d.rng
    d.maybe_marking(0.7)
    d.line("文書番号：", E.order_number(rng))
    d.line(E.date(rng))
    d.line("各所属長\u3000殿")
    d.line(d.dept(), rng.choice(pools.TITLES), "\u3000", E.person(rng))
    subject: list[Inline] = [rng.choice(pools.SUBJECTS)]
    if rng.random() < 0.3:
        subject.insert(0, E.marking(rng, own_line=False))
    d.line("件名：", subject)
    d.filler(2, 4)
    d.line("記")
    d.line("１\u3000日時\u3000", E.date(rng))
    d.line("２\u3000場所\u3000", E.address(rng))
    d.line("３\u3000対象\u3000", d.dept(), "職員")
    who = E.name(rng)
    d.line("４\u3000連絡先\u3000", d.dept(), "\u3000", E.person(rng, who), "（電話：",
           E.phone(rng, kind="fixed"), "\u3000メール：", E.email(rng, who), "）")
    if rng.random() < 0.5:
        d.line("５\u3000経費\u3000予算額は", E.amount(rng), "を見込んでいる。")
    if rng.random() < 0.4:
        d.line("\u3000", *E.marking_lookalike_sentence(rng))
    if rng.random() < 0.3:
        d.line("\u3000なお、本件は", E.marking(rng, own_line=False), "とする。")
    d.filler(1, 2)
    d.line("以上")


def _roster(d: _Doc) -> None:
    rng = d.rng
    d.maybe_marking(0.6)
    d.line(rng.choice(pools.SUBJECTS).replace("について", ""), "\u3000対象者名簿")
    with_my_number = rng.random() < 0.5
    for i in range(1, rng.randint(3, 8) + 1):
        row: list[Inline | list[Inline]] = [f"{i}．", E.person(rng), "\u3000",
                                            E.postal_code(rng), "\u3000", E.address(rng),
                                            "\u3000電話 ", E.phone(rng)]
        if with_my_number:
            row += ["\u3000個人番号 ", d.my_number_or_decoy(allow_break=False)]
        d.line(*row)
        if rng.random() < 0.3:
            d.line("\u3000\u3000メール：", E.email(rng))
    d.line("作成日：", E.date(rng))
    d.line("作成者：", d.dept(), "\u3000", E.person(rng))


def _resident_rows(d: _Doc, n: int) -> list[list[Inline | list[Inline]]]:
    rows: list[list[Inline | list[Inline]]] = [["No", "氏名", "生年月日", "住所", "電話番号",
                                                "個人番号"]]
    for i in range(1, n + 1):
        rows.append([str(i), E.person(d.rng), E.birth_date(d.rng),
                     E.address(d.rng, building=False), E.phone(d.rng),
                     d.my_number_or_decoy(allow_break=False)])
    return rows


_COMPANIES = ("株式会社みらい情報", "東和システム株式会社", "有限会社さくら設備",
              "北斗警備保障株式会社", "株式会社ひかり印刷", "中央データサービス株式会社",
              "株式会社あおば建設")


def _company_rows(d: _Doc, n: int) -> list[list[Inline | list[Inline]]]:
    rows: list[list[Inline | list[Inline]]] = [["No", "事業者名", "法人番号", "所在地",
                                                "電話番号", "契約金額", "注文番号"]]
    for i in range(1, n + 1):
        valid = d.rng.random() >= 0.2
        rows.append([str(i), d.rng.choice(_COMPANIES), E.corporate_number(d.rng, valid=valid),
                     E.address(d.rng, building=False), E.phone(d.rng, kind="fixed"),
                     E.amount(d.rng), E.order_number(d.rng)])
    return rows


def _payment_rows(d: _Doc, n: int) -> list[list[Inline | list[Inline]]]:
    rows: list[list[Inline | list[Inline]]] = [["No", "氏名", "金融機関", "口座番号", "カード番号",
                                                "支払額", "請求書番号"]]
    for i in range(1, n + 1):
        bank, _, number = E.bank_account(d.rng)
        card = E.credit_card(d.rng, valid=d.rng.random() >= 0.2, allow_break=False)
        rows.append([str(i), E.person(d.rng), str(bank).strip(), number, card,
                     d.rng.choice((E.amount, E.phone_like_amount))(d.rng),
                     E.invoice_number(d.rng)])
    return rows


def _table(d: _Doc) -> None:
    rng = d.rng
    d.maybe_marking(0.6)
    title, make_rows = rng.choice((("住民情報一覧", _resident_rows),
                                   ("契約事業者一覧", _company_rows),
                                   ("支払予定一覧", _payment_rows)))
    d.line(title, "（", E.date(rng), "現在）")
    d.table(make_rows(d, rng.randint(3, 8)))
    d.line("備考：", rng.choice(pools.FILLER))
    d.line("担当：", d.dept(), "\u3000", E.person(rng), "\u3000内線 ", str(rng.randint(1000, 9999)))


_FORMS = ("個人情報開示請求書", "職員身上申告書", "口座振替依頼書", "許可申請書", "届出書")


def _form(d: _Doc) -> None:
    rng = d.rng
    d.maybe_marking(0.5)
    d.line(rng.choice(_FORMS))
    d.line("申請日：", E.date(rng))
    who = E.name(rng)
    d.line("氏名：", E.person(rng, who))
    d.line("生年月日：", E.birth_date(rng))
    d.line("住所：", E.postal_code(rng), "\u3000", E.address(rng))
    d.line("電話番号：", E.phone(rng, kind="fixed"))
    d.line("携帯電話：", E.phone(rng, kind="mobile"))
    d.line("メールアドレス：", E.email(rng, who))
    d.line("個人番号：", d.my_number_or_decoy())
    optional: list[tuple[float, Callable[[], list[Inline | list[Inline]]]]] = [
        (0.4, lambda: ["運転免許証番号：第", E.driver_license(rng), "号"]),
        (0.3, lambda: ["旅券番号：", E.passport(rng)]),
        (0.3, lambda: ["在留カード番号：", E.residence_card(rng)]),
        (0.6, lambda: ["振込先：", E.bank_account(rng)]),
        (0.5, lambda: ["口座名義：", E.person(rng, who)]),
        (0.6, lambda: ["クレジットカード番号：",
                       E.credit_card(rng, valid=rng.random() >= 0.25)]),
        (0.5, lambda: ["勤務先：", rng.choice(_COMPANIES), "\u3000法人番号：",
                       E.corporate_number(rng, valid=rng.random() >= 0.2)]),
        (0.4, lambda: ["照会番号：", E.invoice_number(rng)]),
        (0.6, lambda: ["受付番号：", E.order_number(rng)]),
        (0.5, lambda: ["手数料：", E.amount(rng)]),
        (0.2, lambda: ["納付額：", E.phone_like_amount(rng)]),
    ]
    for p, make in optional:
        if rng.random() < p:
            d.line(*make())
    d.filler(0, 2)
    d.line("受付者：", d.dept(), "\u3000", E.person(rng))


STYLES: dict[str, Callable[[_Doc], None]] = {
    "memo": _memo, "roster": _roster, "table": _table, "form": _form,
}


def make_document(seed: int, index: int, style: str | None = None) -> Document:
    rng = random.Random(f"{seed}:{index}")
    style = style or rng.choice(sorted(STYLES))
    d = _Doc(rng)
    STYLES[style](d)
    blocks = tuple(d.blocks)
    text, spans = render(blocks)
    return Document(f"{style}-{seed}-{index:05d}", style, blocks, text, spans)


def generate(n: int, seed: int = 0, *, offset: int = 0) -> list[Document]:
    """``n`` documents, the styles in rotation; ``offset`` starts further along the same
    sequence, so the DOCX and PDF sets can use documents the text set does not."""
    styles = sorted(STYLES)
    return [make_document(seed, i, styles[i % len(styles)]) for i in range(offset, offset + n)]


def corpus(target_bytes: int, seed: int = 0, *, filler_per_doc: int = 12) -> str:
    """Realistic running text of about ``target_bytes`` UTF-8 bytes with sparse entities:
    generated documents separated by ``filler_per_doc`` paragraphs of plain prose each."""
    rng = random.Random(f"{seed}:corpus")
    parts: list[str] = []
    size = 0
    for doc in _endless(seed):
        prose = "".join("\u3000" + "".join(rng.sample(pools.FILLER, 3)) + "\n"
                        for _ in range(filler_per_doc))
        for chunk in (doc.text, prose):
            parts.append(chunk)
            size += len(chunk.encode("utf-8"))
        if size >= target_bytes:
            return "".join(parts)
    raise AssertionError("unreachable")


def _endless(seed: int) -> Iterator[Document]:
    i = 0
    styles = sorted(STYLES)
    while True:
        yield make_document(seed, i, styles[i % len(styles)])
        i += 1
