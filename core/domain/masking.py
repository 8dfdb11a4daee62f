"""Masking for displays of message records (B4): numbers and the variable parts of content show only their
first and last characters, as the console's preview does ("your top-up payment of 1**2 USD")."""

from __future__ import annotations

import functools
import re


def mask_value(value: str) -> str:
    """ "1002" -> "1**2"; a value of two characters or fewer is fully hidden."""
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_number(e164: str) -> str:
    """ "+8613800138000" -> "+86138****8000": a short prefix (country code and carrier) and the last 4 digits
    stay, as on a receipt, and at least 4 digits are hidden whatever the length ("+141****2671")."""
    digits = e164.lstrip("+")
    plus = "+" if e164.startswith("+") else ""
    if len(digits) < 9:
        return plus + mask_value(digits)
    hidden = max(4, len(digits) - 9)
    head = len(digits) - hidden - 4
    return plus + digits[:head] + "*" * hidden + digits[-4:]


# A template's variables in either style: {1} (Tencent's) or ${name} (Alibaba's).
_VARIABLE = re.compile(r"(\$\{[A-Za-z_][A-Za-z0-9_]*\}|\{\d+\})")


@functools.lru_cache(maxsize=4096)
def _template_pattern(template_text: str) -> re.Pattern[str]:
    """The template as a pattern whose groups are its variables' values (compiled once per template)."""
    parts = _VARIABLE.split(template_text)
    body = "".join(f"(?P<v{i}>.*?)" if i % 2 else re.escape(part) for i, part in enumerate(parts))
    return re.compile(body, re.DOTALL)


def mask_content(content: str, template_text: str | None, sign_name: str = "") -> str:
    """The sent content with the template's variables masked. The signature the platform put around the text
    ("【sign】" or "[sign] ") is set aside first: a template that starts with a variable must match from the
    text's first character, not swallow the signature. The variable values are recovered by matching the
    approved template against the text; when it does not match (the template is gone), every digit run is
    masked instead, since codes and amounts are what variables usually carry."""
    prefix = ""
    for candidate in (f"【{sign_name}】", f"[{sign_name}] "):
        if sign_name and content.startswith(candidate):
            prefix, content = candidate, content[len(candidate) :]
            break
    found = _template_pattern(template_text).fullmatch(content) if template_text else None
    if found is None:
        return prefix + re.sub(r"[0-9]{2,}", lambda m: mask_value(m.group()), content)
    out, last = [prefix], 0
    for name in found.groupdict():
        start, end = found.span(name)
        out.append(content[last:start])
        out.append(mask_value(found.group(name)))
        last = end
    out.append(content[last:])
    return "".join(out)
