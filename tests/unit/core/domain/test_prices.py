"""Price files (P1: a price per part per country): a file is checked whole, every bad line is reported by its
line number, and a file with any bad line yields nothing to apply."""

from __future__ import annotations

import pytest

from core.domain.prices import PriceFileError, PriceRow, parse_price_csv


def parse(text: str) -> list[PriceRow]:
    return parse_price_csv(text, exponent=3, currency="CNY")


def problems(text: str) -> list[str]:
    with pytest.raises(PriceFileError) as err:
        parse(text)
    assert str(err.value) == "; ".join(err.value.problems)
    return err.value.problems


def test_a_good_file_gives_each_country_its_price_in_minor_units() -> None:
    rows = parse("country,price\nCN,0.045\nUS,0.5\nDEF,0.600\ngb,1\n")
    assert rows == [PriceRow("CN", 45), PriceRow("US", 500), PriceRow("DEF", 600), PriceRow("GB", 1000)]


def test_a_currency_column_naming_the_platform_currency_is_accepted() -> None:
    rows = parse("Country, Price ,Currency\r\ncn,0.045,CNY\r\ndef,0.5,cny\r\n")
    assert rows == [PriceRow("CN", 45), PriceRow("DEF", 500)]


def test_blank_lines_are_skipped_and_a_free_price_is_allowed() -> None:
    assert parse("country,price\n\nJP,0\n\n") == [PriceRow("JP", 0)]


def test_every_bad_line_is_reported_by_its_number_and_nothing_is_returned() -> None:
    text = "\n".join(
        [
            "country,price",  # 1
            "CN,0.045",  # 2 good
            "USA,0.5",  # 3 not a code
            "GB,-0.1",  # 4 negative
            "",  # 5 blank: skipped, but still counted
            "FR,abc",  # 6 malformed price
            "DE,0.0451",  # 7 too many decimal places
            "CN,0.05",  # 8 duplicate of line 2
            "JP",  # 9 missing field
            "1A,0.1",  # 10 not a code
            "IT,1e3",  # 11 exponent notation
            "ES,0.3",  # 12 good
        ]
    )
    found = problems(text)
    assert [p.split(":")[0] for p in found] == [
        "line 3",
        "line 4",
        "line 6",
        "line 7",
        "line 8",
        "line 9",
        "line 10",
        "line 11",
    ]
    assert "'USA' is not a country code" in found[0]
    assert "cannot be negative" in found[1]
    assert "'abc' is not an amount" in found[2]
    assert "more than 3 decimal places" in found[3]
    assert "CN is already priced on line 2" in found[4]
    assert "expected 2 fields, found 1" in found[5]


def test_a_duplicate_country_is_refused_whatever_its_case() -> None:
    assert problems("country,price\nCN,0.045\ncn,0.045\n") == ["line 3: CN is already priced on line 2"]


def test_another_currency_is_refused() -> None:
    found = problems("country,price,currency\nCN,0.045,CNY\nUS,0.07,USD\nGB,0.5,\n")
    assert len(found) == 2
    assert found[0].startswith("line 3: currency 'USD'") and "bills in CNY" in found[0]
    assert found[1].startswith("line 4: currency ''")


def test_a_negative_price_is_refused() -> None:
    assert problems("country,price\nCN,-0.045\n") == ["line 2: a price cannot be negative"]


@pytest.mark.parametrize(
    "header",
    ["price,country", "country", "country,cost", "country,price,note", "iso,price", "country;price"],
)
def test_a_bad_header_is_refused_before_any_row(header: str) -> None:
    assert problems(f"{header}\nCN,0.045\n") == ["line 1: the header must be country,price[,currency]"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "line 1: the header must be country,price[,currency]"),
        ("\n\n", "line 1: the header must be country,price[,currency]"),
        ("country,price\n", "the file has no prices"),
        ("country,price\n\n , \n", "the file has no prices"),
    ],
)
def test_a_file_without_prices_is_refused(text: str, problem: str) -> None:
    assert problems(text) == [problem]


def test_a_quoted_cell_spanning_lines_keeps_later_line_numbers_right() -> None:
    with pytest.raises(PriceFileError) as err:
        parse_price_csv('country,price\n"C\nN",0.1\nUS,abc\n', exponent=3, currency="CNY")
    assert [p.split(":")[0] for p in err.value.problems] == ["line 2", "line 4"]
