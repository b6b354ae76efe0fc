"""Numbers in tables and wrapped lines: columns stay apart, row numbers never join a number,
a label speaks only for its own line, and a number inside a longer one is part of it."""

from __future__ import annotations

import random

from classifiers import DEFAULT_RECOGNIZERS, PersonNameRecognizer
from tests.classifiers import gen
from tests.classifiers.support import finder, spans

RNG = random.Random(8)
everything = finder(*DEFAULT_RECOGNIZERS)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(e, v) for e, v in spans(everything(text), text) if e != "PERSON"]


def test_tab_separated_columns_are_separate_numbers() -> None:
    n = gen.my_number(RNG)
    text = f"1\t08008601777\t{gen.groups(n, '-')}\n"
    assert kinds(text) == [("PHONE_NUMBER", "08008601777"), ("JP_MY_NUMBER", gen.groups(n, "-"))]


def test_pdf_columns_separated_by_ideographic_spaces() -> None:
    n = gen.my_number(RNG)
    shown = gen.groups(n, "\u3000").translate(gen.FULL_WIDTH)
    text = f"東京都新宿区東町3-1-2\u3000090-2015-4594\u3000{shown}\n4\u3000林 健一"
    assert kinds(text) == [("JP_ADDRESS", "東京都新宿区東町3-1-2"),
                           ("PHONE_NUMBER", "090-2015-4594"), ("JP_MY_NUMBER", shown)]


def test_a_row_number_on_the_next_line_never_extends_a_number() -> None:
    n = gen.my_number(RNG)
    for tail in ("\n5．後藤 修", "\n3\t斎藤", "\n2\n井上", "\n12) 次"):
        text = f"個人番号 {n}{tail}"
        assert kinds(text) == [("JP_MY_NUMBER", n)], tail


def test_a_card_broken_before_its_last_group_is_one_card() -> None:
    card = gen.card_number(RNG, "4", 16)
    shown = gen.groups(card, " ", (4, 4, 4)) + "\n" + card[12:]
    text = f"クレジットカード番号：{shown}\n勤務先"
    assert kinds(text) == [("CREDIT_CARD", shown)]


def test_a_postal_shaped_tail_of_a_phone_is_the_phone() -> None:
    text = "住所 草加市高砂1-1-1 電話 (076)478-6375"
    assert ("JP_POSTAL_CODE", "478-6375") not in kinds(text)
    assert ("PHONE_NUMBER", "(076)478-6375") in kinds(text)


def test_each_label_speaks_for_its_own_line() -> None:
    both = next(n for n in (gen.driver_license(RNG, "30") for _ in range(5000))
                if gen.my_number_digit(n[:11]) == int(n[11]))
    mine = gen.my_number(RNG)
    text = f"個人番号：{mine}\n運転免許証番号：第{both}号"
    assert kinds(text) == [("JP_MY_NUMBER", mine), ("JP_DRIVER_LICENSE", both)]
    # A label alone on the line above still counts.
    assert kinds(f"個人番号：\n{mine}") == [("JP_MY_NUMBER", mine)]


def test_mixed_separators_are_not_one_grouped_number() -> None:
    text = "内線5241\u3000１６４２７７９００８５０"  # a short number beside a 12-digit one
    assert all(e != "CREDIT_CARD" for e, _ in kinds(text))


def test_spaced_family_and_given_names() -> None:
    names = finder(PersonNameRecognizer())
    text = "2．坂本\u3000美咲\u3000〒408-9\n3．佐々木 はなこ\n会議 開催"
    assert [v for _, v in spans(names(text), text)] == ["坂本\u3000美咲", "佐々木 はなこ"]
    assert names("山田 部長") == [] and names("中村 委員") == [] and names("田中 課長補佐") == []


def test_a_unit_between_label_and_name() -> None:
    text = "作成者：生活安全部　林誠\n担当：総務課　山田花子　内線 6315"
    found = [v for e, v in spans(everything(text), text) if e == "PERSON"]
    assert found == ["林誠", "山田花子"]
