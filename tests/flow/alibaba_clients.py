"""The unmodified Alibaba SDKs pointed at a test platform: the Tea client (ACS3-HMAC-SHA256 by default, RPC
HMAC-SHA1 with signature_algorithm="v2") and the legacy aliyun-python-sdk-core AcsClient. Both are blocking:
tests call them through asyncio.to_thread."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from alibabacloud_dysmsapi20170525.client import Client as TeaClient
from alibabacloud_tea_openapi import models as open_api_models
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import RpcRequest

from tests.flow.harness import Platform, Tenant


def tea(platform: Platform, tenant: Tenant, *, v2: bool = False, secret: str | None = None) -> TeaClient:
    config = open_api_models.Config(
        access_key_id=tenant.secret_id,
        access_key_secret=secret or tenant.secret_key,
        endpoint=urlsplit(platform.api_url).netloc,  # host:port, no scheme (spec 1)
        protocol="http",
        read_timeout=30_000,
    )
    if v2:
        config.signature_algorithm = "v2"
    return TeaClient(config)


def legacy(platform: Platform, tenant: Tenant, *, secret: str | None = None) -> AcsClient:
    port = urlsplit(platform.api_url).port
    return AcsClient(tenant.secret_id, secret or tenant.secret_key, "cn-hangzhou", port=port)


def legacy_call(platform: Platform, client: AcsClient, request: RpcRequest) -> dict[str, Any]:
    """A legacy request sent to the test platform; the decoded JSON answer (it raises ServerException on a
    non-2xx status)."""
    request.set_endpoint(urlsplit(platform.api_url).hostname)
    request.set_protocol_type("http")
    answer: dict[str, Any] = json.loads(client.do_action_with_exception(request))
    return answer
