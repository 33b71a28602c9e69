"""The fulfilment saga's rules: pure Python, no I/O, unit-tested without servers."""
