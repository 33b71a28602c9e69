"""`/healthz` (the process is alive) and `/readyz` (its dependencies answer) for every service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse

ReadinessCheck = Callable[[], Awaitable[None]]
ReadinessDetails = Callable[[], Awaitable[Mapping[str, object]]]


def health_router(
    service: str,
    checks: Mapping[str, ReadinessCheck] | None = None,
    details: ReadinessDetails | None = None,
) -> APIRouter:
    """Build the health routes; each readiness check raises when its dependency is not usable.

    `details` adds figures an operator wants beside readiness (e.g. orders waiting past their
    time) without deciding it: a backlog is a reason to look, not to take a replica out of the
    load balancer.
    """
    router = APIRouter(tags=["health"])
    named_checks = dict(checks or {})

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        failures: dict[str, str] = {}
        for name, check in named_checks.items():
            try:
                await check()
            except Exception as exc:  # any failure means "not ready", with its reason
                failures[name] = f"{type(exc).__name__}: {exc}"
        extra: dict[str, object] = {}
        if details is not None and not failures:
            try:
                extra = dict(await details())
            except Exception as exc:
                failures["details"] = f"{type(exc).__name__}: {exc}"
        if failures:
            return JSONResponse(
                {"status": "unavailable", "service": service, "failures": failures},
                status_code=503,
                headers={"Retry-After": "1"},
            )
        return JSONResponse({"status": "ok", "service": service, **extra})

    return router
