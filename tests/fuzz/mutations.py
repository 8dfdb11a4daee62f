"""Seeded request mutations shared by the fuzz suites: a valid request's fields replaced, removed or joined by
hostile values, and whole bodies that are not the JSON object a dialect expects. Deterministic for a seed, so a
failure found once is found again."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SEED = 20261201
BIG_DIGITS = "9" * 5000  # past Python's 4,300-digit int() limit


@dataclass(frozen=True)
class RawNumber:
    """A JSON number token written verbatim (json.dumps cannot write 5,000 digits, 1e400 or NaN as wanted)."""

    token: str


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


# Year 10000, before year 1, and the yyyymmddhh hours at either end of the calendar.
OUT_OF_RANGE_TIMES: tuple[Any, ...] = (
    253_402_300_800,
    -62_135_596_801,
    10**20,
    -(10**20),
    1e20,
    "9999123123",
    "0001010100",
    "9999999999",
    "0000000000",
    RawNumber("1e400"),
    RawNumber("-1e400"),
    RawNumber("NaN"),
    RawNumber("Infinity"),
)
HOSTILE: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1.5,
    -0.0,
    2**31,
    2**63,
    -(2**63) - 1,
    2**64,
    10**30,
    "--1",
    "-",
    "+1",
    "",
    " 1",
    "٣",  # an Arabic-Indic digit: str.isdigit() says yes
    "²",
    "1e5",
    "0x10",
    "-" + "9" * 40,
    BIG_DIGITS,
    RawNumber(BIG_DIGITS),
    RawNumber("-" + BIG_DIGITS),
    "\x00",
    "a\x00b",
    "\x01\x07\x1b[31m\x7f",
    "\r\n\t",
    "\ud800",
    "x" * 70_000,
    "😀" * 500,
    [],
    {},
    ["\x00"],
    ["--1"],
    [-1],
    [2**63],
    [RawNumber(BIG_DIGITS)],
    [None, True, 1.5, {}],
    {"a": {"b": {"c": "\x00"}}},
    _nested(400),
    *OUT_OF_RANGE_TIMES,
)
# Bodies that are not a JSON object (or not one the dialect can read), sent whole.
WHOLE_BODIES: tuple[bytes, ...] = (
    b"",
    b"null",
    b"[]",
    b"[1, 2]",
    b'"text"',
    b"42",
    b"{",
    b"not json at all",
    b"\xff\xfe\x00garbage",
    b'{"a": "\xc3\x28"}',  # invalid UTF-8 inside a string
    b"[" * 100_000 + b"]" * 100_000,  # nested deeper than the parser recurses
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"a": ' + BIG_DIGITS.encode() + b"}",
    b'{"a": 1e999999}',
    b'{"a": NaN, "b": -Infinity}',
    b"{" + b" " * (2 * 1024 * 1024) + b"}",  # over the 1 MiB body limit
)


def encode(value: Any) -> bytes:
    """JSON with RawNumber tokens spliced in verbatim."""
    tokens: list[str] = []

    def default(item: Any) -> Any:
        if isinstance(item, RawNumber):
            tokens.append(item.token)
            return f"@@raw{len(tokens) - 1}@@"
        raise TypeError(type(item))

    text = json.dumps(value, default=default)
    for index, token in enumerate(tokens):
        text = text.replace(f'"@@raw{index}@@"', token)
    return text.encode()


@dataclass(frozen=True)
class Mutant:
    """One mutated request: a body object to sign and send, or raw bytes."""

    params: dict[str, Any] | None
    raw: bytes | None
    what: str  # for the failure message

    def body(self) -> bytes:
        return self.raw if self.raw is not None else encode(self.params)


def _replace_in_list(rng: random.Random, value: list[Any]) -> list[Any]:
    out = list(value)
    if out:
        out[rng.randrange(len(out))] = rng.choice(HOSTILE)
    else:
        out.append(rng.choice(HOSTILE))
    return out


def mutants(
    rng: random.Random, base: dict[str, Any], count: int, *, times: frozenset[str] = frozenset()
) -> Iterator[Mutant]:
    """`count` mutations of `base`: mostly one or two fields changed (time fields favour out-of-range times),
    some fields dropped or added, and some whole bodies that are not a JSON object."""
    names = sorted(base)
    for _ in range(count):
        roll = rng.random()
        if roll < 0.08:
            raw = rng.choice(WHOLE_BODIES)
            yield Mutant(None, raw, f"raw body {raw[:40]!r}")
            continue
        params = dict(base)
        changes = []
        for _ in range(rng.choice((1, 1, 2))):
            op = rng.random()
            name = rng.choice(names) if names else "Extra"
            if op < 0.12:
                params.pop(name, None)
                changes.append(f"-{name}")
            elif op < 0.2:
                # "List.²": a GET query rebuilds lists from `Name.<digits>` keys.
                extra = rng.choice(("Extra", "\x00", "__proto__", "a" * 300, "Ünïcode", "List.²", "List.٣"))
                params[extra] = rng.choice(HOSTILE)
                changes.append(f"+{extra[:20]!r}")
            elif isinstance(base.get(name), list) and op < 0.45:
                params[name] = _replace_in_list(rng, base[name])
                changes.append(f"{name}[?]")
            elif name in times and op < 0.7:
                params[name] = rng.choice(OUT_OF_RANGE_TIMES)
                changes.append(f"{name}=time {params[name]!r}")
            else:
                params[name] = rng.choice(HOSTILE)
                changes.append(f"{name}={_short(params[name])}")
        yield Mutant(params, None, ", ".join(changes))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def time_sweep(base: dict[str, Any], times: frozenset[str]) -> Iterator[Mutant]:
    """Each time field of `base` set to each out-of-range time, the rest left valid: random mutations seldom
    keep every other field valid, and a time is only reached once they are."""
    for name in sorted(times & base.keys()):
        for value in OUT_OF_RANGE_TIMES:
            yield Mutant({**base, name: value}, None, f"{name}=time {_short(value)}")
