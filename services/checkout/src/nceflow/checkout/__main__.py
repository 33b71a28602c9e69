"""`python -m nceflow.checkout` runs the checkout service."""

from __future__ import annotations

from nceflow.checkout.app import create_app
from nceflow.checkout.settings import Settings
from nceflow.runtime.environment import load_settings
from nceflow.runtime.serve import serve


def main() -> None:
    settings = load_settings(Settings, "nceflow.checkout")
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
