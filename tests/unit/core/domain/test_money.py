"""Money is integer minor units (P1): amounts typed by operators and price files become exact integers, never
floats, and anything that is not a plain decimal number is refused."""

from __future__ import annotations

import pytest

from core.domain.money import format_amount, parse_amount

EXP = 3  # the platform's default: thousandths (0.045 CNY per part)


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("0.045", 45),
        ("100", 100_000),
        ("-1.5", -1_500),
        ("12.5", 12_500),
        ("0.1", 100),  # 0.1 is not exact as a float; it must be exactly 100 here
        ("0.3", 300),
        ("0.045000", 45),  # trailing zeros beyond the exponent are harmless
        ("+7", 7_000),
        (" 2.25\n", 2_250),
        ("0", 0),
        ("-0", 0),
        ("999999999999999.999", 999_999_999_999_999_999),  # beyond a float's 53 bits, still exact
    ],
)
def test_parse_amount_is_exact(text: str, minor: int) -> None:
    parsed = parse_amount(text, EXP)
    assert parsed == minor
    assert type(parsed) is int


def test_parse_amount_follows_the_exponent() -> None:
    assert parse_amount("1.25", 2) == 125
    assert parse_amount("7", 0) == 7
    with pytest.raises(ValueError, match="decimal places"):
        parse_amount("1.5", 0)


@pytest.mark.parametrize(
    "text",
    [
        "1e3",
        "1E3",
        "",
        " ",
        "abc",
        "1,000",
        "1 000",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        "１００",  # full-width digits
        "٣",  # Arabic-Indic digit
        "12.",
        ".5",
        "--1",
        "0x10",
        "1_000",
        "1234567890123456",  # 16 integer digits: beyond any balance
    ],
)
def test_parse_amount_refuses_what_is_not_a_plain_decimal(text: str) -> None:
    with pytest.raises(ValueError, match="is not an amount"):
        parse_amount(text, EXP)


@pytest.mark.parametrize("text", ["0.0451", "0.0005", "-1.0001"])
def test_parse_amount_refuses_more_places_than_a_minor_unit_holds(text: str) -> None:
    with pytest.raises(ValueError, match="more than 3 decimal places"):
        parse_amount(text, EXP)


@pytest.mark.parametrize(
    ("minor", "text"),
    [
        (45, "0.045"),
        (100_000, "100.000"),
        (-1_500, "-1.500"),
        (-5, "-0.005"),
        (0, "0.000"),
        (12_500, "12.500"),
        (999_999_999_999_999_999, "999999999999999.999"),
    ],
)
def test_format_amount_writes_every_minor_unit(minor: int, text: str) -> None:
    assert format_amount(minor, EXP) == text


def test_format_amount_with_other_exponents() -> None:
    assert format_amount(125, 2) == "1.25"
    assert format_amount(-7, 0) == "-7"
    assert format_amount(7, 0) == "7"


@pytest.mark.parametrize("minor", [0, 1, -1, 45, -45, 999, 1000, -1001, 12_345_678, -(10**15) + 1])
@pytest.mark.parametrize("exponent", [0, 2, 3])
def test_format_then_parse_round_trips(minor: int, exponent: int) -> None:
    assert parse_amount(format_amount(minor, exponent), exponent) == minor
