"""The shared machinery behind every adapter: the guard, the delta assembler, the framing and
the HTTP shell. Adapters build on it; the agent loop never sees it."""
