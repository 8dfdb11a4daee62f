"""Price lists (P1): a price per part per country (ISO 3166 alpha-2), with `DEF` for every other country.
A file is checked whole, and every bad line is reported, before anything is applied."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from core.domain.money import parse_amount
from core.domain.phone import UNKNOWN_ISO


@dataclass(frozen=True)
class PriceRow:
    iso_code: str
    price_minor: int


class PriceFileError(ValueError):
    """Every problem of a price file, by line, so the operator can fix them all at once."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_price_csv(text: str, *, exponent: int, currency: str) -> list[PriceRow]:
    """A CSV with a header `country,price[,currency]`: `CN,0.045`. The price is per part in the platform's
    currency (a `currency` column, if present, must name it). Duplicate countries, unknown columns, negative
    or malformed prices are refused, each reported with the line of the file it starts on."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:2] != ["country", "price"] or not set(header) <= {"country", "price", "currency"}:
        raise PriceFileError(["line 1: the header must be country,price[,currency]"])
    has_currency = "currency" in header
    problems: list[str] = []
    rows: list[PriceRow] = []
    seen: dict[str, int] = {}
    line = reader.line_num + 1  # where the next record starts (a quoted cell may span lines)
    for fields in reader:
        record_line, line = line, reader.line_num + 1
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            problems.append(f"line {record_line}: expected {len(header)} fields, found {len(fields)}")
            continue
        values = dict(zip(header, (f.strip() for f in fields), strict=True))
        iso = values["country"].upper()
        if not (iso == UNKNOWN_ISO or (len(iso) == 2 and iso.isascii() and iso.isalpha())):
            problems.append(
                f"line {record_line}: {values['country']!r} is not a country code (ISO 3166, or DEF)"
            )
            continue
        if has_currency and values["currency"].upper() != currency:
            problems.append(
                f"line {record_line}: currency {values['currency']!r}; this platform bills in {currency}"
            )
            continue
        try:
            price = parse_amount(values["price"], exponent)
        except ValueError as exc:
            problems.append(f"line {record_line}: {exc}")
            continue
        if price < 0:
            problems.append(f"line {record_line}: a price cannot be negative")
            continue
        if iso in seen:
            problems.append(f"line {record_line}: {iso} is already priced on line {seen[iso]}")
            continue
        seen[iso] = record_line
        rows.append(PriceRow(iso, price))
    if problems:
        raise PriceFileError(problems)
    if not rows:
        raise PriceFileError(["the file has no prices"])
    return rows
