"""Template rules (T1, T4), parameter checks (A1, D3) and rendering of the final message text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.domain.errors import Code, Rejection

# Tencent's "InvalidParameterValue.InvalidTemplateFormat". Until errors.Code has it, fall back to its parent
# code so callers and tests already use one name; the lookup picks the real member up once it exists.
INVALID_TEMPLATE_FORMAT = Code.INVALID_TEMPLATE_FORMAT

VERIFICATION_CODE_MAX_DIGITS = 6

_VARIABLE = re.compile(r"\{([0-9]+)\}", re.ASCII)
# Full-width braces around digits: a common typo the FAQ for error 1014 warns about.
_FULLWIDTH_VARIABLE = re.compile(r"｛[0-9０-９]+｝")  # noqa: RUF001 - the full-width braces are the point
_CODE_DIGITS = re.compile(rf"[0-9]{{0,{VERIFICATION_CODE_MAX_DIGITS}}}", re.ASCII)

# T4 heuristics. A scheme or "www." is always a link; a bare host needs a path or a TLD that real links and
# URL shorteners (t.cn, bit.ly, goo.gl) use, so "3.50", "12:30", "v1.2.3" or "Mr.Smith" stay allowed.
# TLDs that are also everyday words or abbreviations (in, to, me, co, us, ...) are left out on purpose.
_URL_SCHEME = re.compile(r"https?://|www\.", re.IGNORECASE)
_COMMON_TLDS = frozenset(
    {
        *("com", "net", "org", "info", "biz", "top", "xyz", "vip", "shop", "site", "online", "club", "link"),
        *("app", "store", "cc", "io", "ly", "gl", "tv", "ws", "cn", "hk", "tw", "mo", "uk", "jp", "kr", "sg"),
    }
)
# Dotted names. The look-behind makes a match start only where a name starts, keeping the scan linear (an
# unanchored pattern here backtracks quadratically on long runs of letters).
_DOTTED_NAME = re.compile(r"(?<![a-z0-9-])[a-z0-9-]+(?:\.[a-z0-9-]+)+", re.IGNORECASE | re.ASCII)


def variable_indexes(content: str) -> list[int]:
    """The N of each "{N}" in order of appearance, repeats included."""
    return [int(n) for n in _VARIABLE.findall(content)]


def variable_count(content: str) -> int:
    """How many parameters a send must carry (D3): the highest variable index, 0 if none."""
    return max(variable_indexes(content), default=0)


def check_template_format(content: str) -> Rejection | None:
    """T1: variables are {1}, {2}, ... numbered from 1 in order of first appearance, with no gaps (a variable
    may repeat); the template must have real text besides its variables (at least one letter or digit)."""
    if _FULLWIDTH_VARIABLE.search(content):
        return Rejection(INVALID_TEMPLATE_FORMAT, "Variables must use ASCII braces: {1}, {2}, ...")
    highest = 0
    for token in _VARIABLE.findall(content):
        index = int(token)
        if token != str(index) or index == 0:
            return Rejection(INVALID_TEMPLATE_FORMAT, f"Invalid variable {{{token}}}: numbering starts at 1.")
        if index > highest + 1:
            return Rejection(INVALID_TEMPLATE_FORMAT, f"{{{index}}} appears before {{{highest + 1}}}.")
        highest = max(highest, index)
    if not any(ch.isalnum() for ch in _VARIABLE.sub("", content)):
        return Rejection(INVALID_TEMPLATE_FORMAT, "A template needs text besides its variables.")
    return None


def render(content: str, params: Sequence[str]) -> str:
    """Substitute each {N} with params[N-1] in one pass: text coming from a parameter is never re-read, so a
    parameter containing "{2}" stays literal. Raises ValueError for a variable without a parameter; check
    the count first (check_params)."""

    def substitute(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if not 1 <= index <= len(params):
            raise ValueError(f"no parameter for variable {match.group()}")
        return params[index - 1]

    return _VARIABLE.sub(substitute, content)


def compose(sign_name: str, text: str, *, mainland: bool) -> str:
    """The message as delivered. Mainland: "【sign】text" (carriers require the full-width brackets).
    International: "[sign] text", as Tencent's global SMS docs show it; ASCII brackets also keep a GSM-7 body
    in GSM-7 (【】 would force UCS-2 and halve the part size). No signature: the text alone (S6)."""
    if not sign_name:
        return text
    if mainland:
        return f"【{sign_name}】{text}"
    return f"[{sign_name}] {text}"


def contains_url(value: str) -> bool:
    """T4 heuristic: a scheme, "www.", a dotted name with a common TLD as one of its later labels, or a dotted
    name ending in letters and followed by a path ("abc.xy/...")."""
    if _URL_SCHEME.search(value):
        return True
    for match in _DOTTED_NAME.finditer(value):
        labels = match.group().lower().split(".")
        if any(label in _COMMON_TLDS for label in labels[1:]):
            return True
        tld = labels[-1]
        if len(tld) >= 2 and tld.isalpha() and value.startswith("/", match.end()):
            return True
    return False


def check_params(
    params: Sequence[str], *, expected: int, verification_code: bool, max_len: int | None
) -> Rejection | None:
    """Check a send's template parameters. In order: the count must equal the template's variables (D3);
    no value may contain a link (T4); a value may be at most max_len characters (A1: 12 for individual
    accounts, None for no limit); a verification-code value must be 0 to 6 ASCII digits."""
    if len(params) != expected:
        return Rejection(Code.PARAMS_MISMATCH, f"Expected {expected} parameters, got {len(params)}.")
    for position, value in enumerate(params, start=1):
        if contains_url(value):
            return Rejection(Code.URL_IN_PARAM, f"Parameter {position} contains a URL.")
        if max_len is not None and len(value) > max_len:
            return Rejection(Code.PARAM_TOO_LONG, f"Parameter {position} exceeds {max_len} characters.")
        if verification_code and not _CODE_DIGITS.fullmatch(value):
            return Rejection(Code.PARAM_FORMAT)
    return None
