"""The pure engine: the task fold, decide(), the gate graph and its proofs (no I/O, clock or randomness)."""

__all__: list[str] = []
