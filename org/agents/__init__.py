"""Lane agents over litellm: model calls, structured outputs, pacing, the local model and the dispatcher.

Importing this package is cheap: litellm is imported lazily by `org.agents.llm`, and only there.
"""

__all__: list[str] = []
