"""`python -m nceflow.catalog` runs the catalog service."""

from __future__ import annotations

from nceflow.catalog.app import create_app
from nceflow.catalog.settings import Settings
from nceflow.runtime.environment import load_settings
from nceflow.runtime.serve import serve


def main() -> None:
    settings = load_settings(Settings, "nceflow.catalog")
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
