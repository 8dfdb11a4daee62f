"""A hand-rolled Alibaba Cloud client for the fuzz suite: requests built pair by pair (each value encoded as
asked, or sent as a raw pre-encoded token such as `%FF`), signed with api.alibaba.auth's client-side signers
over exactly what the server will decode, then sent as they are; and the oracle every answer is held to."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import aiohttp
from yarl import URL

from api.alibaba import auth

VERSION = "2017-05-25"
FORM = "application/x-www-form-urlencoded"
_REQUEST_ID = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")


@dataclass(frozen=True)
class Raw:
    """A value sent exactly as written on the wire (already percent-encoded, or deliberately not)."""

    token: str


Value = str | Raw
Pairs = Sequence[tuple[Value, Value]]


def encode(pairs: Pairs, *, plus: bool = True) -> str:
    """Pairs as a query or form body: spaces as `+` (Python's urlencode, the Tea SDK) or `%20` (the legacy
    SDK); a Raw value verbatim."""
    quoted = quote_plus if plus else quote
    out = []
    for key, value in pairs:
        text = value.token if isinstance(value, Raw) else quoted(value, safe="~" if not plus else "")
        name = key.token if isinstance(key, Raw) else quoted(key, safe="")
        out.append(f"{name}={text}")
    return "&".join(out)


def decode(text: str) -> list[tuple[str, str]]:
    """What the server reads from a query or form body (and signs over)."""
    return parse_qsl(text, keep_blank_values=True, errors="surrogateescape")


@dataclass
class Reply:
    status: int
    content_type: str
    text: str

    @property
    def body(self) -> Any:
        return json.loads(self.text)

    @property
    def code(self) -> str:
        try:
            body = self.body
        except ValueError:
            return ""
        return str(body.get("Code", "")) if isinstance(body, dict) else ""


@dataclass
class Request:
    """One Alibaba request before signing. `query` and `form` hold the business parameters (the signature's
    own parameters and headers are added by the signer); `form` None sends no body."""

    action: str
    query: list[tuple[Value, Value]] = field(default_factory=list)
    form: list[tuple[Value, Value]] | None = None
    method: str = "POST"
    plus: bool = True
    content_type: str | None = None  # None: FORM when there is a form body


@dataclass(frozen=True)
class Key:
    access_key_id: str
    secret: str


@dataclass
class AliClient:
    http: aiohttp.ClientSession
    url: str  # http://127.0.0.1:port
    key: Key

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    async def acs3(
        self,
        req: Request,
        *,
        date: str,
        nonce: str,
        version: str = VERSION,
        key: Key | None = None,
        after: Mapping[str, str | None] | None = None,
    ) -> Reply:
        """Signed with ACS3-HMAC-SHA256; `after` edits headers once signed (None removes one)."""
        key = key or self.key
        query = encode(req.query, plus=req.plus)
        body = b"" if req.form is None else encode(req.form, plus=req.plus).encode("latin-1")
        content_type = req.content_type or (FORM if req.form is not None else None)
        headers = auth.acs3_request_headers(
            key.access_key_id, key.secret, host=self.host, action=req.action, query_pairs=decode(query),
            date=date, nonce=nonce, body=body, content_type=content_type, method=req.method,
            version=version,
        )  # fmt: skip
        for name, value in (after or {}).items():
            headers.pop(name, None)
            if value is not None:
                headers[name] = value
        return await self.send(req.method, query, headers, body)

    async def rpc(
        self,
        req: Request,
        *,
        timestamp: str,
        nonce: str,
        version: str = VERSION,
        key: Key | None = None,
        drop: frozenset[str] = frozenset(),
        extra: Sequence[tuple[str, Value]] = (),
        signature: str | None = None,
    ) -> Reply:
        """Signed with RPC HMAC-SHA1 over query and form pairs; `drop` leaves signature parameters out,
        `extra` adds pairs that are signed too, `signature` replaces the computed one."""
        key = key or self.key
        system: list[tuple[Value, Value]] = [
            ("Action", req.action),
            ("Format", "JSON"),
            ("Version", version),
            ("Timestamp", timestamp),
            ("SignatureNonce", nonce),
            ("SignatureMethod", auth.RPC_SIGNATURE_METHOD),
            ("SignatureVersion", auth.RPC_SIGNATURE_VERSION),
            ("AccessKeyId", key.access_key_id),
        ]
        pairs = [(k, v) for k, v in system if k not in drop] + list(extra) + req.query
        query = encode(pairs, plus=req.plus)
        form_text = "" if req.form is None else encode(req.form, plus=req.plus)
        content_type = req.content_type or (FORM if req.form is not None else None)
        is_form = (content_type or "").split(";")[0].strip().lower() == FORM
        signed = decode(query) + (decode(form_text) if is_form else [])
        sig = (
            signature
            if signature is not None
            else auth.sign_rpc(key.secret, method=req.method, params=signed)
        )
        if "Signature" not in drop:
            query += "&" + encode([("Signature", sig)])
        # As the Tea SDK does, the action and version in headers too (unless the test leaves them out).
        headers = {"x-acs-action": req.action} if req.action and "Action" not in drop else {}
        if "Version" not in drop:
            headers["x-acs-version"] = version
        if content_type is not None:
            headers["content-type"] = content_type
        return await self.send(req.method, query, headers, form_text.encode("latin-1"))

    async def send(self, method: str, query: str, headers: Mapping[str, str], body: bytes) -> Reply:
        url = URL(f"{self.url}/?{query}" if query else f"{self.url}/", encoded=True)
        # skip_auto_headers: no Content-Type the signer did not put there.
        async with self.http.request(
            method, url, headers=dict(headers), data=body, skip_auto_headers={"Content-Type"}
        ) as resp:
            return Reply(
                resp.status, resp.headers.get("Content-Type", ""), await resp.text("utf-8", "replace")
            )


# --- The oracle -------------------------------------------------------------------------------------------

# Each code the Alibaba door may answer, with its one HTTP status (spec 3.3, 4, 6 and 9). Business outcomes
# (isv.*, isp.*) are 200, the SDKs never raise on them.
STATUS: dict[str, int] = {
    "OK": 200,
    "IncompleteSignature": 400,
    "SignatureDoesNotMatch": 400,
    "InvalidTimeStamp.Format": 400,
    "InvalidTimeStamp.Expired": 400,
    "SignatureNonceUsed": 400,
    "MissingSignatureNonce": 400,
    "MissingAccessKeyId": 400,
    "MissingAction": 400,
    "InvalidVersion": 400,
    "InvalidParameter": 400,
    "UnsupportedOperation": 400,
    "UnsupportedHTTPMethod": 405,
    "InvalidAccessKeyId.Inactive": 400,
    "InvalidAccessKeyId.NotFound": 404,
    "InvalidAction.NotFound": 404,
    "InvalidParameter.RequestTooLarge": 413,
    "Throttling.User": 400,
}


def expected_status(code: str) -> int | None:
    if code in STATUS:
        return STATUS[code]
    if code.startswith(("isv.", "isp.")):
        return 200
    if code.startswith("Missing") and code[7:8].isupper():  # Missing<Param> (spec 3.3)
        return 400
    return None  # not a code this door answers (InternalError included: never for input)


def fault(reply: Reply) -> str | None:
    """Why an answer is not Alibaba's envelope with a known code at its proper status; None if it is."""
    if not reply.content_type.startswith("application/json"):
        return f"HTTP {reply.status} Content-Type {reply.content_type!r}: {reply.text[:80]!r}"
    try:
        body = reply.body
    except ValueError:
        return f"HTTP {reply.status} not JSON: {reply.text[:80]!r}"
    if not isinstance(body, dict):
        return f"not a JSON object: {reply.text[:80]!r}"
    if "Response" in body:
        return "Tencent's envelope"
    for name in ("RequestId", "Code", "Message"):
        if not isinstance(body.get(name), str):
            return f"no str {name}: {reply.text[:120]!r}"
    if not _REQUEST_ID.fullmatch(body["RequestId"]):
        return f"RequestId {body['RequestId']!r}"
    code = body["Code"]
    want = expected_status(code)
    if want is None:
        return f"HTTP {reply.status} unexpected code {code}: {body['Message'][:120]!r}"
    if reply.status != want:
        return f"HTTP {reply.status} for {code} (want {want})"
    if reply.status != 200 and body.get("HostId") != "dysmsapi.aliyuncs.com":
        return f"HTTP {reply.status} without the gateway's HostId"
    return None


async def raw_http(url: str, head: bytes, body: bytes = b"") -> Reply:
    """One request written byte for byte on a fresh connection (a header aiohttp's client would not send,
    a request line of any length); the answer read to the end."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(head + b"\r\nConnection: close\r\nContent-Length: " + str(len(body)).encode())
        writer.write(b"\r\n\r\n" + body)
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    header, _, payload = data.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    content_type = next((v for k, v in fields.items() if k.lower() == "content-type"), "")
    return Reply(status, content_type, payload.decode("utf-8", "replace"))
