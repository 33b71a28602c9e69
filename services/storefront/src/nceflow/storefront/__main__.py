"""`python -m nceflow.storefront` runs the storefront."""

from __future__ import annotations

from nceflow.runtime.environment import load_settings
from nceflow.runtime.serve import serve
from nceflow.storefront.app import create_app
from nceflow.storefront.settings import Settings


def main() -> None:
    settings = load_settings(Settings, "nceflow.storefront")
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
