"""`plan_send`, the pure SendSms decision: request-level refusals (D1, D4, A1, A3, S6, T2, T4, D3, D7, P2),
per-number results (D1, D2, D5), billed parts (D6) and the gate's refusals `SendPlan.refuse` (L1-L4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.domain.errors import Code, PlatformError
from core.domain.sending import (
    Account,
    App,
    NumberResult,
    SendLimits,
    SendPlan,
    SendRequest,
    Signature,
    Template,
    plan_send,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 5, 1, 12, 0, tzinfo=SHANGHAI)

ORG = Account(1, "organization", "active")
INDIVIDUAL = Account(1, "individual", "active")
APP = App("1400000001", 1, "active")
SIGN = Signature("TestCorp", international=False, status="approved")
INTL_SIGN = Signature("TestCorp", international=True, status="approved")

REGULAR = "Your code is {1}, valid for {2} minutes."
# The seed FAQ's verification-code template.
SEED_VERIFY = (
    "Your verification code is {1}, which is valid for {2} minutes and should not be disclosed to others. "
    "If you did not make this request, please ignore this message."
)
MEMBER_SALE = "Members get {1} off this weekend. Reply TD to unsubscribe."

TEMPLATE = Template(1000, REGULAR, 0, international=False, status="approved")
INTL_TEMPLATE = Template(1001, REGULAR, 0, international=True, status="approved")
CODE_TEMPLATE = Template(1002, SEED_VERIFY, 3, international=False, status="approved")
MARKETING_TEMPLATE = Template(1003, MEMBER_SALE, 1, international=False, status="approved")
HI_TEMPLATE = Template(1004, "Hi {1}", 2, international=False, status="approved")
INTL_HI_TEMPLATE = Template(1005, "Hi {1}", 2, international=True, status="approved")

CN_1, CN_2, CN_3 = "+8613800138000", "+8613900139000", "+8615800158000"
US, GB, HK = "+14155550123", "+447400123456", "+85291234567"
INTL_FIVE = [US, GB, HK, "+14155550124", "+61412345678"]


@dataclass(frozen=True)
class Case:
    """A SendSms call with sensible defaults: an organization sends the regular template to one mainland
    number with its approved signature at noon. Each test case overrides what it is about."""

    phones: Sequence[str] = (CN_1,)
    sign_name: str = "TestCorp"
    params: Sequence[str] = ("123456", "5")
    session_context: str = ""
    account: Account = ORG
    app: App | None = APP
    sign: Signature | None = SIGN
    template: Template | None = TEMPLATE
    now: datetime = NOON
    limits: SendLimits = field(default_factory=SendLimits)

    def plan(self) -> SendPlan:
        return plan_send(
            SendRequest(list(self.phones), self.sign_name, list(self.params), self.session_context),
            account=self.account,
            app=self.app,
            sign=self.sign,
            template=self.template,
            now_local=self.now,
            limits=self.limits,
        )


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 5, 1, hour, minute, tzinfo=SHANGHAI)


def mainland_numbers(n: int) -> list[str]:
    return [f"+86138{i:08d}" for i in range(n)]


INTL_NO_SIGN: dict[str, Any] = {"phones": [US], "sign_name": "", "sign": None, "template": INTL_TEMPLATE}


REFUSED = [
    # D1: at most 200 numbers per request; none at all is a missing parameter.
    pytest.param({"phones": mainland_numbers(201)}, Code.PHONE_COUNT_LIMIT, id="D1-201-numbers"),
    pytest.param({"phones": []}, Code.EMPTY_PHONE_SET, id="D1-empty"),
    # D4: no mixing of mainland and international numbers (Hong Kong is international).
    pytest.param({"phones": [CN_1, US]}, Code.MIXED_REGIONS, id="D4-mainland+US"),
    pytest.param({"phones": [HK, "13800138000"]}, Code.MIXED_REGIONS, id="D4-HK+bare-mainland"),
    # A2/A3: the application must be the key's account's own, and active; P2: suspended for arrears.
    pytest.param({"app": None}, Code.APP_VERIFY_FAIL, id="A2-app-missing"),
    pytest.param(
        {"app": App("1400000002", 2, "active")}, Code.APP_VERIFY_FAIL, id="A2-app-of-another-account"
    ),
    pytest.param({"app": App("1400000001", 1, "disabled")}, Code.APP_DISABLED, id="A3-app-disabled"),
    pytest.param(
        {"account": Account(1, "organization", "suspended")}, Code.SUSPENDED_ARREARS, id="P2-suspended"
    ),
    # Only an approved template sends.
    pytest.param({"template": None}, Code.TEMPLATE_UNAPPROVED, id="template-missing"),
    *(
        pytest.param(
            {"template": Template(1000, REGULAR, 0, False, status)},
            Code.TEMPLATE_UNAPPROVED,
            id=f"template-{status}",
        )
        for status in ("pending", "reviewing", "rejected", "deleted")
    ),
    # T2: mainland templates only to mainland numbers, international ones only to the others.
    pytest.param(
        {**INTL_NO_SIGN, "template": TEMPLATE},
        Code.MAINLAND_TEMPLATE_TO_GLOBAL,
        id="T2-mainland-template-to-US",
    ),
    pytest.param(
        {**INTL_NO_SIGN, "phones": [HK], "template": TEMPLATE},
        Code.MAINLAND_TEMPLATE_TO_GLOBAL,
        id="T2-mainland-template-to-HK",
    ),
    pytest.param(
        {"template": INTL_TEMPLATE}, Code.GLOBAL_TEMPLATE_TO_MAINLAND, id="T2-intl-template-to-mainland"
    ),
    # S6: mainland SMS must carry an approved mainland signature.
    pytest.param({"sign_name": "", "sign": None}, Code.SIGN_UNAPPROVED, id="S6-mainland-without-signature"),
    pytest.param({"sign": None}, Code.SIGN_UNAPPROVED, id="S6-mainland-unknown-signature"),
    *(
        pytest.param(
            {"sign": Signature("TestCorp", False, status)},
            Code.SIGN_UNAPPROVED,
            id=f"S6-mainland-signature-{status}",
        )
        for status in ("pending", "reviewing", "rejected", "deleted")
    ),
    pytest.param({"sign": INTL_SIGN}, Code.SIGN_UNAPPROVED, id="S6-international-signature-for-mainland"),
    pytest.param(
        {**INTL_NO_SIGN, "sign_name": "TestCorp", "sign": SIGN},
        Code.SIGN_UNAPPROVED,
        id="S6-mainland-signature-for-international",
    ),
    pytest.param(
        {**INTL_NO_SIGN, "sign_name": "TestCorp", "sign": None},
        Code.SIGN_UNAPPROVED,
        id="S6-international-named-signature-unknown",
    ),
    # D3 (seed error 1014): the parameter count must equal the template's variables.
    pytest.param({"params": ["123456"]}, Code.PARAMS_MISMATCH, id="D3-too-few-params"),
    pytest.param({"params": ["123456", "5", "x"]}, Code.PARAMS_MISMATCH, id="D3-too-many-params"),
    pytest.param({"params": []}, Code.PARAMS_MISMATCH, id="D3-no-params"),
    # A1: an individual's variable values are at most 12 characters.
    pytest.param(
        {"account": INDIVIDUAL, "params": ["1234567890123", "5"]},
        Code.PARAM_TOO_LONG,
        id="A1-individual-13-chars",
    ),
    pytest.param(
        {"account": INDIVIDUAL, "params": ["123456", "验证码验证码验证码验证码验"]},
        Code.PARAM_TOO_LONG,
        id="A1-individual-13-cjk-chars",
    ),
    # T4: links only as template constants, never in a variable (organizations included).
    pytest.param({"params": ["https://evil.example/x", "5"]}, Code.URL_IN_PARAM, id="T4-https-url"),
    pytest.param({"params": ["123456", "www.example.com"]}, Code.URL_IN_PARAM, id="T4-www"),
    pytest.param({"params": ["t.cn/A6abc", "5"]}, Code.URL_IN_PARAM, id="T4-short-url"),
    pytest.param(
        {"account": INDIVIDUAL, "params": ["bit.ly/x", "5"]}, Code.URL_IN_PARAM, id="T4-short-url-individual"
    ),
    # Verification-code templates: 0 to 6 digits.
    pytest.param(
        {"template": CODE_TEMPLATE, "params": ["12a456", "5"]}, Code.PARAM_FORMAT, id="code-non-digit"
    ),
    pytest.param(
        {"template": CODE_TEMPLATE, "params": ["1234567", "5"]}, Code.PARAM_FORMAT, id="code-7-digits"
    ),
    pytest.param(
        {"template": CODE_TEMPLATE, "params": ["\uff11\uff12\uff13\uff14", "5"]},
        Code.PARAM_FORMAT,
        id="code-fullwidth-digits",
    ),
    # A1: individuals cannot send marketing SMS, whatever the time.
    pytest.param(
        {"account": INDIVIDUAL, "template": MARKETING_TEMPLATE, "params": ["20%"]},
        Code.INDIVIDUAL_MARKETING,
        id="A1-individual-marketing",
    ),
    # D7: marketing only between 08:00 and 22:00 platform time.
    *(
        pytest.param(
            {"template": MARKETING_TEMPLATE, "params": ["20%"], "now": at(h, m)},
            Code.MARKETING_TIME,
            id=f"D7-marketing-at-{h:02d}{m:02d}",
        )
        for h, m in ((7, 59), (22, 0), (23, 30), (0, 0))
    ),
    # Rendered content over the maximum (500 by default): 【TestCorp】 is 10, "Hi " 3, the value 488.
    pytest.param(
        {"template": HI_TEMPLATE, "params": ["x" * 488]},
        Code.CONTENT_TOO_LONG,
        id="content-501-chars-over-max",
    ),
    pytest.param(
        {"template": HI_TEMPLATE, "params": ["x" * 88], "limits": SendLimits(max_content_chars=100)},
        Code.CONTENT_TOO_LONG,
        id="content-over-configured-max",
    ),
    # SessionContext must stay under 512 bytes (UTF-8).
    pytest.param(
        {"session_context": "x" * 512}, Code.INVALID_PARAMETER_VALUE, id="session-context-512-bytes"
    ),
    pytest.param(
        {"session_context": "会" * 171}, Code.INVALID_PARAMETER_VALUE, id="session-context-513-utf8-bytes"
    ),
]


@pytest.mark.parametrize(("overrides", "code"), REFUSED)
def test_request_level_refusal(overrides: dict[str, Any], code: Code) -> None:
    """Whole-request problems raise PlatformError with the platform code (answered as Response.Error)."""
    with pytest.raises(PlatformError) as err:
        Case(**overrides).plan()
    assert err.value.rejection.code is code


ACCEPTED = [
    pytest.param({"phones": mainland_numbers(200)}, id="D1-exactly-200-numbers"),
    pytest.param({"account": INDIVIDUAL, "params": ["123456789012", "5"]}, id="A1-individual-12-chars"),
    pytest.param(
        {"account": INDIVIDUAL, "params": ["123456", "验证码验证码验证码验证码"]},
        id="A1-individual-12-cjk-chars",
    ),
    pytest.param({"params": ["1234567890123", "5"]}, id="A1-organization-13-chars"),
    pytest.param({"params": ["Customer name " * 20, "5"]}, id="A1-organization-280-chars"),
    pytest.param({"params": ["3.50", "12:30"]}, id="T4-decimal-and-time-are-not-links"),
    pytest.param(INTL_NO_SIGN, id="S6-international-without-signature"),
    pytest.param({**INTL_NO_SIGN, "phones": [HK]}, id="S6-HK-without-signature"),
    pytest.param(
        {**INTL_NO_SIGN, "sign_name": "TestCorp", "sign": INTL_SIGN}, id="S6-international-signature"
    ),
    pytest.param({"template": CODE_TEMPLATE, "params": ["123456", "5"]}, id="code-6-digits"),
    pytest.param({"template": CODE_TEMPLATE, "params": ["", "5"]}, id="code-0-digits"),
    pytest.param(
        {"template": MARKETING_TEMPLATE, "params": ["20%"], "now": at(8, 0)}, id="D7-marketing-at-0800"
    ),
    pytest.param(
        {"template": MARKETING_TEMPLATE, "params": ["20%"], "now": at(21, 59)}, id="D7-marketing-at-2159"
    ),
    pytest.param({"now": at(3, 0)}, id="D7-regular-sms-at-night"),
    pytest.param({"account": Account(1, "organization", "arrears")}, id="P2-arrears-not-yet-suspended"),
    pytest.param({"template": HI_TEMPLATE, "params": ["x" * 487]}, id="content-exactly-500-chars"),
    pytest.param({"session_context": "x" * 511}, id="session-context-511-bytes"),
]


@pytest.mark.parametrize("overrides", ACCEPTED)
def test_accepted(overrides: dict[str, Any]) -> None:
    case = Case(**overrides)
    plan = case.plan()
    assert [r.code for r in plan.results] == [Code.OK] * len(case.phones)
    assert [p.e164 for p in plan.accepted] == list(case.phones)
    assert all(r.parts == plan.parts >= 1 for r in plan.results)


def test_rendered_content_mainland_carries_the_signature() -> None:
    """S6, D3: the approved template rendered with the parameters, 【signature】 in front; one part."""
    plan = Case(params=["123456", "5"]).plan()
    assert plan.content == "【TestCorp】Your code is 123456, valid for 5 minutes."
    assert plan.mainland is True
    assert plan.parts == 1
    assert plan.results == (NumberResult(CN_1, Code.OK, "CN", 1),)


def test_rendered_content_international_without_signature() -> None:
    """S6: an international message without signature is the bare text; IsoCode comes from the number."""
    plan = Case(**{**INTL_NO_SIGN, "phones": [US, GB, HK]}, params=["1", "2"]).plan()
    assert plan.content == "Your code is 1, valid for 2 minutes."
    assert plan.mainland is False
    assert [(r.phone, r.iso_code) for r in plan.results] == [(US, "US"), (GB, "GB"), (HK, "HK")]


def test_invalid_numbers_are_refused_one_by_one() -> None:
    """D1, D5: a number with spaces or junk fails alone; the valid ones are accepted, in request order."""
    phones = [CN_1, "+86 138 0013 8000", "12345", "+8613800138000x", "", "1380013800", CN_2]
    plan = Case(phones=phones).plan()
    assert [(r.phone, r.code) for r in plan.results] == [
        (CN_1, Code.OK),
        ("+86 138 0013 8000", Code.INCORRECT_PHONE),
        ("12345", Code.INCORRECT_PHONE),
        ("+8613800138000x", Code.INCORRECT_PHONE),
        ("", Code.INCORRECT_PHONE),
        ("1380013800", Code.INCORRECT_PHONE),
        (CN_2, Code.OK),
    ]
    refused = [r for r in plan.results if not r.accepted]
    assert all(r.parts == 0 and r.iso_code == "" for r in refused)
    assert [p.e164 for p in plan.accepted] == [CN_1, CN_2]


def test_all_numbers_invalid_accepts_nothing() -> None:
    plan = Case(phones=["abc", "+86 139 0013 9000"]).plan()
    assert [r.code for r in plan.results] == [Code.INCORRECT_PHONE, Code.INCORRECT_PHONE]
    assert plan.accepted == ()


def test_duplicates_are_sent_once() -> None:
    """D2: the same number in every D1 spelling (E.164, bare 11 digits, 0086, 86) is one recipient; the first
    occurrence keeps its place and is reported in E.164."""
    phones = ["13800138000", CN_2, "+8613800138000", "008613800138000", "8613800138000", "13900139000", CN_3]
    plan = Case(phones=phones).plan()
    assert [(r.phone, r.code) for r in plan.results] == [(CN_1, Code.OK), (CN_2, Code.OK), (CN_3, Code.OK)]
    assert [p.e164 for p in plan.accepted] == [CN_1, CN_2, CN_3]


def test_duplicates_do_not_hide_a_mix_of_regions() -> None:
    """D4 is checked on the numbers themselves, after D2 folding."""
    with pytest.raises(PlatformError) as err:
        Case(phones=["13800138000", CN_1, US]).plan()
    assert err.value.rejection.code is Code.MIXED_REGIONS


# D6: mainland counts every character as 1 (【TestCorp】 = 10, "Hi " = 3), 70 in one part, 67 per part after.
# International: GSM-7 160 / 153, UCS-2 70 / 67; no signature here.
PARTS = [
    pytest.param(HI_TEMPLATE, "x" * 57, 70, 1, id="mainland-70-ascii-1-part"),
    pytest.param(HI_TEMPLATE, "x" * 58, 71, 2, id="mainland-71-ascii-2-parts"),
    pytest.param(HI_TEMPLATE, "验" * 57, 70, 1, id="mainland-70-cjk-1-part"),
    pytest.param(HI_TEMPLATE, "验" * 58, 71, 2, id="mainland-71-cjk-2-parts"),
    pytest.param(HI_TEMPLATE, "x" * 121, 134, 2, id="mainland-134-2-parts"),
    pytest.param(HI_TEMPLATE, "x" * 122, 135, 3, id="mainland-135-3-parts"),
    pytest.param(INTL_HI_TEMPLATE, "x" * 157, 160, 1, id="intl-gsm7-160-1-part"),
    pytest.param(INTL_HI_TEMPLATE, "x" * 158, 161, 2, id="intl-gsm7-161-2-parts"),
    pytest.param(INTL_HI_TEMPLATE, "€" * 78 + "x", 82, 1, id="intl-gsm7-extension-counts-2"),
    pytest.param(INTL_HI_TEMPLATE, "€" * 79, 82, 2, id="intl-gsm7-extension-161-septets-2-parts"),
    pytest.param(INTL_HI_TEMPLATE, "验" * 67, 70, 1, id="intl-ucs2-70-1-part"),
    pytest.param(INTL_HI_TEMPLATE, "验" * 68, 71, 2, id="intl-ucs2-71-2-parts"),
]


@pytest.mark.parametrize(("template", "value", "length", "parts"), PARTS)
def test_parts_are_billed_per_number(template: Template, value: str, length: int, parts: int) -> None:
    """D5, D6: every accepted number carries the message's part count (its Fee)."""
    if template.international:
        case = Case(**{**INTL_NO_SIGN, "phones": [US, GB], "template": template}, params=[value])
    else:
        case = Case(phones=[CN_1, CN_2], template=template, params=[value])
    plan = case.plan()
    assert len(plan.content) == length
    assert plan.parts == parts
    assert [r.parts for r in plan.results] == [parts, parts]


