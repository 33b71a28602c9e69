"""Rendering a page: the template plus what every page shows (who is signed in, notices, CSRF)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from nceflow.storefront.api.session import Session
from nceflow.storefront.domain.presentation import register_filters

# templates/ and static/ belong to the package, one level up.
TEMPLATES_DIR = Path(__file__).parent.parent / "templates"
STATIC_DIR = Path(__file__).parent.parent / "static"


def build_templates() -> Jinja2Templates:
    """The Jinja2 environment of the storefront (HTML autoescaped)."""
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    templates.env.trim_blocks = True
    templates.env.lstrip_blocks = True
    register_filters(templates)
    return templates


class Pages:
    """Renders templates with the context every page needs."""

    def __init__(self, templates: Jinja2Templates) -> None:
        self.templates = templates

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        """Render `template`; pages are personal, so no shared cache may keep them."""
        session = Session(request)
        full: dict[str, Any] = {
            "customer": session.customer,
            "csrf_token": session.csrf_token,
            "notices": session.pop_notices(),
            "cart_count": session.cart_count,
        }
        full.update(context or {})
        response = self.templates.TemplateResponse(request, template, full, status_code=status_code)
        response.headers["Cache-Control"] = "no-store"
        return response
