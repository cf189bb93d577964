"""Configuration: lanes/, gates/ and the repositories' policy as strict pydantic models, with the source of every value."""

__all__: list[str] = []