def intl_plan(phones: Sequence[str]) -> SendPlan:
    return Case(**{**INTL_NO_SIGN, "phones": phones}).plan()


def test_refuse_takes_out_the_gates_refusals_and_keeps_the_rest() -> None:
    """L1-L4: the gate's per-number refusals replace those numbers' results; numbers already refused keep
    their own code; content and parts are unchanged."""
    phones = [INTL_FIVE[0], "bad", *INTL_FIVE[1:], INTL_FIVE[0]]
    plan = intl_plan(phones)
    assert len(plan.accepted) == 5
    cut = plan.refuse(
        {"+14155550124": Code.INTL_DAILY_LIMIT, "+61412345678": Code.PHONE_DAILY_LIMIT, "bad": Code.OK}
    )
    assert [(r.phone, r.code) for r in cut.results] == [
        (US, Code.OK),
        ("bad", Code.INCORRECT_PHONE),
        (GB, Code.OK),
        (HK, Code.OK),
        ("+14155550124", Code.INTL_DAILY_LIMIT),
        ("+61412345678", Code.PHONE_DAILY_LIMIT),
    ]
    assert [p.e164 for p in cut.accepted] == [US, GB, HK]
    refused = [r for r in cut.results if r.code in (Code.INTL_DAILY_LIMIT, Code.PHONE_DAILY_LIMIT)]
    # A refused number bills nothing; it keeps its country, which the statistics count it under.
    assert [(r.parts, r.iso_code) for r in refused] == [(0, "US"), (0, "AU")]
    assert (cut.content, cut.parts, cut.mainland) == (plan.content, plan.parts, plan.mainland)
    # The original plan is a value: refusing numbers leaves it untouched.
    assert len(plan.accepted) == 5


