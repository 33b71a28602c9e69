"""Microsoft's samples collected by the simulator's author (`services/partner-center-sim/tests/
samples/`) read through this client's models: every response body parses, and every request body
survives a round trip through our models without losing a field (compared case-insensitively,
as Partner Center reads keys). A second pair of eyes on the same pages: if the two sides read a
page differently, this fails."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from pydantic import BaseModel

from nceflow.partner_center import (
    Address,
    AddressValidationResult,
    Agreement,
    AgreementMetadata,
    Availability,
    Cart,
    CartCheckoutResult,
    Customer,
    ErrorKind,
    Order,
    PartnerCenterThrottledError,
    PartnerRelationship,
    Product,
    ProvisioningStatus,
    Qualification,
    RelationshipRequest,
    Sku,
)
from nceflow.partner_center.errors import (
    error_from_response,
    is_already_submitted,
    is_availability_gone,
)
from nceflow.partner_center.models import ResourceCollection
from nceflow.partner_center.wire import WireResponse, encode_json

SIM_SAMPLES = (
    Path(__file__).resolve().parents[3] / "services" / "partner-center-sim" / "tests" / "samples"
)
SEGMENT = r"[^/]+"

# (method, path regex, model of the request body, model of the response body or its items)
ROUTES: list[tuple[str, str, type[BaseModel] | None, type[BaseModel]]] = [
    ("POST", r"/v1/customers", Customer, Customer),
    ("GET", r"/v1/customers", None, Customer),
    ("GET", r"/v1/customers/relationshiprequests", None, RelationshipRequest),
    ("GET", rf"/v1/customers/{SEGMENT}", None, Customer),
    ("GET", r"/v1/agreements", None, AgreementMetadata),
    ("GET", rf"/v1/customers/{SEGMENT}/agreements", None, Agreement),
    ("POST", rf"/v1/customers/{SEGMENT}/agreements", Agreement, Agreement),
    ("GET", rf"/v1/customers/{SEGMENT}/qualifications", None, Qualification),
    ("POST", rf"/v1/customers/{SEGMENT}/qualifications", Qualification, Qualification),
    ("GET", r"/v1/relationships", None, PartnerRelationship),
    ("GET", r"/v1/products", None, Product),
    ("GET", rf"/v1/products/{SEGMENT}", None, Product),
    ("GET", rf"/v1/products/{SEGMENT}/skus", None, Sku),
    ("GET", rf"/v1/products/{SEGMENT}/skus/{SEGMENT}", None, Sku),
    ("GET", rf"/v1/products/{SEGMENT}/skus/{SEGMENT}/availabilities", None, Availability),
    ("GET", rf"/v1/products/{SEGMENT}/skus/{SEGMENT}/availabilities/{SEGMENT}", None, Availability),
    ("POST", rf"/v1/customers/{SEGMENT}/carts", Cart, Cart),
    ("GET", rf"/v1/customers/{SEGMENT}/carts/{SEGMENT}", None, Cart),
    ("POST", rf"/v1/customers/{SEGMENT}/carts/{SEGMENT}/checkout", None, CartCheckoutResult),
    ("GET", rf"/v1/customers/{SEGMENT}/orders", None, Order),
    ("GET", rf"/v1/customers/{SEGMENT}/orders/{SEGMENT}", None, Order),
    (
        "GET",
        rf"/v1/customers/{SEGMENT}/orders/{SEGMENT}/provisioningstatus",
        None,
        ProvisioningStatus,
    ),
    ("POST", r"/v1/validations/address", Address, AddressValidationResult),
]


def _samples() -> list[Path]:
    return sorted(SIM_SAMPLES.glob("*.json")) if SIM_SAMPLES.is_dir() else []


def _route(method: str, path: str) -> tuple[type[BaseModel] | None, type[BaseModel]] | None:
    bare = path.split("?")[0].rstrip("/")
    bare = re.sub(r"^https?://[^/]+", "", bare)
    for m, pattern, request_model, response_model in ROUTES:
        if m == method.upper() and re.fullmatch(pattern, bare, flags=re.IGNORECASE):
            return request_model, response_model
    return None


def _keys(value: Any, prefix: str = "") -> set[str]:
    """Dotted, lower-cased paths of every non-null leaf key."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if inner is None:
                continue
            path = f"{prefix}.{key.lower()}" if prefix else key.lower()
            found.add(path)
            found |= _keys(inner, path)
    elif isinstance(value, list):
        for inner in value:
            found |= _keys(inner, prefix)
    return found


