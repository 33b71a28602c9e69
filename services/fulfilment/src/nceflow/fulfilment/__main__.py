"""`python -m nceflow.fulfilment` runs the fulfilment service."""

from __future__ import annotations

from nceflow.fulfilment.app import create_app
from nceflow.fulfilment.settings import Settings
from nceflow.runtime.environment import load_settings
from nceflow.runtime.serve import serve


def main() -> None:
    settings = load_settings(Settings, "nceflow.fulfilment")
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