def test_refuse_nothing_changes_nothing() -> None:
    plan = intl_plan(INTL_FIVE)
    assert plan.refuse({}) == plan


def international_only(phones: Sequence[str], **fields: Any) -> SendPlan:
    """A SendMultiGlobalSms group: international numbers only, each with its own session context."""
    return plan_send(
        SendRequest(list(phones), "", ["1234", "5"], international_only=True, **fields),
        account=ORG,
        app=APP,
        sign=None,
        template=INTL_TEMPLATE,
        now_local=NOON,
        limits=SendLimits(),
    )


def test_an_international_only_request_refuses_mainland_numbers_one_by_one() -> None:
    """T2, D4: not the whole request as a mix; the mainland number's country still counts (statistics)."""
    plan = international_only([US, CN_1, "13900139000", "junk", GB])
    assert [(r.phone, r.code) for r in plan.results] == [
        (US, Code.OK),
        (CN_1, Code.CONTAIN_DOMESTIC),
        (CN_2, Code.CONTAIN_DOMESTIC),
        ("junk", Code.INCORRECT_PHONE),
        (GB, Code.OK),
    ]
    assert [p.e164 for p in plan.accepted] == [US, GB] and not plan.mainland
    assert plan.counts().iso_codes == ("CN", "DEF", "GB", "US")
    assert plan.counts().requests == (2, 1, 1, 1) and plan.counts().accepted == (0, 0, 1, 1)


