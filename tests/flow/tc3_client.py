"""A raw Tencent Cloud API 3.0 client for tests: TC3-HMAC-SHA256 written from the spec (section 3), on
purpose independent of core/domain/tc3.py, so a test signing with it does not check the server against itself.
It lets a test choose the timestamp (to match a fixed API clock), send any bytes, and tamper after signing."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from multidict import CIMultiDict
from yarl import URL

VERSION = "2021-01-11"


def _hmac_sha256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def tc3_authorization(
    secret_id: str,
    secret_key: str,
    *,
    method: str,
    host: str,
    content_type: str,
    query: str,
    payload: bytes,
    timestamp: int,
    service: str = "sms",
) -> str:
    """The Authorization header value, signing content-type and host as the official SDK does."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    hashed_payload = hashlib.sha256(b"" if method == "GET" else payload).hexdigest()
    canonical_request = (
        f"{method}\n/\n{query if method == 'GET' else ''}\n"
        f"content-type:{content_type}\nhost:{host}\n\n"
        f"content-type;host\n{hashed_payload}"
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    )
    k_date = _hmac_sha256(("TC3" + secret_key).encode("utf-8"), date)
    k_signing = _hmac_sha256(_hmac_sha256(k_date, service), "tc3_request")
    signature = hmac.new(k_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str  # the raw header value
    text: str

    @property
    def body(self) -> Any:
        return json.loads(self.text)

    @property
    def error_code(self) -> str | None:
        error = self.body["Response"].get("Error")
        return None if error is None else str(error["Code"])


def encode(params: Any) -> bytes:
    """A JSON body as the SDK writes it (ASCII, default separators)."""
    return json.dumps(params).encode()


@dataclass
class Tc3Client:
    http: aiohttp.ClientSession
    url: str
    secret_id: str
    secret_key: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    def headers(
        self,
        payload: bytes,
        *,
        timestamp: int,
        action: str = "SendSms",
        version: str = VERSION,
        method: str = "POST",
        query: str = "",
    ) -> dict[str, str]:
        content_type = "application/json" if method == "POST" else "application/x-www-form-urlencoded"
        auth = tc3_authorization(
            self.secret_id,
            self.secret_key,
            method=method,
            host=self.host,
            content_type=content_type,
            query=query,
            payload=payload,
            timestamp=timestamp,
        )
        return {
            "Authorization": auth,
            "Content-Type": content_type,
            "Host": self.host,
            "X-TC-Action": action,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": version,
            "X-TC-Region": "ap-guangzhou",
            "X-TC-Language": "en-US",
        }

    async def send(self, payload: bytes, headers: dict[str, str], *, path: str = "/") -> Reply:
        async with self.http.post(self.url + path, data=payload, headers=headers) as resp:
            return Reply(resp.status, resp.headers.get("Content-Type", ""), await resp.text())

    async def get(self, query: str, *, timestamp: int, action: str = "SendSms") -> Reply:
        """Sign and GET with `query` (already urlencoded, flattened as the SDK does) sent verbatim."""
        headers = self.headers(b"", timestamp=timestamp, action=action, method="GET", query=query)
        async with self.http.get(URL(f"{self.url}/?{query}", encoded=True), headers=headers) as resp:
            return Reply(resp.status, resp.headers.get("Content-Type", ""), await resp.text())

    async def send_raw_path(self, payload: bytes, headers: dict[str, str], *, path: str) -> Reply:
        """POST with the request line's path and header bytes exactly as given (aiohttp's URL type would turn
        "/?" into "/"), over a plain socket: HTTP/1.1, one request, Connection: close."""
        host, _, port = self.host.rpartition(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            lines = [f"POST {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
            lines += [f"Content-Length: {len(payload)}", "Connection: close"]
            # surrogateescape lets a test put raw non-UTF-8 bytes in a header ("\udcff" is the byte 0xff).
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape") + payload)
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
            await writer.wait_closed()
        head, _, body = raw.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        reply_headers: CIMultiDict[str] = CIMultiDict()
        for line in header_lines:
            name, _, value = line.partition(": ")
            reply_headers.add(name, value)
        assert "chunked" not in reply_headers.get("Transfer-Encoding", ""), "expected a Content-Length reply"
        return Reply(int(status_line.split(" ")[1]), reply_headers.get("Content-Type", ""), body.decode())

    async def call(self, params: Any, *, timestamp: int, action: str = "SendSms", path: str = "/") -> Reply:
        """Sign and POST `params` (or raw bytes) as JSON."""
        payload = params if isinstance(params, bytes) else encode(params)
        return await self.send(payload, self.headers(payload, timestamp=timestamp, action=action), path=path)
