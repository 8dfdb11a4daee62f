"""The named-statement loader (core.store.queries): how `-- name:` files are parsed, how `:name` parameters
become asyncpg's `$n`, and what it refuses. No database needed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.store import queries
from core.store.queries import Query, QueryArguments, QueryError, UnknownQuery, load, parse, translate

STORE = Path(queries.__file__).parent


@pytest.mark.parametrize(
    ("text", "sql", "params"),
    [
        ("SELECT :a, :b", "SELECT $1, $2", ("a", "b")),
        pytest.param("SELECT :a WHERE x = :a", "SELECT $1 WHERE x = $1", ("a",), id="a name used twice"),
        pytest.param("SELECT :now::timestamptz", "SELECT $1::timestamptz", ("now",), id="param then cast"),
        pytest.param("SELECT x::text, :a", "SELECT x::text, $1", ("a",), id="cast is not a param"),
        pytest.param("SELECT x :: text", "SELECT x :: text", (), id="spaced cast"),
        pytest.param(
            "SELECT to_char(:t, 'HH24:MI'), :u", "SELECT to_char($1, 'HH24:MI'), $2", ("t", "u"), id="literal"
        ),
        pytest.param(
            "SELECT 'YYYYMMDD' || ':' || :id", "SELECT 'YYYYMMDD' || ':' || $1", ("id",), id="colon literal"
        ),
        pytest.param("SELECT 'it''s :x', :y", "SELECT 'it''s :x', $1", ("y",), id="doubled quote"),
        pytest.param("SELECT E'a\\' :x', :y", "SELECT E'a\\' :x', $1", ("y",), id="escape string"),
        pytest.param('SELECT ":x" FROM t', 'SELECT ":x" FROM t', (), id="quoted identifier"),
        pytest.param("SELECT 1 -- :x\n, :y", "SELECT 1 -- :x\n, $1", ("y",), id="line comment"),
        pytest.param(
            "SELECT /* :x /* :z */ */ :y", "SELECT /* :x /* :z */ */ $1", ("y",), id="block comment"
        ),
        pytest.param("SELECT $$ :x $$, :y", "SELECT $$ :x $$, $1", ("y",), id="dollar quote"),
        pytest.param("SELECT $f$ :x $f$, :y", "SELECT $f$ :x $f$, $1", ("y",), id="tagged dollar quote"),
        pytest.param("SELECT a[1:2], :y", "SELECT a[1:2], $1", ("y",), id="array slice"),
        pytest.param("SELECT -:price", "SELECT -$1", ("price",), id="negated"),
        pytest.param("WHERE f ? 'k'", "WHERE f ? 'k'", (), id="jsonb operator"),
    ],
)
def test_named_parameters_become_positional(text: str, sql: str, params: tuple[str, ...]) -> None:
    assert translate(text) == (sql, params)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("SELECT $1", id="positional parameter"),
        pytest.param("SELECT 'open", id="unterminated literal"),
        pytest.param('SELECT "open', id="unterminated identifier"),
        pytest.param("SELECT /* open", id="unterminated comment"),
        pytest.param("SELECT $$ open", id="unterminated dollar quote"),
    ],
)
def test_translation_refuses(text: str) -> None:
    with pytest.raises(QueryError):
        translate(text)


FILE = """\
-- A file's leading comment.

-- name: first
-- What it does,
-- on two lines.
SELECT :a, :b;

-- name: second
UPDATE t SET x = :x
WHERE id = :id
"""


def test_a_file_parses_into_named_statements_with_their_comments() -> None:
    first, second = parse(FILE, filename="f.sql")
    assert first == Query(
        name="first",
        doc="What it does, on two lines.",
        text="SELECT :a, :b",
        sql="SELECT $1, $2",
        params=("a", "b"),
        source="f.sql:3",
    )
    assert (second.name, second.sql, second.params) == (
        "second",
        "UPDATE t SET x = $1\nWHERE id = $2",
        ("x", "id"),
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param("SELECT 1\n-- name: a\nSELECT 2\n", "before the first", id="sql before a header"),
        pytest.param("-- name: a\n-- only a comment\n\n-- name: b\nSELECT 1\n", "no statement", id="empty"),
        pytest.param("-- name: Bad-Name\nSELECT 1\n", "bad query name", id="bad name"),
        pytest.param("-- name:\nSELECT 1\n", "bad query name", id="no name"),
        pytest.param("-- name: a\nSELECT 1\n-- name: a\nSELECT 2\n", "already defined", id="duplicate"),
    ],
)
def test_a_bad_file_is_refused(tmp_path: Path, source: str, message: str) -> None:
    path = tmp_path / "bad.sql"
    path.write_text(source)
    with pytest.raises(QueryError, match=message):
        load([path])


def test_a_name_defined_in_two_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text("-- name: same\nSELECT 1\n")
    (tmp_path / "b.sql").write_text("-- name: same\nSELECT 2\n")
    with pytest.raises(QueryError, match=r"b\.sql:1: query same is already defined at a\.sql:1"):
        load(sorted(tmp_path.glob("*.sql")))


def test_arguments_go_by_name_and_a_missing_or_extra_one_fails_loudly() -> None:
    (query,) = parse("-- name: q\nSELECT :a, :b, :a\n")
    assert query.args({"b": 2, "a": 1}) == [1, 2]
    with pytest.raises(QueryArguments, match="missing b"):
        query.args({"a": 1})
    with pytest.raises(QueryArguments, match="unexpected c"):
        query.args({"a": 1, "b": 2, "c": 3})


async def test_an_unknown_name_is_refused_before_any_database_call() -> None:
    with pytest.raises(UnknownQuery):
        await queries.fetch(None, "no_such_query")  # type: ignore[arg-type]


def _names_called_by_the_store() -> set[str]:
    """The statement names the store modules pass to queries.fetch/fetchrow/fetchval/execute, or keep in
    tables of names (string constants that name a statement)."""
    names = set()
    for path in STORE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in queries.QUERIES
            ):
                names.add(node.value)
    return names


def test_every_statement_in_the_files_is_used_by_the_store_and_the_store_calls_only_known_ones() -> None:
    calls = set()
    for path in STORE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "queries"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
            ):
                calls.add(node.args[1].value)
    assert calls <= set(queries.QUERIES), calls - set(queries.QUERIES)
    assert set(queries.QUERIES) == _names_called_by_the_store(), (
        set(queries.QUERIES) - _names_called_by_the_store()
    )


def test_the_project_files_load_and_each_file_belongs_to_a_store_module() -> None:
    assert queries.QUERIES  # loaded at import: a bad file fails every test that imports the store
    assert {Path(q.source.split(":")[0]).stem for q in queries.QUERIES.values()} <= {
        p.stem for p in STORE.glob("*.py")
    }
