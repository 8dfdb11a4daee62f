"""Masking for displays of message records (B4): numbers and the variable parts of content show only their
first and last characters, as the console's preview does ("your top-up payment of 1**2 USD")."""

from __future__ import annotations

import re


def mask_value(value: str) -> str:
    """ "1002" -> "1**2"; a value of two characters or fewer is fully hidden."""
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_number(e164: str) -> str:
    """ "+8613800138000" -> "+86138****8000": the country code and a short prefix stay, so an operator can
    tell numbers apart by carrier, and the last 4 digits, as on a receipt. Short numbers are masked whole."""
    digits = e164.lstrip("+")
    plus = "+" if e164.startswith("+") else ""
    if len(digits) < 9:
        return plus + mask_value(digits)
    return plus + digits[:5] + "*" * (len(digits) - 9) + digits[-4:]


_VARIABLE = re.compile(r"\{(\d+)\}")


def mask_content(content: str, template_text: str | None) -> str:
    """The sent content with the template's variables masked. The variable values are recovered by matching
    the approved template against the content; when it does not match (the template is gone), every digit run
    is masked instead, since codes and amounts are what variables usually carry."""
    if template_text:
        pattern = "".join(
            f"(?P<v{i}>.*?)" if part.isdigit() and i % 2 else re.escape(part)
            for i, part in enumerate(_VARIABLE.split(template_text))
        )
        found = re.search(pattern + r"\Z", content, re.DOTALL)
        if found is not None:
            out, last = [], 0
            for name, value in found.groupdict().items():
                start, end = found.span(name)
                out.append(content[last:start])
                out.append(mask_value(value))
                last = end
            out.append(content[last:])
            return "".join(out)
    return re.sub(r"[0-9]{2,}", lambda m: mask_value(m.group()), content)
