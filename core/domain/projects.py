"""An account's project id, as UCloud's calls name it (`ProjectId`, e.g. `org-42`): one project per account."""

from __future__ import annotations

PREFIX = "org-"


def project_id(account_id: int) -> str:
    return f"{PREFIX}{account_id}"


def names_account(project: str, account_id: int) -> bool:
    """Whether a request's ProjectId is the account's own: empty (the default project) or its project id."""
    return project in ("", project_id(account_id))
