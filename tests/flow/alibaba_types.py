"""Every field of an Alibaba Tea SDK response model present, with the JSON type the model declares: the model's
attributes are the answer's JSON values as parsed (the SDK converts nothing), and an absent key leaves None."""

from __future__ import annotations

import inspect
import re
import typing
from typing import Any

from darabonba.model import DaraModel

_FIELD = re.compile(r"result\['(\w+)'\] = (?:self\.(\w+)|\[\]\s*\n\s*if self\.(\w+))")
_SKIP = frozenset({"Code", "Message", "RequestId"})  # the envelope, checked by the callers


def fields(cls: type[DaraModel]) -> dict[str, tuple[str, Any]]:
    """Wire name -> (attribute, declared type) of a model, read from its to_map and __init__."""
    hints = typing.get_type_hints(cls.__init__)
    found = {}
    for wire, attr, list_attr in _FIELD.findall(inspect.getsource(cls.to_map)):
        name = attr or list_attr
        found[wire] = (name, hints[name])
    return found


def assert_sdk_types(model: DaraModel, where: str = "") -> None:
    where = where or type(model).__name__
    for wire, (attr, declared) in fields(type(model)).items():
        if wire in _SKIP:
            continue
        _check(getattr(model, attr), declared, f"{where}.{wire}")


def _check(value: Any, declared: Any, where: str) -> None:
    assert value is not None, f"{where} is missing"
    origin = typing.get_origin(declared)
    if origin is list:
        (item,) = typing.get_args(declared)
        assert isinstance(value, list), f"{where}: {value!r} is not a list"
        for i, element in enumerate(value):
            _check(element, item, f"{where}[{i}]")
    elif origin is dict:
        assert isinstance(value, dict), f"{where}: {value!r} is not an object"
    elif isinstance(declared, type) and issubclass(declared, DaraModel):
        assert isinstance(value, declared), f"{where}: {value!r} is not a {declared.__name__}"
        assert_sdk_types(value, where)
    else:
        assert type(value) is declared, (
            f"{where}: {value!r} is a {type(value).__name__}, not {declared.__name__}"
        )
