"""Helpers for nceflow's own tests and benchmarks (a development-only distribution: no service
depends on it): walking the wizard (`checkout`), building confirmed orders and reading topics
(`fulfilment`), the simulator in-process and its sign-in (`simulator`), and Partner Center
client settings against it (`partner_center`)."""