@pytest.mark.parametrize("path", _samples(), ids=lambda p: p.stem)
def test_simulator_sample_reads_through_our_models(path: Path) -> None:
    doc = json.loads(path.read_text())
    assert doc["page"]
    request = doc.get("request") or {}
    response = doc.get("response") or {}
    if not request and response.get("status", 200) >= 400:
        _check_error_sample(response)
        return
    route = _route(request.get("method", "GET"), request.get("path", ""))
    if route is None:
        pytest.skip(f"{request.get('method')} {request.get('path')} is not a call of this client")
    request_model, response_model = route
    body = request.get("body")
    if request_model is not None and isinstance(body, dict):
        ours = request_model.model_validate(_lower_aware(body, request_model)).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        missing = _keys(body) - _keys(ours)
        assert not missing, f"fields of Microsoft's request our model drops: {sorted(missing)}"
    answer = response.get("body")
    if answer is None or response.get("status", 200) >= 300:
        return
    if isinstance(answer, list):
        items = answer
    elif "items" in answer:
        items = ResourceCollection[Any].model_validate(answer).items
    else:
        items = [answer]
    for item in items:
        response_model.model_validate(item)


def _check_error_sample(response: dict[str, Any]) -> None:
    """An error sample becomes the typed error, with Microsoft's code, text and Retry-After."""
    raw = WireResponse(
        response["status"],
        CIMultiDictProxy(CIMultiDict(response.get("headers") or {})),
        encode_json(response["body"]),
    )
    error = error_from_response(raw, request_id="sample")
    assert error.status == response["status"]
    body = response["body"]
    assert error.description == (body.get("description") or body.get("message"))
    if "code" in body:
        assert error.code == body["code"]
    if response["status"] == 429:
        assert isinstance(error, PartnerCenterThrottledError)
        assert error.retry_after == float(response["headers"]["Retry-After"])
    else:
        assert error.kind is not ErrorKind.UNKNOWN


def _lower_aware(body: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """Partner Center reads keys case-insensitively (samples send PascalCase): map each key to
    our alias with the same spelling ignoring case."""
    aliases = {
        (field.alias or name).lower(): field.alias or name
        for name, field in model.model_fields.items()
    }
    mapped: dict[str, Any] = {}
    for key, value in body.items():
        target = aliases.get(key.lower(), key)
        sub = model.model_fields.get(_field_name(model, target))
        inner_model = _model_of(sub.annotation) if sub is not None else None
        if inner_model is not None and isinstance(value, dict):
            value = _lower_aware(value, inner_model)
        elif inner_model is not None and isinstance(value, list):
            value = [_lower_aware(v, inner_model) if isinstance(v, dict) else v for v in value]
        mapped[target] = value
    return mapped


def _field_name(model: type[BaseModel], alias: str) -> str:
    for name, field in model.model_fields.items():
        if (field.alias or name) == alias:
            return name
    return alias


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _sim_sample(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SIM_SAMPLES / name).read_text())
    return document


def _sample_error(name: str) -> Any:
    response = _sim_sample(name)["response"]
    raw = WireResponse(
        response["status"], CIMultiDictProxy(CIMultiDict()), encode_json(response["body"])
    )
    return error_from_response(raw, request_id="sample")


def test_the_documented_refusals_mean_what_the_client_acts_on() -> None:
    """Each refusal issue 19 named reaches the client as the meaning fulfilment acts on: 400019
    re-reads the availability, 800065 looks for the order the cart produced, 800009 and 600049
    fail the order with Microsoft's reason (never retried)."""
    gone = _sample_error("error_availability_not_found.json")
    assert is_availability_gone(gone)
    assert not gone.retryable
    submitted = _sample_error("error_cart_already_submitted.json")
    assert is_already_submitted(submitted)
    assert submitted.kind is ErrorKind.CART_IN_FLIGHT
    for name in ("error_cart_line_errors.json", "error_registration_number_missing.json"):
        refused = _sample_error(name)
        assert refused.kind is ErrorKind.BAD_REQUEST, name
        assert not refused.retryable, name


def test_a_cart_line_error_is_read_from_the_created_cart() -> None:
    body = _sim_sample("create_cart_line_error.json")["response"]["body"]
    cart = Cart.model_validate(body)
    ((line, error),) = cart.line_errors
    assert line.catalog_item_id == body["lineItems"][0]["catalogItemId"]
    assert int(error.error_code or 0) == 10012
    assert error.error_description
