"""The simulated Partner Center and Entra ID: records, rules, seed, tokens. No HTTP."""
