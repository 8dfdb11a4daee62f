"""Issue 16, "Bad input": every malformed, oversized, wrongly typed or unsigned request to the UCloud USMS door
gets UCloud's envelope (HTTP 200 JSON object, int RetCode, `Action` `<Action>Response`, str Message; never
Tencent's `Response` nor Alibaba's `RequestId`/`Code`), never a 500, and RetCode 0 only for a valid request.
Seeded mutations of properly signed forms to every action in api.ucloud.dispatch.SERVED (whatever it holds when
the suite runs), the door's own refusals, and the unmodified SDK given values of any Python type."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import random
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote_plus

from ucloud.client import Client
from ucloud.core.exc import RetCodeException, ValidationException

from api.ucloud import auth
from api.ucloud.dispatch import PLANNED, SERVED
from core.domain.projects import project_id
from tests.flow.harness import SIGN, Platform, Tenant, running_platform
from tests.flow.images import png_b64
from tests.fuzz.alibaba_wire import Pairs, Raw, Reply, Value, raw_http
from tests.fuzz.mutations import SEED

FORM = "application/x-www-form-urlencoded"
NUMBER = "13800138000"
BATCH_NUMBER = "13800138002"
PER_ACTION = 150  # random mutations per served action, plus a sweep of every strict parameter
SDK_CALLS = 80  # per SDK method
GATEWAY = frozenset({153, 160, 161, 170, 171, 172, 292})
MISSING, FORMAT = 18001, 18002


# --- The client: forms built pair by pair, signed over what the server decodes -------------------------------


def encode(pairs: Pairs) -> str:
    def one(x: Value) -> str:
        return x.token if isinstance(x, Raw) else quote_plus(x)

    return "&".join(f"{one(k)}={one(v)}" for k, v in pairs)


@dataclass(frozen=True)
class Key:
    public: str
    private: str
    project: str


@dataclass
class UClient:
    platform: Platform
    key: Key

    async def post(
        self,
        action: str | None,
        params: Pairs,
        *,
        path: str = "/usms",
        key: Key | None = None,
        project: str | None = None,
        signature: str | None = None,
        sign: bool = True,
    ) -> Reply:
        """A form as the SDK sends it (Region, ProjectId, the action's parameters, Action, PublicKey), signed
        with api.ucloud.auth.signature unless `signature` replaces it or `sign` is False."""
        key = key or self.key
        pairs: list[tuple[Value, Value]] = [("Region", "cn-bj2"), ("ProjectId", project or key.project)]
        pairs += params
        if action is not None:
            pairs.append(("Action", action))
        pairs.append(("PublicKey", key.public))
        text = encode(pairs)
        if sign:
            signed = parse_qsl(text, keep_blank_values=True, errors="replace")
            text += "&" + encode([("Signature", signature or auth.signature(signed, key.private))])
        return await self.raw(text.encode("ascii"), path=path)

    async def raw(
        self,
        body: bytes,
        *,
        path: str = "/usms",
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        sent = {"Content-Type": FORM, **(headers or {})}
        async with self.platform.http.request(
            method, self.platform.api_url + path, data=body, headers=sent, skip_auto_headers={"Content-Type"}
        ) as resp:
            return Reply(
                resp.status, resp.headers.get("Content-Type", ""), await resp.text("utf-8", "replace")
            )


def fault(reply: Reply, action: str | None) -> str | None:
    """Why an answer is not UCloud's envelope (HTTP 200, JSON object, int RetCode, the action's name, str
    Message, no other vendor's keys); `action` None: the door could not read one, so any Action name is fine."""
    if reply.status != 200:
        return f"HTTP {reply.status}: {reply.text[:160]!r}"
    if not reply.content_type.startswith("application/json"):
        return f"Content-Type {reply.content_type!r}: {reply.text[:80]!r}"
    try:
        body = reply.body
    except ValueError:
        return f"not JSON: {reply.text[:80]!r}"
    if not isinstance(body, dict):
        return f"not a JSON object: {reply.text[:80]!r}"
    if "Response" in body:
        return "Tencent's envelope"
    if "RequestId" in body or "Code" in body:
        return "Alibaba's envelope"
    ret = body.get("RetCode")
    if not isinstance(ret, int) or isinstance(ret, bool):
        return f"RetCode {ret!r}"
    if not isinstance(body.get("Message"), str):
        return f"Message {body.get('Message')!r}"
    name = body.get("Action")
    if not isinstance(name, str) or (action is not None and name != f"{action}Response"):
        return f"Action {name!r} (want {action}Response)"
    return None


def ret_code(reply: Reply) -> int:
    return int(reply.body["RetCode"])


# --- What a valid request to each action looks like -----------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A request to one action. `strict`: parameters where any hostile value must be refused; `required`:
    where no value must be; `lists`: list fields (`Name.N`); `checked`: the base request itself answers 0."""

    params: dict[str, str]
    strict: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()
    lists: frozenset[str] = frozenset()
    needed: frozenset[str] = frozenset()  # lists that must hold an item (spec C6)
    checked: bool = False


def shapes(t: Tenant, session: str, made: Mapping[str, str] | None = None) -> dict[str, Shape]:
    """The two actions of the first part are checked; the others are driven with the fields spec B4 gives
    them (updates and queries naming the items in `made`, when the creating actions are served) and held to
    the envelope, and to refusing a missing required list (spec C6)."""
    made = made or {}
    sig, qua = made.get("SigId", "SIG999999"), made.get("QualificationId", "QUA999999")
    template = made.get("TemplateId", "UTA999999")
    return {
        "SendUSMSMessage": Shape(
            {
                "PhoneNumbers.0": NUMBER,
                "TemplateId": f"UTA{t.template_id}",
                "TemplateParams.0": "1234",
                "TemplateParams.1": "5",
                "SigContent": SIGN,
                "UserId": "biz-1",
            },
            strict=frozenset({"PhoneNumbers.0", "TemplateId", "SigContent"}),
            required=frozenset({"PhoneNumbers.0", "TemplateId"}),
            lists=frozenset({"PhoneNumbers", "TemplateParams"}),
            needed=frozenset({"PhoneNumbers"}),
            checked=True,
        ),
        "GetUSMSSendReceipt": Shape(
            {"SessionNoSet.0": session, "SessionNoSet.1": "not-a-session"},
            lists=frozenset({"SessionNoSet"}),
            needed=frozenset({"SessionNoSet"}),
            checked=True,
        ),
        "SendBatchUSMSMessage": Shape(
            {"TaskContent": task(t, [{"Phone": BATCH_NUMBER, "TemplateParams": ["1", "5"], "UserId": "b"}])},
            strict=frozenset({"TaskContent"}),
            required=frozenset({"TaskContent"}),
            checked=True,
        ),
        "QueryUSMSTemplate": Shape({"TemplateId": f"UTA{t.template_id}"}, required=frozenset({"TemplateId"})),
        "CreateUSMSTemplate": Shape({"Purpose": "1", "TemplateName": "n", "Template": "验证码{1}"}),
        "UpdateUSMSTemplate": Shape({"TemplateId": template, "Template": "验证码{1}"}),
        "DeleteUSMSTemplate": Shape(
            {"TemplateIds.0": "UTA999999"},
            lists=frozenset({"TemplateIds"}),
            needed=frozenset({"TemplateIds"}),
        ),
        "QueryUSMSSignature": Shape({"SigId": sig}),
        "CreateUSMSSignature": Shape(
            {
                "SigContent": "FuzzSig",
                "SigType": "0",
                "SigPurpose": "0",
                "CertificateType": "0",
                "Description": "d",
                "File": png_b64(),
                "International": "false",
            }
        ),
        "UpdateUSMSSignature": Shape(
            {"SigId": sig, "SigContent": "FuzzSig", "SigType": "0", "SigPurpose": "0"}
        ),
        "DeleteUSMSSignature": Shape(
            {"SigIds.0": "SIG999999"}, lists=frozenset({"SigIds"}), needed=frozenset({"SigIds"})
        ),
        "GetUSMSSendStatistics": Shape(
            {
                "Domestic": "1",
                "StartDate": "2026-12-01",
                "EndDate": "2026-12-02",
                "Page": "0",
                "NumPerPage": "10",
                "OrderBy": "SendDate",
                "OrderType": "asc",
            }
        ),
        "GetUSMSTemplateSendStatistics": Shape(
            {
                "Domestic": "1",
                "StartDate": "2026-12-01",
                "EndDate": "2026-12-02",
                "Page": "0",
                "NumPerPage": "10",
                "OrderBy": "SendDate",
                "OrderType": "asc",
                "TemplateId": f"UTA{t.template_id}",
            }
        ),
        "UploadUSMSFile": Shape(
            {"FileContent": png_b64(), "FileName": "a.png", "Source": "0", "FileType": "image/png"}
        ),
        "AddUSMSSignatureQualification": Shape(
            {"Name": "FuzzCo", "Attr": "0", "Status": "0", "HandlerPhone": NUMBER, "CompanyName": "优刻得"},
            required=frozenset({"Name", "HandlerPhone"}),
        ),
        "UpdateUSMSSignatureQualification": Shape({"QualificationId": qua, "Status": "0"}),
        "DeleteUSMSSignatureQualification": Shape(
            {"QualificationIds.0": "QUA999999"},
            lists=frozenset({"QualificationIds"}),
            needed=frozenset({"QualificationIds"}),
        ),
        "GetUSMSSignatureQualification": Shape(
            {"Page": "0", "NumPerPage": "10", "OrderBy": "CreateTime", "OrderType": "desc"}
        ),
        "QueryUSMSSignatureQualification": Shape(
            {"QualificationId": qua}, required=frozenset({"QualificationId"})
        ),
    }


# Hostile values: wrong types, huge, negative and fractional numbers, booleans where text is expected, base64
# garbage, Chinese, emoji, control characters, very long text. None is a valid phone, template or signature.
HOSTILE: tuple[str, ...] = (
    "abc",
    "-1",
    "0",
    "1.5",
    "-0.0",
    "1e5",
    " 1",
    "+1",
    "٣",
    "0x10",
    "9" * 30,
    "-" + "9" * 40,
    "9" * 5000,
    "true",
    "false",
    "null",
    "[]",
    '{"a":1}',
    "!!!not base64!!!",
    "aGVsbG8",
    "====",
    "UTA",
    "UTA-1",
    "UTA" + "9" * 30,
    "UTA١",
    "x" * 20_000,
    "优刻得短信",
    "😀" * 50,
    "a b+c&d=e",
    "\x01\x1b[31m\x7f",
    "\r\n\t",
    "【签名】",
    "1",
    "(",
    "()",
    "(86)",
    "(abc)123",
    "(999999999)1",
    "(86)(86)" + NUMBER,
    "(86" + NUMBER,
    "+",
    "0086",
    "+86" + "1" * 30,
    "UTA0",
    "UTA" + "9" * 17,
    "uta1000",
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()


def task(t: Tenant, targets: list[Any], template: str = "") -> str:
    """SendBatchUSMSMessage's TaskContent: base64 of its JSON array."""
    group = {"TemplateId": template or f"UTA{t.template_id}", "SigContent": SIGN, "Target": targets}
    return b64(json.dumps([group]))


# TaskContent that is base64 (or nearly) of what is not a batch with a target to send to: none is valid.
BATCH_HOSTILE = (
    *(
        b64(text)
        for text in (
            "", "[]", "{}", "[{}]", "null", "[null]", "hello", '[{"Target":[]}]', "[" * 5000 + "]" * 5000,
            '[{"TemplateId":1,"SigContent":2,"Target":3}]', '[{"TemplateId":"UTA1","Target":[{"Phone":null}]}]',
            r'[{"TemplateId":"\u0000","SigContent":"\ud800","Target":[{"Phone":"\u0000"}]}]', "[1e999]",
            '[{"Target":[{"Phone":"13800138000","TemplateParams":{"a":1}}]}]', "\ud800", "\udcff", "[\x00]",
        )
    ),
    *("aGVsbG8", "aGVs bG8=", "aGVsbG8=\n", "-_-_", "W10", "W10===", "%5B%5D", b64("[]")[:-1]),
)  # fmt: skip
UNSTORABLE = (Raw("%00"), Raw("a%00b"), Raw("%ED%A0%80"), Raw("%FF"), Raw("%C3%28"))
UNKNOWN_KEYS = ("Foo", "__proto__", "签名", "a" * 300, "Action2", "Zone", "PhoneNumbers.x")


@dataclass
class Mutant:
    params: list[tuple[Value, Value]]
    what: str
    breaks: bool = False  # invalid: RetCode must not be 0
    unstorable: bool = False  # NUL, a lone surrogate or bytes that are not UTF-8: 18002


def _list_mutation(rng: random.Random, name: str, params: list[tuple[Value, Value]]) -> tuple[list[Any], str]:
    """A list field renumbered: a gap, an index past any list, one not counted from 0, a padded index, the bare
    name, or two items at the same index."""
    items = [(k, v) for k, v in params if isinstance(k, str) and k.startswith(name + ".")]
    rest = [(k, v) for k, v in params if (k, v) not in items]
    first = items[0][1] if items else "x"
    renumbered = rng.choice(
        (
            [(f"{name}.0", first), (f"{name}.2", first)],
            [(f"{name}.0", first), (f"{name}.99999", first)],
            [(f"{name}.0", first), (f"{name}.{'9' * 30}", first)],
            [(f"{name}.1", first)],
            [(f"{name}.00", first)],
            [(f"{name}.0", first), (f"{name}.00", first)],
            [(f"{name}.-1", first)],
            [(name, first)],
        )
    )
    return rest + renumbered, f"{name}: {','.join(str(k) for k, _ in renumbered)[:60]}"


def mutate(rng: random.Random, shape: Shape) -> Mutant:
    params: list[tuple[Value, Value]] = list(shape.params.items())
    names = list(shape.params) or ["Extra"]
    what: list[str] = []
    for _ in range(rng.choice((1, 1, 2))):
        op = rng.random()
        name = rng.choice(names)
        if op < 0.12:
            params = [(k, v) for k, v in params if k != name]
            what.append(f"-{name}")
        elif op < 0.2:
            params = [(k, "" if k == name else v) for k, v in params]
            what.append(f"{name}=''")
        elif op < 0.28:
            key = rng.choice(UNKNOWN_KEYS)
            params.append((key, rng.choice(HOSTILE)))
            what.append(f"+{key[:20]}")
        elif op < 0.35:
            if name in shape.params:  # a hostile value first, the valid one last (the one the server reads)
                params.insert(0, (name, rng.choice(HOSTILE)))
                what.append(f"{name} twice")
        elif op < 0.45:
            bad = rng.choice(UNSTORABLE)
            if rng.random() < 0.3:
                params.append((bad, "1"))
            else:
                params = [(k, v) for k, v in params if k != name] + [(name, bad)]
            what.append(f"{name}={bad.token}")
        elif op < 0.55 and shape.lists:
            params, note = _list_mutation(rng, rng.choice(sorted(shape.lists)), params)
            what.append(note)
        else:
            value = rng.choice(HOSTILE)
            params = [(k, v) for k, v in params if k != name] + [(name, value)]
            what.append(f"{name}={value[:30]!r}")
    return judged(Mutant(params, ", ".join(what)), shape)


def judged(mutant: Mutant, shape: Shape) -> Mutant:
    """What the server must make of the parameters as sent (the last of a repeated key counts)."""
    final = dict(mutant.params)
    mutant.unstorable = any(isinstance(x, Raw) for pair in mutant.params for x in pair)
    missing = any(final.get(name, "") == "" for name in shape.required)
    hostile = any(final.get(name, "") not in ("", shape.params[name]) for name in shape.strict)
    misnumbered = any(_misnumbered(name, final, name in shape.needed) for name in shape.lists)
    mutant.breaks = mutant.unstorable or missing or hostile or misnumbered
    return mutant


def _misnumbered(name: str, final: Mapping[Value, Value], needed: bool) -> bool:
    """A list numbered other than `Name.0`, `Name.1`, ... (a gap, a padded or huge index), or a needed one
    without items, is refused."""
    indexes = [
        k[len(name) + 1 :]
        for k in final
        if isinstance(k, str) and k.startswith(name + ".") and k[len(name) + 1 :].isdigit()
    ]
    if any(i != "0" and i.startswith("0") for i in indexes) or (needed and not indexes):
        return True
    return sorted(int(i) for i in indexes) != list(range(len(indexes)))


def sweep(shape: Shape) -> Iterator[Mutant]:
    """Every hostile value in every strict parameter, the others left valid."""
    for name in sorted(shape.strict):
        for value in HOSTILE + (BATCH_HOSTILE if name == "TaskContent" else ()):
            params: list[tuple[Value, Value]] = [
                (k, value if k == name else v) for k, v in shape.params.items()
            ]
            yield judged(Mutant(params, f"sweep {name}={value[:30]!r}"), shape)


CREATES = (
    ("CreateUSMSSignature", "SigId"),
    ("CreateUSMSTemplate", "TemplateId"),
    ("AddUSMSSignatureQualification", "QualificationId"),
)


@dataclass
class Fuzzer:
    rng: random.Random
    faults: list[str] = field(default_factory=list)
    codes: Counter[int] = field(default_factory=Counter)
    bases: dict[str, int] = field(default_factory=dict)

    def check(self, label: str, reply: Reply, action: str, mutant: Mutant | None, checked: bool) -> None:
        problem = fault(reply, action)
        code = ret_code(reply) if problem is None else -1
        if problem is None and code in GATEWAY:
            problem = f"refused at the door: {reply.text[:200]}"
        if problem is None and mutant is not None:
            if mutant.unstorable and code != FORMAT:
                problem = f"unstorable text answered {code}"
            elif mutant.breaks and code == 0:
                problem = f"an invalid request answered 0: {reply.text[:200]}"
        if problem is None and mutant is None and checked and code != 0:
            problem = f"the valid request answered {code}: {reply.text[:200]}"
        if problem is not None:
            self.faults.append(f"{label}: {problem}")
        self.codes[code] += 1


async def test_mutated_signed_forms_to_every_served_action(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url, ip_requests_per_second=0) as platform:
        tenant = await platform.add_tenant()
        client = UClient(platform, Key(tenant.secret_id, tenant.secret_key, project_id(tenant.account_id)))
        fuzzer = Fuzzer(random.Random(f"{SEED}-ucloud"))
        first = await client.post(
            "SendUSMSMessage", list(shapes(tenant, "")["SendUSMSMessage"].params.items())
        )
        assert fault(first, "SendUSMSMessage") is None and ret_code(first) == 0, first.text
        made: dict[str, str] = {}
        for action, field_name in CREATES:
            if action in SERVED:  # an item of each kind for the updates and queries to find
                created = await client.post(action, list(shapes(tenant, "")[action].params.items()))
                if fault(created, action) is None and ret_code(created) == 0:
                    made[field_name] = created.body[field_name]
        table = shapes(tenant, first.body["SessionNo"], made)
        for action in sorted(SERVED, key=lambda a: (a.startswith("Delete"), a)):  # deletes last
            shape = table.get(action, Shape({}))
            base = await client.post(action, list(shape.params.items()))
            fuzzer.check(f"{action} [valid]", base, action, None, shape.checked)
            fuzzer.bases[action] = ret_code(base)
            for mutant in [*(mutate(fuzzer.rng, shape) for _ in range(PER_ACTION)), *sweep(shape)]:
                reply = await client.post(action, mutant.params)
                fuzzer.check(f"{action} [{mutant.what}]", reply, action, mutant, shape.checked)
    sent = fuzzer.codes.total()
    assert not fuzzer.faults, f"{len(fuzzer.faults)} of {sent} answers wrong:\n" + "\n".join(
        fuzzer.faults[:40]
    )
    assert sent >= len(SERVED) * (PER_ACTION + 1), (fuzzer.codes, fuzzer.bases)
    assert fuzzer.codes[FORMAT] > 0 and fuzzer.codes[MISSING] > 0 and fuzzer.codes[0] >= 2, fuzzer.codes
    assert not SERVED & PLANNED


# --- The door -------------------------------------------------------------------------------------------------


def expect(reply: Reply, code: int, label: str = "", *, action: str | None = None) -> dict[str, Any]:
    problem = fault(reply, action)
    assert problem is None, f"{label}: {problem}"
    assert ret_code(reply) == code, f"{label}: {reply.text[:300]}"
    body: dict[str, Any] = reply.body
    return body


def receipt() -> list[tuple[Value, Value]]:
    return [("SessionNoSet.0", "not-a-session")]


async def test_methods_bodies_and_encodings(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url, ip_requests_per_second=0) as platform:
        tenant = await platform.add_tenant()
        client = UClient(platform, Key(tenant.secret_id, tenant.secret_key, project_id(tenant.account_id)))
        form = encode([("Action", "GetUSMSSendReceipt"), ("PublicKey", tenant.secret_id), ("Signature", "0")])
        for method in ("GET", "PUT", "DELETE", "PATCH"):
            expect(await client.raw(form.encode(), method=method), FORMAT, method)
        json_body = b'{"Action":"GetUSMSSendReceipt","PublicKey":"x","Signature":"y"}'
        expect(await client.raw(json_body, headers={"Content-Type": "application/json"}), FORMAT, "JSON")
        expect(await client.raw(b""), 160, "empty body")
        expect(await client.raw(b"Action=Send\xffUSMS&PublicKey=x&Signature=y"), FORMAT, "not UTF-8")
        expect(await client.raw(b"\xfe\xff\x00A"), FORMAT, "binary")
        big = form.encode() + b"&Pad=" + b"x" * platform.settings.max_body_bytes
        expect(await client.raw(big), FORMAT, "oversized")
        # Each written byte for byte on a connection of its own (the server closes one whose body it did not
        # read to the end, as after the oversized body above, and a pooled client would reuse it).
        head = b"POST /usms HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM.encode() + b"\r\nContent-Encoding: "
        for encoding, body in ((b"gzip", b"not gzip at all"), (b"deflate", b"\x00\x01garbage")):
            expect(await raw_http(platform.api_url, head + encoding, body), FORMAT, repr(encoding))
        for encoding in (b"x-foo", b"identity"):  # not decoded by the server: the bytes are the form
            reply = await raw_http(platform.api_url, head + encoding, form.encode())
            expect(reply, 171, repr(encoding), action="GetUSMSSendReceipt")
        big = gzip.compress(form.encode() + b"&Pad=" + b"0" * (2 * platform.settings.max_body_bytes))
        expect(await raw_http(platform.api_url, head + b"gzip", big), FORMAT, "gzip bomb")
        packed = gzip.compress(form.encode())
        reply = await client.raw(
            packed, headers={"Content-Encoding": "gzip"}
        )  # decoded by the server: a form
        expect(reply, 171, "gzip form", action="GetUSMSSendReceipt")


async def test_a_body_not_read_to_its_end_closes_the_connection_openly(
    database_url: str, redis_url: str
) -> None:
    """Regression: after a body not in its Content-Encoding the server closed the kept-alive connection without
    `Connection: close`, so a pooled client's next request on it failed with no answer; after an oversized
    one (read to its end) the next request on the pool goes through."""
    async with running_platform(database_url, redis_url, ip_requests_per_second=0) as platform:
        tenant = await platform.add_tenant()
        client = UClient(platform, Key(tenant.secret_id, tenant.secret_key, project_id(tenant.account_id)))
        big = b"Action=GetUSMSSendReceipt&Pad=" + b"x" * platform.settings.max_body_bytes
        for body, headers in ((b"not gzip at all", {"Content-Encoding": "gzip"}), (big, {})):
            for _ in range(2):  # the second on the pool's connection, were the first left open
                async with platform.http.post(
                    platform.api_url + "/usms", data=body, headers={"Content-Type": FORM, **headers}
                ) as resp:
                    reply = Reply(resp.status, resp.headers["Content-Type"], await resp.text())
                    if "Content-Encoding" in headers:  # left unread: the server closes it, and says so
                        assert resp.headers.get("Connection", "").lower() == "close", resp.headers
                expect(reply, FORMAT, repr(body[:20]))
                expect(
                    await client.post("GetUSMSSendReceipt", receipt()), 0, "next", action="GetUSMSSendReceipt"
                )


async def test_gateway_codes_for_every_door_refusal(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url, ip_requests_per_second=0) as platform:
        tenant = await platform.add_tenant()
        other = await platform.add_tenant(name="Other")
        key = Key(tenant.secret_id, tenant.secret_key, project_id(tenant.account_id))
        client = UClient(platform, key)
        expect(await client.post(None, receipt()), 160, "no Action")
        expect(await client.post("", receipt()), 160, "empty Action")
        for action in ("NoSuchAction", "sendusmsmessage", "短信", "A" * 4000, "SendSms", "SendUSMSMessage "):
            body = expect(await client.post(action, receipt()), 161, action[:20], action=action)
            assert "not found" in body["Message"]
        for action in sorted(PLANNED):
            body = expect(await client.post(action, []), 161, action, action=action)
            assert "not available" in body["Message"], body
        for action in sorted(SERVED):
            expect(await client.post(action, [], sign=False), 170, action, action=action)
            expect(await client.post(action, [], signature="0" * 40), 171, action, action=action)
            expect(
                await client.post(action, [], key=Key("nobody", "x", key.project)), 172, action, action=action
            )
            expect(
                await client.post(action, [], project=project_id(other.account_id)),
                292,
                action,
                action=action,
            )
        for odd in ("", " ", "x" * 5000, "密钥", "'OR'1'='1", key.public + " "):
            expect(
                await client.post("GetUSMSSendReceipt", receipt(), key=Key(odd, "x", key.project)),
                172,
            )
        for sig in ("☃", "z" * 40, "0" * 4000, ""):
            reply = await client.post("GetUSMSSendReceipt", receipt(), signature=sig or None, sign=bool(sig))
            expect(reply, 171 if sig else 170, sig[:10], action="GetUSMSSendReceipt")
        for project in ("org-nonexistent", "org-", project_id(tenant.account_id) + "0", "org-٣", "x" * 5000):
            expect(await client.post("GetUSMSSendReceipt", receipt(), project=project), 292, project[:20])
        await platform.db.execute(
            "UPDATE api_keys SET enabled = false WHERE secret_id = $1", tenant.secret_id
        )
        body = expect(await client.post("GetUSMSSendReceipt", receipt()), 172, "disabled")
        assert "disabled" in body["Message"]
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 0


async def test_a_replayed_request_gets_the_first_answer_and_runs_once(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url, ip_requests_per_second=0) as platform:
        tenant = await platform.add_tenant()
        key = Key(tenant.secret_id, tenant.secret_key, project_id(tenant.account_id))
        client = UClient(platform, key)
        params: list[tuple[Value, Value]] = [
            ("PhoneNumbers.0", NUMBER), ("TemplateId", f"UTA{tenant.template_id}"), ("TemplateParams.0", "1"),
            ("TemplateParams.1", "5"), ("SigContent", SIGN),
        ]  # fmt: skip
        first = await client.post("SendUSMSMessage", params)
        expect(first, 0, "first", action="SendUSMSMessage")
        again = await client.post("SendUSMSMessage", params)
        assert again.text == first.text
        # Regression: the same request with its Signature in capitals, padded, or its pairs in another order
        # was a new request to the replay check (which keyed on the text sent) and ran again.
        signed = parse_qsl(
            encode([("Region", "cn-bj2"), ("ProjectId", key.project), *params]), keep_blank_values=True
        )
        signed += [("Action", "SendUSMSMessage"), ("PublicKey", key.public)]
        sig = auth.signature(signed, key.private)
        for variant in (sig.upper(), f" {sig} ", sig.capitalize()):
            reply = await client.post("SendUSMSMessage", params, signature=variant)
            assert reply.text == first.text, variant
        reordered = encode([*reversed(signed), ("Signature", sig)]).encode()
        assert (await client.raw(reordered)).text == first.text
        assert len(await platform.statuses(tenant)) == 1
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 1
        # A creating action of the catalog likewise (when served): one template however often it is resent.
        if "CreateUSMSTemplate" in SERVED:
            create: list[tuple[Value, Value]] = [
                ("Purpose", "1"),
                ("TemplateName", "r"),
                ("Template", "码{1}"),
            ]
            made = [await client.post("CreateUSMSTemplate", create) for _ in range(3)]
            expect(made[0], 0, "created", action="CreateUSMSTemplate")
            assert {r.text for r in made} == {made[0].text}
            count = "SELECT count(*) FROM templates WHERE account_id = $1 AND content = '码{1}'"
            assert await platform.db.fetchval(count, tenant.account_id) == 1


async def test_text_not_utf8_and_misnumbered_lists_are_refused(database_url: str, redis_url: str) -> None:
    """Regressions: `%FF` or a lone surrogate (`%ED%A0%80`) was read as U+FFFD and the request run; a refusal of
    NUL named no Action; `Name.00` was read as a second item 0, and an index past 9,999 silently dropped."""
    async with running_platform(database_url, redis_url, ip_requests_per_second=0) as platform:
        tenant = await platform.add_tenant()
        client = UClient(platform, Key(tenant.secret_id, tenant.secret_key, project_id(tenant.account_id)))
        for bad in (Raw("%FF"), Raw("%ED%A0%80"), Raw("%C3%28"), Raw("a%00b")):
            cases: list[Pairs] = [[("SessionNoSet.0", bad)], [("SessionNoSet.0", "s"), (bad, "x")]]
            for params in cases:
                reply = await client.post("GetUSMSSendReceipt", params)
                expect(reply, FORMAT, bad.token, action="GetUSMSSendReceipt")
        send: list[tuple[Value, Value]] = [
            ("TemplateId", f"UTA{tenant.template_id}"), ("TemplateParams.0", "1"), ("TemplateParams.1", "5"),
            ("SigContent", SIGN),
        ]  # fmt: skip
        for phones in (
            [("PhoneNumbers.00", NUMBER)],
            [("PhoneNumbers.0", NUMBER), ("PhoneNumbers.00", "13800138001")],
            [("PhoneNumbers.0", NUMBER), ("PhoneNumbers.99999", "13800138001")],
            [("PhoneNumbers.0", NUMBER), ("PhoneNumbers." + "1" * 30, "13800138001")],
            [("PhoneNumbers.0", NUMBER), ("PhoneNumbers.2", "13800138001")],
            [("PhoneNumbers.0", Raw("%FF"))],
            [("PhoneNumbers.0", NUMBER), ("UserId", Raw("%ED%A0%80"))],
        ):
            reply = await client.post("SendUSMSMessage", [*phones, *send])
            expect(reply, FORMAT, repr(phones), action="SendUSMSMessage")
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 0
        # The boundary on the other side: indexes 0..N-1 (here past 9, sorted apart by name) are one list.
        sessions = [(f"SessionNoSet.{i}", f"s{i}") for i in range(12)]
        body = expect(await client.post("GetUSMSSendReceipt", sessions), 0, "12 sessions")
        assert [d["SessionNo"] for d in body["Data"]] == [f"s{i}" for i in range(12)]
        reply = await client.post("SendUSMSMessage", [("PhoneNumbers.0", NUMBER), *send, ("Other.00", "x")])
        expect(reply, 0, "another parameter's index", action="SendUSMSMessage")


async def test_throttled_and_busy_answers_are_the_envelope(database_url: str, redis_url: str) -> None:
    """The IP limit (L4) answers 153; the same signed send arriving again while it runs is HTTP 503 in the
    envelope (resent by a retrying SDK) or the first answer, and runs once."""
    async with running_platform(database_url, redis_url, ip_requests_per_second=3) as platform:
        tenant = await platform.add_tenant()
        client = UClient(platform, Key(tenant.secret_id, tenant.secret_key, project_id(tenant.account_id)))
        replies = [await client.post("GetUSMSSendReceipt", receipt()) for _ in range(8)]
        assert {ret_code(r) for r in replies} == {0, 153} and all(r.status == 200 for r in replies)
        for r in replies:
            assert fault(r, "GetUSMSSendReceipt") is None, r.text
    async with running_platform(database_url, redis_url, ip_requests_per_second=0) as platform:
        tenant = await platform.add_tenant()
        client = UClient(platform, Key(tenant.secret_id, tenant.secret_key, project_id(tenant.account_id)))
        send: list[tuple[Value, Value]] = [
            ("PhoneNumbers.0", NUMBER), ("TemplateId", f"UTA{tenant.template_id}"), ("TemplateParams.0", "1"),
            ("TemplateParams.1", "5"), ("SigContent", SIGN),
        ]  # fmt: skip
        replies = await asyncio.gather(*(client.post("SendUSMSMessage", send) for _ in range(6)))
        done = [r for r in replies if r.status == 200]
        assert done and {r.text for r in done} == {done[0].text}, [r.text for r in replies]
        expect(done[0], 0, "sent", action="SendUSMSMessage")
        for busy in (r for r in replies if r.status != 200):
            assert busy.status == 503 and busy.body["RetCode"] == 18004, busy.text
            assert busy.body["Action"] == "SendUSMSMessageResponse"
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 1


async def test_the_root_takes_a_form_with_the_three_marks_only(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url, ip_requests_per_second=0) as platform:
        tenant = await platform.add_tenant()
        client = UClient(platform, Key(tenant.secret_id, tenant.secret_key, project_id(tenant.account_id)))
        reply = await client.post("GetUSMSSendReceipt", receipt(), path="/")
        expect(reply, 0, "root", action="GetUSMSSendReceipt")
        # Regression: a form with the marks whose text is not UTF-8 (or decodes to a lone surrogate) went to
        # the Tencent door; it is UCloud's, refused as malformed.
        for bad in (Raw("%FF"), Raw("%ED%A0%80"), Raw("%00")):
            reply = await client.post("GetUSMSSendReceipt", [("SessionNoSet.0", bad)], path="/")
            expect(reply, FORMAT, bad.token)
        for pairs in (
            [("Action", "GetUSMSSendReceipt"), ("PublicKey", tenant.secret_id)],
            [("Action", "GetUSMSSendReceipt"), ("Signature", "0" * 40)],
            [("PublicKey", tenant.secret_id), ("Signature", "0" * 40)],
            [("action", "x"), ("publickey", "y"), ("signature", "z")],
        ):
            reply = await client.raw(encode(list(pairs)).encode(), path="/")
            assert "Response" in reply.body and "RetCode" not in reply.body, (
                reply.text
            )  # Tencent's, as before
        marks = encode([("Action", "GetUSMSSendReceipt"), ("PublicKey", "x"), ("Signature", "y")]).encode()
        reply = await client.raw(marks, path="/", headers={"Content-Type": "application/json"})
        assert "Response" in reply.body, reply.text  # not a form: Tencent's
        # Known limit: a form on `/` over max_body_bytes cannot be read for its marks, so it stays the Tencent
        # door's (its envelope, HTTP 200). At /usms, the SDK's own address, it is UCloud's 18002.
        big = marks + b"&Pad=" + b"x" * platform.settings.max_body_bytes
        reply = await client.raw(big, path="/")
        assert reply.status == 200 and "Response" in reply.body, reply.text
        expect(await client.raw(big), FORMAT, "oversized at /usms")


# --- The unmodified SDK ---------------------------------------------------------------------------------------


class Odd:
    def __str__(self) -> str:
        return "odd\x00object"


def anything(rng: random.Random, depth: int = 0) -> Any:
    """A value of any Python type the SDK's encoder may meet."""
    scalars: list[Any] = [
        None, True, False, 0, -1, 2**70, -(2**63), 1.5, 2.0, float("inf"), float("nan"), 1e300, "", "x" * 5000,
        "优刻得", "😀", "\x00", "\ud800", b"bytes", b"\xff", bytearray(b"ab"), 3 + 4j, Odd(), object(),
        NUMBER, "(86)" + NUMBER, "UTA1", range(3), frozenset({1}),
    ]  # fmt: skip
    if depth < 2 and rng.random() < 0.3:
        if rng.random() < 0.5:
            return [anything(rng, depth + 1) for _ in range(rng.randrange(4))]
        return {str(anything(rng, depth + 1))[:10]: anything(rng, depth + 1) for _ in range(rng.randrange(3))}
    return rng.choice(scalars)


async def test_the_sdk_with_values_of_any_type(database_url: str, redis_url: str) -> None:
    """The unmodified SDK, at /usms and (retrying, spec C5) at `/`: whatever it sends is answered in the
    envelope, so it raises only its own ValidationException (nothing sent) or RetCodeException, never
    HTTPStatusException or InvalidResponseException; and never a gateway code for a properly signed call."""
    async with running_platform(database_url, redis_url, ip_requests_per_second=0) as platform:
        tenant = await platform.add_tenant()
        settings = {
            "region": "cn-bj2", "project_id": project_id(tenant.account_id), "public_key": tenant.secret_id,
            "private_key": tenant.secret_key, "base_url": platform.api_url + "/usms",
        }  # fmt: skip
        clients = [
            Client(settings).usms(),
            Client({**settings, "base_url": platform.api_url + "/", "max_retries": 2}).usms(),
        ]
        rng = random.Random(f"{SEED}-ucloud-sdk")
        valid: dict[str, dict[str, Any]] = {
            "send_usms_message": {
                "PhoneNumbers": [NUMBER], "TemplateId": f"UTA{tenant.template_id}", "TemplateParams": ["1", "5"],
                "SigContent": SIGN, "UserId": "u", "ExtendCode": "1",
            },
            "get_usms_send_receipt": {"SessionNoSet": ["s"]},
        }  # fmt: skip
        faults: list[str] = []
        outcomes: Counter[str] = Counter()
        for method, request in valid.items():
            for call in range(SDK_CALLS):
                fuzzed = dict(request)
                for name in rng.sample(sorted(fuzzed), min(len(fuzzed), rng.choice((1, 1, 2)))):
                    fuzzed[name] = anything(rng)
                label = f"{method} {fuzzed!r:.200}"
                try:
                    await asyncio.to_thread(getattr(clients[call % 2], method), fuzzed)
                    outcomes["ok"] += 1
                except (
                    ValidationException,
                    UnicodeEncodeError,
                ):  # nothing sent (a lone surrogate: requests')
                    outcomes["refused by the SDK"] += 1
                except RetCodeException as exc:
                    outcomes[str(exc.code)] += 1
                    if exc.code in (0, *GATEWAY):
                        faults.append(f"{label}: RetCode {exc.code} {exc.message}")
                except Exception as exc:  # HTTPStatusException, InvalidResponseException: not the envelope
                    faults.append(f"{label}: {type(exc).__name__} {exc}")
        assert not faults, "\n".join(faults[:20])
        assert outcomes["ok"] > 0 and outcomes["refused by the SDK"] < SDK_CALLS, outcomes
