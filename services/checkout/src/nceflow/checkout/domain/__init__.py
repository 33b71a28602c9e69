"""The wizard's rules: steps, their order and data, pricing, forms. Pure Python, no I/O."""
