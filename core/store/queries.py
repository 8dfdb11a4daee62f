"""The store's SQL, by name: every statement lives whole in `sql/queries/*.sql` under a header line

    -- name: insert_batch
    -- An optional comment saying what it does (the comment lines right under the header).
    INSERT INTO ... VALUES (:batch_id, :now::timestamptz, ...)

and is called by name with keyword arguments: `await queries.fetch(db, "insert_batch", batch_id=..., ...)`.

The files are read once, when this module is imported. Each statement's named parameters (`:batch_id`) are
translated then to asyncpg's positional ones (`$1`), with a name -> position map; a call must give exactly the
statement's parameters, no more and no fewer. The translation skips `::casts`, string literals, quoted
identifiers, dollar-quoted bodies and comments; a positional `$1` written in a statement is refused (it would
be a hidden contract again), and so are a name used twice, a statement with no text and an unknown name."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

QUERIES_DIR = Path(__file__).resolve().parents[2] / "sql" / "queries"

Db = asyncpg.Connection | asyncpg.Pool | PoolConnectionProxy

_HEADER = re.compile(r"^--\s*name:\s*(?P<name>\S*)\s*$")
_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")
_IDENT_START = re.compile(r"[A-Za-z_]")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")


class QueryError(ValueError):
    """A statement file that cannot be used as it is: the message says where and why."""


class UnknownQuery(KeyError):
    """A store function asked for a statement no file defines."""


class QueryArguments(TypeError):
    """A call gave a statement parameters it does not have, or left out some it needs."""


@dataclass(frozen=True)
class Query:
    name: str
    doc: str  # the comment under the header, '' when there is none
    text: str  # the statement as written, with its named parameters
    sql: str  # the statement as sent: `$n` in place of each `:name`
    params: tuple[str, ...]  # the parameters' names, in `$n` order
    source: str  # file:line of the header

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for `values`, refusing a missing or an extra one."""
        if len(values) != len(self.params) or any(p not in values for p in self.params):
            missing = [p for p in self.params if p not in values]
            extra = sorted(set(values) - set(self.params))
            raise QueryArguments(
                f"query {self.name} ({self.source}): "
                + "; ".join(
                    part
                    for part in (
                        f"missing {', '.join(missing)}" if missing else "",
                        f"unexpected {', '.join(extra)}" if extra else "",
                    )
                    if part
                )
            )
        return [values[p] for p in self.params]


def translate(text: str, *, where: str = "<sql>") -> tuple[str, tuple[str, ...]]:
    """`text` with each `:name` replaced by `$n` (the same n for every use of one name), and the names in
    order. Leaves alone `::` casts, string literals ('...', E'...'), quoted identifiers, dollar-quoted bodies
    and comments. Raises QueryError for a positional `$n`, an unterminated literal or comment."""
    out: list[str] = []
    names: dict[str, int] = {}
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(text[i:end])
            i = end
        elif c == "/" and text.startswith("/*", i):
            end = _block_comment_end(text, i, where)
            out.append(text[i:end])
            i = end
        elif c == "'":
            escapes = i > 0 and text[i - 1] in "eE" and (i < 2 or not _is_ident_char(text[i - 2]))
            end = _quoted_end(text, i, "'", where, backslash=escapes)
            out.append(text[i:end])
            i = end
        elif c == '"':
            end = _quoted_end(text, i, '"', where, backslash=False)
            out.append(text[i:end])
            i = end
        elif c == "$":
            tag = _DOLLAR_TAG.match(text, i)
            if tag and not (i > 0 and _is_ident_char(text[i - 1])):
                close = text.find(tag.group(), tag.end())
                if close < 0:
                    raise QueryError(f"{where}: unterminated {tag.group()} quote")
                end = close + len(tag.group())
                out.append(text[i:end])
                i = end
            elif i + 1 < n and text[i + 1].isdigit():
                raise QueryError(f"{where}: positional parameter ${text[i + 1]}...: name it (:name)")
            else:
                out.append(c)
                i += 1
        elif c == ":":
            if text.startswith("::", i):
                out.append("::")
                i += 2
            elif i + 1 < n and _IDENT_START.match(text, i + 1) and not (i > 0 and text[i - 1] == ":"):
                ident = _IDENT.match(text, i + 1)
                assert ident is not None
                name = ident.group()
                position = names.setdefault(name, len(names) + 1)
                out.append(f"${position}")
                i = ident.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out), tuple(names)


