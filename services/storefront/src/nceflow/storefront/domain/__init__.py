"""How things are shown, in the seed's words: messages, step forms, money and dates. No I/O."""
