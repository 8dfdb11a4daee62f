"""The check a customer URL (a callback URL, an alarm webhook) passes when it is set: its form and that it does
not point at the platform itself (core.domain.customer_urls), then where its host leads
(core.infra.outbound.check_destination). The guarded client checks the address again on every request."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from core.domain.customer_urls import check_customer_url, platform_endpoints
from core.infra.outbound import check_destination
from core.services.platform import Platform


async def url_problem(
    platform: Platform,
    url: str,
    *,
    also_hosts: AbstractSet[str] = frozenset(),
    also_ports: AbstractSet[int] = frozenset(),
) -> str | None:
    """Why the platform will not call `url`, or None. `also_hosts` and `also_ports` are where the caller's own
    request arrived (the API may answer on more than its settings name)."""
    settings = platform.settings
    hosts, ports = platform_endpoints(settings.api_host, settings.api_port, settings.public_api_url)
    private_networks = settings.callback_private_networks
    problem = check_customer_url(
        url,
        platform_hosts=hosts | also_hosts,
        platform_port=ports | also_ports,
        private_networks=private_networks,
    )
    return problem or await check_destination(url, private_networks=private_networks)