def _is_ident_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _quoted_end(text: str, start: int, quote: str, where: str, *, backslash: bool) -> int:
    i = start + 1
    while i < len(text):
        c = text[i]
        if backslash and c == "\\":
            i += 2
        elif c == quote:
            if text.startswith(quote * 2, i):
                i += 2  # a doubled quote is the quote itself
            else:
                return i + 1
        else:
            i += 1
    raise QueryError(f"{where}: unterminated {quote}...{quote}")


def _block_comment_end(text: str, start: int, where: str) -> int:
    depth, i = 0, start
    while i < len(text):
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    raise QueryError(f"{where}: unterminated /* comment")


def parse(source: str, *, filename: str = "<sql>") -> list[Query]:
    """The named statements of one file, in order. Text before the first header may only be comments."""
    queries: list[Query] = []
    current: tuple[str, int] | None = None
    body: list[str] = []

    def finish() -> None:
        if current is None:
            if "".join(line for line in body if not line.lstrip().startswith("--")).strip():
                raise QueryError(f"{filename}: SQL before the first '-- name:' header")
            return
        name, line_no = current
        where = f"{filename}:{line_no}"
        doc_lines: list[str] = []
        for line in body:
            if not line.startswith("--"):
                break
            doc_lines.append(line[2:].strip())
        text = "\n".join(body[len(doc_lines) :]).strip()
        text = text.rstrip(";").rstrip()
        if not text:
            raise QueryError(f"{where}: query {name} has no statement")
        sql, params = translate(text, where=where)
        queries.append(Query(name, " ".join(doc_lines), text, sql, params, where))

    for line_no, line in enumerate(source.splitlines(), start=1):
        header = _HEADER.match(line)
        if header is None:
            body.append(line)
            continue
        finish()
        name = header.group("name")
        if not _NAME.match(name):
            raise QueryError(f"{filename}:{line_no}: bad query name {name!r} (lower_snake_case)")
        current, body = (name, line_no), []
    finish()
    return queries


def load(files: Iterable[Path]) -> dict[str, Query]:
    """Every named statement of `files`, by name; a name defined twice (in one file or two) is refused."""
    found: dict[str, Query] = {}
    for path in files:
        for query in parse(path.read_text(encoding="utf-8"), filename=path.name):
            if query.name in found:
                raise QueryError(
                    f"{query.source}: query {query.name} is already defined at {found[query.name].source}"
                )
            found[query.name] = query
    return found


def load_dir(directory: Path = QUERIES_DIR) -> dict[str, Query]:
    files = sorted(directory.glob("*.sql"))
    if not files:
        raise QueryError(f"no query files in {directory}")
    return load(files)


QUERIES: dict[str, Query] = load_dir()


def query(name: str) -> Query:
    try:
        return QUERIES[name]
    except KeyError:
        raise UnknownQuery(f"no query named {name!r} in {QUERIES_DIR}") from None


async def fetch(db: Db, name: str, /, **params: Any) -> list[asyncpg.Record]:
    q = query(name)
    return await db.fetch(q.sql, *q.args(params))


async def fetchrow(db: Db, name: str, /, **params: Any) -> asyncpg.Record | None:
    q = query(name)
    return await db.fetchrow(q.sql, *q.args(params))


async def fetchval(db: Db, name: str, /, **params: Any) -> Any:
    q = query(name)
    return await db.fetchval(q.sql, *q.args(params))


async def execute(db: Db, name: str, /, **params: Any) -> str:
    q = query(name)
    result: str = await db.execute(q.sql, *q.args(params))
    return result
