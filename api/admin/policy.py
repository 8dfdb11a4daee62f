"""An application's sending policy (L1, L4): its limits, and the countries it may send international SMS to."""

from __future__ import annotations

from aiohttp import web

from api.admin.common import NOT_FOUND, AdminError, json_response, read_body, state_of
from core.domain.errors import Code, Rejection
from core.services import policy
from core.services.policy import AppNotFound, IndividualPolicy


async def policy_get(request: web.Request) -> web.Response:
    sdk_app_id = request.match_info["sdk_app_id"]
    try:
        found = await policy.get_policy(state_of(request).platform, sdk_app_id)
    except AppNotFound as exc:
        raise AdminError(404, NOT_FOUND, str(exc)) from None
    return json_response(found.to_json())


async def policy_patch(request: web.Request) -> web.Response:
    sdk_app_id = request.match_info["sdk_app_id"]
    body = await read_body(request)
    if not body:
        raise AdminError(400, Code.MISSING_PARAMETER.value, "Give at least one policy field to change.")
    try:
        outcome = await policy.update_policy(state_of(request).platform, sdk_app_id, body)
    except AppNotFound as exc:
        raise AdminError(404, NOT_FOUND, str(exc)) from None
    except IndividualPolicy as exc:
        raise AdminError(409, exc.code, str(exc)) from None
    if isinstance(outcome, Rejection):
        raise AdminError.of(outcome)
    return json_response(outcome.to_json())


async def countries_put(request: web.Request) -> web.Response:
    """L4: the countries and regions an application may send international SMS to; null allows all."""
    sdk_app_id = request.match_info["sdk_app_id"]
    body = await read_body(request)
    if "countries" not in body:
        raise AdminError(
            400, Code.MISSING_PARAMETER.value, "`countries` is required (a list of ISO codes, or null)."
        )
    countries = body["countries"]
    if countries is not None:
        if (
            not isinstance(countries, list)
            or len(countries) > 300
            or not all(isinstance(c, str) and len(c) == 2 and c.isascii() and c.isalpha() for c in countries)
        ):
            raise AdminError(
                400, Code.INVALID_PARAMETER_VALUE.value, "`countries` must list two-letter ISO codes."
            )
        countries = sorted({c.upper() for c in countries})
    try:
        await policy.set_intl_countries(state_of(request).platform, sdk_app_id, countries)
    except AppNotFound as exc:
        raise AdminError(404, NOT_FOUND, str(exc)) from None
    return json_response({"sdk_app_id": sdk_app_id, "countries": countries})
