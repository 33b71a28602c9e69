"""The shared problem+json handlers, over real HTTP against a tiny app served by uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Header, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from nceflow.runtime.problems import (
    PROBLEM_JSON,
    FieldNaming,
    ProblemKind,
    RequestProblemError,
    bare_field_name,
    install_problem_handlers,
    located_field_name,
    problem_response,
)

BASE = "https://example.test/problems/"
SECRET = "password=hunter2 in a failing query"


class Line(BaseModel):
    quantity: int = Field(ge=1)


class Cart(BaseModel):
    items: list[Line]


class OutOfStock(Exception):
    """A domain error of the tiny app."""


class SoldOut(OutOfStock):
    """A subclass: mapped by its base's handler."""


@dataclass(frozen=True)
class Reason:
    """A domain problem that is not a `FieldError`, yet names a field and a reason."""

    field: str
    reason: str


def _out_of_stock(exc: OutOfStock) -> Response:
    return problem_response(
        409,
        f"{exc} is out of stock",
        type_base=BASE,
        kind="out-of-stock",
        title="Out of stock",
        errors=[Reason(field="items", reason="none left")],
        extensions={"plan_id": str(exc)},
    )


def _app(field_name: FieldNaming) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(
        app,
        type_base=BASE,
        service_name="shop",
        field_name=field_name,
        domain_errors={OutOfStock: _out_of_stock},
    )

    @app.get("/plans")
    async def plans(
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
        tenant: Annotated[str | None, Header(alias="X-Tenant")] = None,
    ) -> dict[str, int]:
        return {"limit": limit}

    @app.post("/carts")
    async def carts(cart: Cart) -> dict[str, int]:
        return {"lines": len(cart.items)}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET)

    @app.get("/sold-out")
    async def sold_out() -> None:
        raise SoldOut("basic")

    @app.get("/refused")
    async def refused() -> None:
        raise RequestProblemError(
            429,
            "too-many",
            "Slow down.",
            [Reason(field="limit", reason="too often")],
            headers={"Retry-After": "3"},
        )

    return app


