"""`python -m nceflow.partner_center_sim` runs the Partner Center simulator."""

from __future__ import annotations

from nceflow.partner_center_sim.app import create_app
from nceflow.partner_center_sim.settings import Settings
from nceflow.runtime.environment import load_settings
from nceflow.runtime.serve import serve


def main() -> None:
    settings = load_settings(Settings, "nceflow.partner_center_sim")
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
