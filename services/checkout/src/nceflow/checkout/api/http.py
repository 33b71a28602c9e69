"""HTTP details of checkout's API that are not errors: the draft's ETag and `If-Match`.

(The request body limit is `nceflow.runtime.body_limit.BodySizeLimit`, shared by the services;
its refusal, a problem, is `api.errors.body_too_large`.)
"""

from __future__ import annotations


def etag(version: int) -> str:
    """The ETag of a draft version."""
    return f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """The version `If-Match` names; None for absent or `*`; -1 (never current) if unreadable."""
    if value is None or value.strip() == "*":
        return None
    first = value.split(",")[0].strip().removeprefix("W/").strip('"')
    # ASCII digits only: `str.isdigit` also accepts "²", which `int` refuses (a 500 before).
    return int(first) if first.isascii() and first.isdigit() and len(first) < 12 else -1
