"""`PartnerCenterTransport`: httpx over aiohttp, with errors that say whether a request left.

The client retries a checkout blindly only after a "not sent" error (`httpx.ConnectError`,
`ConnectTimeout`): a connection closed after the request must never look like one. The lost
response cases end to end are in `test_client.py` (`lost_response` faults of the simulator).
"""

from __future__ import annotations

import socket

import aiohttp
import httpx
import pytest

from nceflow.partner_center.transport import PartnerCenterTransport, precise_error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (aiohttp.ConnectionTimeoutError("pool or connect"), httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError("read"), httpx.ReadTimeout),
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("truncated"), httpx.ReadError),
        (aiohttp.ClientOSError(104, "reset by peer"), httpx.ReadError),
        (aiohttp.ClientError("anything else"), httpx.RemoteProtocolError),
    ],
)
def test_only_connect_failures_are_not_sent(error: Exception, expected: type[Exception]) -> None:
    # httpx-aiohttp itself maps all but the payload error to ConnectTimeout ("not sent").
    assert type(precise_error(error)) is expected


def test_other_errors_are_left_alone() -> None:
    assert precise_error(ValueError("not aiohttp")) is None


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there any more


async def test_a_refused_connection_is_a_connect_error() -> None:
    async with httpx.AsyncClient(transport=PartnerCenterTransport()) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{_closed_port()}/v1/customers")


async def test_a_response_reads_like_httpx(partner_center_sim: str) -> None:
    async with httpx.AsyncClient(transport=PartnerCenterTransport()) as http:
        response = await http.get(f"{partner_center_sim}/v1/customers")
    # No token: Microsoft's 401, with its body, headers and status as httpx objects.
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(response.json(), dict)
