"""Partner Center and Entra ID token endpoint simulator for nceflow dev and tests."""
