"""`/healthz` (the process is alive) and `/readyz` (its dependencies answer) for every service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse

ReadinessCheck = Callable[[], Awaitable[None]]


def health_router(service: str, checks: Mapping[str, ReadinessCheck] | None = None) -> APIRouter:
    """Build the health routes; each readiness check raises when its dependency is not usable."""
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
        if failures:
            return JSONResponse(
                {"status": "unavailable", "service": service, "failures": failures},
                status_code=503,
                headers={"Retry-After": "1"},
            )
        return JSONResponse({"status": "ok", "service": service})

    return router
