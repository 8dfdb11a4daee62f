"""Plain-text sends (A3): the message must be an instance of an approved template (else 1014). The signature is
split off the message, and the rest matched against the templates, which yields the parameter values. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.domain.sending import MARKETING, Template

_MAINLAND_SIGN = re.compile(r"\A【([^【】]+)】(.*)\Z", re.DOTALL)
_MAINLAND_SIGN_AT_END = re.compile(r"\A(.*)【([^【】]+)】\Z", re.DOTALL)
_GLOBAL_SIGN = re.compile(r"\A\[([^\[\]]+)\] ?(.*)\Z", re.DOTALL)
_VARIABLE = re.compile(r"\{([0-9]+)\}", re.ASCII)


def split_sign(msg: str, *, mainland: bool) -> tuple[str, str]:
    """(signature, text) of a plain-text message: mainland messages carry 【sign】 at the start (or the end),
    international ones may carry "[sign] " at the start or nothing."""
    if mainland:
        match = _MAINLAND_SIGN.match(msg)
        if match:
            return match.group(1), match.group(2)
        match = _MAINLAND_SIGN_AT_END.match(msg)
        if match:
            return match.group(2), match.group(1)
        return "", msg
    match = _GLOBAL_SIGN.match(msg)
    return (match.group(1), match.group(2)) if match else ("", msg)


def _pattern(content: str) -> re.Pattern[str]:
    """The template as a regex: literal text escaped, {N} a lazy group, a repeated {N} the same value."""
    out: list[str] = []
    seen: set[str] = set()
    position = 0
    for match in _VARIABLE.finditer(content):
        out.append(re.escape(content[position : match.start()]))
        name = f"v{int(match.group(1))}"
        out.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
        seen.add(name)
        position = match.end()
    out.append(re.escape(content[position:]))
    return re.compile("".join(out), re.DOTALL)


def match_template(
    text: str, templates: Sequence[Template], *, marketing: bool, international: bool
) -> tuple[Template, tuple[str, ...]] | None:
    """The approved template `text` is an instance of, with the parameter values that render it, or None.
    Only templates of the message's kind (type 1: marketing) and region are candidates; when several fit,
    the one with the most fixed text wins (then the lowest id)."""
    candidates = sorted(
        (
            t
            for t in templates
            if t.status == "approved"
            and (t.sms_type == MARKETING) == marketing
            and t.international == international
        ),
        key=lambda t: (-len(_VARIABLE.sub("", t.content)), t.id),
    )
    for template in candidates:
        match = _pattern(template.content).fullmatch(text)
        if match is None:
            continue
        count = max((int(n) for n in _VARIABLE.findall(template.content)), default=0)
        groups = match.groupdict()
        return template, tuple(groups.get(f"v{i}") or "" for i in range(1, count + 1))
    return None