Serve = Callable[[FastAPI], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Serves apps with uvicorn on free 127.0.0.1 ports; stops each at the end of the test."""
    running: list[tuple[uvicorn.Server, asyncio.Task[None], httpx.AsyncClient]] = []

    async def start(app: FastAPI) -> httpx.AsyncClient:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()  # re-raises why the server could not start
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10)
        running.append((server, task, client))
        return client

    yield start
    for server, task, client in running:
        await client.aclose()
        server.should_exit = True
        async with asyncio.timeout(10):
            await task


def _problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "errors"} <= body.keys()
    return body


@pytest.mark.integration  # a real server on loopback
async def test_invalid_query_is_422_naming_the_parameter(serve: Serve) -> None:
    client = await serve(_app(bare_field_name))
    body = _problem(await client.get("/plans", params={"limit": "0"}), 422)
    assert body["type"] == BASE + "invalid-request"
    assert [e["field"] for e in body["errors"]] == ["limit"]  # type: ignore[attr-defined]
    assert body["detail"] == "Invalid value for: limit"


@pytest.mark.integration  # a real server on loopback
async def test_located_names_keep_the_parameter_location_but_not_body(serve: Serve) -> None:
    client = await serve(_app(located_field_name))
    query = _problem(await client.get("/plans", params={"limit": "many"}), 422)
    assert [e["field"] for e in query["errors"]] == ["query.limit"]  # type: ignore[attr-defined]
    body = _problem(await client.post("/carts", json={"items": [{"quantity": 0}]}), 422)
    assert [e["field"] for e in body["errors"]] == ["items.0.quantity"]  # type: ignore[attr-defined]


@pytest.mark.integration  # a real server on loopback
async def test_invalid_body_is_422_with_every_field(serve: Serve) -> None:
    client = await serve(_app(bare_field_name))
    response = await client.post("/carts", json={"items": [{"quantity": 0}, {}]})
    body = _problem(response, 422)
    fields = sorted(e["field"] for e in body["errors"])  # type: ignore[attr-defined]
    assert fields == ["items.0.quantity", "items.1.quantity"]
    # A machine-readable code beside the sentence: pydantic's error type.
    codes = {e["field"]: e["code"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert codes == {"items.0.quantity": "greater_than_equal", "items.1.quantity": "missing"}
    malformed = await client.post(
        "/carts", content=b'{"items": ', headers={"content-type": "application/json"}
    )
    _problem(malformed, 422)


@pytest.mark.integration  # a real server on loopback
async def test_starlette_404_and_405_are_problems(serve: Serve) -> None:
    client = await serve(_app(bare_field_name))
    missing = _problem(await client.get("/nowhere"), 404)
    assert missing["type"] == BASE + "not-found"
    assert missing["title"] == "Not Found"
    wrong_method = await client.delete("/plans")
    body = _problem(wrong_method, 405)
    assert body["type"] == BASE + "method-not-allowed"
    assert wrong_method.headers["allow"] == "GET"


@pytest.mark.integration  # a real server on loopback
async def test_custom_generic_kinds(serve: Serve) -> None:
    app = FastAPI()
    install_problem_handlers(
        app,
        type_base="urn:test:",
        service_name="shop",
        invalid=ProblemKind("invalid-request", "Invalid request", "The request is not valid."),
        http_kind=lambda status: f"http-{status}",
    )

    @app.get("/n")
    async def n(n: int) -> int:
        return n

    client = await serve(app)
    invalid = _problem(await client.get("/n", params={"n": "x"}), 422)
    assert (invalid["type"], invalid["title"], invalid["detail"]) == (
        "urn:test:invalid-request",
        "Invalid request",
        "The request is not valid.",
    )
    assert _problem(await client.get("/none"), 404)["type"] == "urn:test:http-404"


@pytest.mark.integration  # a real server on loopback
async def test_unexpected_error_is_500_problem_without_internals(serve: Serve) -> None:
    client = await serve(_app(bare_field_name))
    response = await client.get("/boom")
    body = _problem(response, 500)
    assert body["type"] == BASE + "internal-server-error"
    assert body["detail"] == "The shop failed to answer; this is a bug on our side."
    assert body["errors"] == []
    for leak in ("Traceback", "RuntimeError", "hunter2", "test_problems"):
        assert leak not in response.text
    # The server survives its bug and keeps answering.
    assert (await client.get("/plans")).json() == {"limit": 10}


@pytest.mark.integration  # a real server on loopback
async def test_domain_errors_map_through_their_base_class(serve: Serve) -> None:
    client = await serve(_app(bare_field_name))
    body = _problem(await client.get("/sold-out"), 409)
    assert body["type"] == BASE + "out-of-stock"
    assert body["title"] == "Out of stock"
    assert body["plan_id"] == "basic"
    assert body["errors"] == [{"field": "items", "reason": "none left", "code": "invalid"}]


@pytest.mark.integration  # a real server on loopback
async def test_request_problem_error_keeps_its_status_errors_and_headers(serve: Serve) -> None:
    client = await serve(_app(bare_field_name))
    response = await client.get("/refused")
    body = _problem(response, 429)
    assert body["type"] == BASE + "too-many"
    assert body["title"] == "Too Many Requests"
    assert body["errors"] == [{"field": "limit", "reason": "too often", "code": "invalid"}]
    assert response.headers["retry-after"] == "3"


@pytest.mark.parametrize(
    ("loc", "bare", "located"),
    [
        (("query", "limit"), "limit", "query.limit"),
        (("header", "Idempotency-Key"), "Idempotency-Key", "header.Idempotency-Key"),
        (("body", "items", 0, "quantity"), "items.0.quantity", "items.0.quantity"),
        (("body",), "body", "body"),
    ],
)
def test_field_naming(loc: tuple[object, ...], bare: str, located: str) -> None:
    assert bare_field_name(loc) == bare
    assert located_field_name(loc) == located