def test_an_international_only_request_of_mainland_numbers_only_sends_nothing() -> None:
    plan = international_only([CN_1, CN_2])
    assert [r.code for r in plan.results] == [Code.CONTAIN_DOMESTIC] * 2 and plan.accepted == ()
    # The same numbers in an ordinary request are a mainland send (whose template this one is not).
    with pytest.raises(PlatformError) as err:
        plan_send(
            SendRequest([CN_1, CN_2], "", ["1234", "5"]),
            account=ORG,
            app=APP,
            sign=None,
            template=INTL_TEMPLATE,
            now_local=NOON,
            limits=SendLimits(),
        )
    assert err.value.rejection.code is Code.GLOBAL_TEMPLATE_TO_MAINLAND


def test_each_number_keeps_its_own_session_context() -> None:
    """A number given twice is sent once (D2); the others without one of their own get the request's."""
    plan = international_only([US, US, GB, HK], session_contexts={US: "a", GB: "b"})
    assert [p.e164 for p in plan.accepted] == [US, GB, HK]
    assert [plan.session_of(p.e164, "default") for p in plan.accepted] == ["a", "b", "default"]
    refused = plan.refuse({US: Code.PHONE_DAILY_LIMIT})
    assert [refused.session_of(p.e164, "") for p in refused.accepted] == ["b", ""]


@pytest.mark.parametrize(("size", "refused"), [(511, False), (512, True)])
def test_each_numbers_session_context_is_shorter_than_512_bytes(size: int, refused: bool) -> None:
    contexts = {US: "a", GB: "x" * size}
    if not refused:
        assert len(international_only([US, GB], session_contexts=contexts).accepted) == 2
        return
    with pytest.raises(PlatformError) as err:
        international_only([US, GB], session_contexts=contexts)
    assert err.value.rejection.code is Code.INVALID_PARAMETER_VALUE
