"""Template rules (T1, T3, T4, T6), submission checks (A1), parameter checks (A1, D3) and rendering of the final
message text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence

from core.domain.errors import Code, Rejection

# Tencent's "InvalidParameterValue.InvalidTemplateFormat". Until errors.Code has it, fall back to its parent
# code so callers and tests already use one name; the lookup picks the real member up once it exists.
INVALID_TEMPLATE_FORMAT = Code.INVALID_TEMPLATE_FORMAT

VERIFICATION_CODE_MAX_DIGITS = 6

_VARIABLE = re.compile(r"\{([0-9]+)\}", re.ASCII)
# Alibaba's style: named variables, `${code}`. A template keeps the style it was written in; either style is
# sendable through any dialect (named_values / positional_values translate between them).
_NAMED_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]{0,63})\}", re.ASCII)
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


def variable_names(content: str) -> list[str]:
    """The distinct names of a `${name}` template, in order of first appearance: name i takes parameter i."""
    return list(dict.fromkeys(_NAMED_VARIABLE.findall(content)))


def is_named(content: str) -> bool:
    """Whether the template is written with `${name}` variables (Alibaba's style) rather than `{N}`."""
    return _NAMED_VARIABLE.search(content) is not None


def positional_values(content: str, values: Mapping[str, object]) -> list[str] | Rejection:
    """A send's values given by name (Alibaba's TemplateParam) as the positional parameters of `content`: a
    `${name}` template takes them by name in order of first appearance, a `{N}` template by the names "1",
    "2", ... Names the template does not use are ignored. A missing value (PARAMS_MISMATCH) or one that is not
    a string (PARAM_FORMAT) is refused."""
    names = (
        variable_names(content)
        if is_named(content)
        else [str(i) for i in range(1, variable_count(content) + 1)]
    )
    out: list[str] = []
    for name in names:
        if name not in values:
            return Rejection(Code.PARAMS_MISMATCH, f"The template's variable `{name}` has no value.")
        value = values[name]
        if not isinstance(value, str):
            return Rejection(Code.PARAM_FORMAT, f"The value of `{name}` must be a string.")
        out.append(value)
    return out


def variable_indexes(content: str) -> list[int]:
    """The N of each "{N}" in order of appearance, repeats included."""
    return [int(n) for n in _VARIABLE.findall(content)]


def variable_count(content: str) -> int:
    """How many parameters a send must carry (D3): the highest variable index, or the number of distinct
    names of a `${name}` template; 0 if none."""
    if is_named(content):
        return len(variable_names(content))
    return max(variable_indexes(content), default=0)


def check_template_format(content: str) -> Rejection | None:
    """T1: variables are {1}, {2}, ... numbered from 1 in order of first appearance, with no gaps (a variable
    may repeat), or all `${name}` (names of ASCII letters, digits and `_`, not starting with a digit), never
    both; the template must have real text besides its variables (at least one letter or digit)."""
    if is_named(content):
        if _VARIABLE.search(content):
            return Rejection(INVALID_TEMPLATE_FORMAT, "Variables are either all ${name} or all {1}, {2}, ...")
        if not any(ch.isalnum() for ch in _NAMED_VARIABLE.sub("", content)):
            return Rejection(INVALID_TEMPLATE_FORMAT, "A template needs text besides its variables.")
        return None
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
    """Substitute each {N} with params[N-1] (each `${name}` with the parameter of its position among the
    names) in one pass: text coming from a parameter is never re-read, so a parameter containing "{2}" stays
    literal. Raises ValueError for a variable without a parameter; check the count first (check_params)."""
    if is_named(content):
        position = {name: i for i, name in enumerate(variable_names(content))}

        def by_name(match: re.Match[str]) -> str:
            index = position[match.group(1)]
            if index >= len(params):
                raise ValueError(f"no parameter for variable {match.group()}")
            return params[index]

        return _NAMED_VARIABLE.sub(by_name, content)

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


# --- Submission (AddSmsTemplate / ModifySmsTemplate) -----------------------------------------------------------

# 0 regular (older docs), 1 marketing, 2 notification, 3 verification code (spec 7).
SMS_TYPES = frozenset({0, 1, 2, 3})
MARKETING = 1
TEMPLATE_MAX_CHARS = 500

# After the valid {N} variables are taken out, no brace may be left: "{1", "1}", "{{1}}", "{a}", "{}".
_STRAY_BRACE = re.compile("[{}\uff5b\uff5d]")

# T3: an unsubscribe instruction is a reply keyword, then within a few characters the code to send (TD, T, N or
# R, standing alone, maybe quoted), and an unsubscribe word close before or after. Matched on the NFKC-normalised,
# case-folded text, so full-width letters and punctuation count as ASCII. Windows stay within one sentence.
_QUOTE = "\"'\u201c\u201d\u2018\u2019\u300c\u300d\u300e\u300f"
_REPLY_CODE = rf"(?:(?<![a-z])reply|回复|回)[\s:{_QUOTE}]{{0,3}}(?:td|t|n|r)(?![a-z0-9])[{_QUOTE}]?"
_UNSUBSCRIBE_WORD = r"(?:unsubscribe|opt[\s-]?out|stop|退订|拒收)"
_SAME_SENTENCE = r"[^.\u3002!?;\n]{0,12}?"
_UNSUBSCRIBE_INSTRUCTION = re.compile(
    rf"{_REPLY_CODE}{_SAME_SENTENCE}{_UNSUBSCRIBE_WORD}|{_UNSUBSCRIBE_WORD}{_SAME_SENTENCE}{_REPLY_CODE}"
)
_ASCII_WORD_CHAR = "a-z0-9"


def check_template_submission(
    content: str,
    *,
    sms_type: int,
    international: int,
    individual: bool,
    banned_words: Collection[str],
    max_chars: int = TEMPLATE_MAX_CHARS,
) -> Rejection | None:
    """A template as submitted, checked in this order: SmsType (0-3) and International (0, 1) values;
    marketing by an individual account (A1); empty content; length; format (T1, stray braces); the marketing
    unsubscribe instruction (T3); banned content (T6, `banned_words` is the operator's list)."""
    if sms_type not in SMS_TYPES:
        return Rejection(Code.INVALID_SMS_TYPE, "SmsType must be 0, 1 (marketing), 2 (notification) or 3.")
    if international not in (0, 1):
        return Rejection(Code.INVALID_INTERNATIONAL, "International must be 0 (Chinese mainland) or 1.")
    if sms_type == MARKETING and individual:
        return Rejection(Code.FORBID_MARKETING_TEMPLATES)
    if not content.strip():
        return Rejection(INVALID_TEMPLATE_FORMAT, "The template content is empty.")
    if len(content) > max_chars:
        return Rejection(
            Code.CONTENT_TOO_LONG, f"The template has {len(content)} characters; at most {max_chars}."
        )
    rejection = check_template_format(content) or check_template_braces(content)
    if rejection is not None:
        return rejection
    if sms_type == MARKETING and not has_unsubscribe_instruction(content):
        return Rejection(
            Code.MARKETING_WITHOUT_UNSUBSCRIBE,
            'A marketing template must tell recipients how to unsubscribe, e.g. "Reply TD to unsubscribe".',
        )
    word = find_banned_word(content, banned_words)
    if word is not None:
        return Rejection(Code.TEMPLATE_DIRTY_WORDS, f"The template contains banned content: '{word}'.")
    return None


def check_template_braces(content: str) -> Rejection | None:
    """T1 addition: every brace belongs to a {N} (or `${name}`) variable; "{1", "1}", "{{1}}", "{a}", "{}",
    "${}", "${1a}" are malformed."""
    match = _STRAY_BRACE.search(_VARIABLE.sub("", _NAMED_VARIABLE.sub("", content)))
    if match is not None:
        return Rejection(
            INVALID_TEMPLATE_FORMAT,
            f"Unmatched or misused brace '{match.group()}': variables are written {{1}}, {{2}}, ...",
        )
    return None


def has_unsubscribe_instruction(content: str) -> bool:
    """T3 heuristic: "Reply TD to unsubscribe", "Reply T to opt out", "To unsubscribe, reply N", "回复TD退订",
    "退订回T", "拒收请回复R"."""
    return _UNSUBSCRIBE_INSTRUCTION.search(_fold(content)) is not None


def find_banned_word(content: str, banned_words: Collection[str]) -> str | None:
    """T6: the banned word occurring first in `content` (the longest one on a tie), as written in the list, or
    None. Case-folded, NFKC-normalised matching. A word written in ASCII only matches whole words, allowing an
    English ending (s, es, d, ed, ing): "loan" finds "Loans" but not "balloon"; spaces inside it match any
    whitespace. Other words (Chinese) match anywhere."""
    text = _fold(content)
    best: tuple[int, int, str] | None = None
    for word in banned_words:
        folded = _fold(word).strip()
        if not folded:
            continue
        if folded.isascii():
            body = r"\s+".join(re.escape(part) for part in folded.split())
            pattern = rf"(?<![{_ASCII_WORD_CHAR}]){body}(?:s|es|d|ed|ing)?(?![{_ASCII_WORD_CHAR}])"
            match = re.search(pattern, text)
            position = -1 if match is None else match.start()
        else:
            position = text.find(folded)
        if position >= 0 and (best is None or (position, -len(folded)) < (best[0], best[1])):
            best = (position, -len(folded), word)
    return None if best is None else best[2]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()
