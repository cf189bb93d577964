"""Model family of a litellm model string, without importing litellm (a table; YAML can override)."""

from __future__ import annotations

__all__ = ["family_of", "vendor_of", "candidates", "RESERVED_FAMILIES"]

RESERVED_FAMILIES = ("human", "unknown")  # what org calls people and models it cannot place

# Routers and clouds: the provider prefix says where the call goes, not whose model it is.
_ROUTERS = (
    "openrouter",
    "bedrock",
    "azure",
    "azure_ai",
    "vertex_ai",
    "vertex_ai_beta",
    "together_ai",
    "fireworks_ai",
    "groq",
    "deepinfra",
    "anyscale",
    "sagemaker",
    "ollama",
    "ollama_chat",
    "hosted_vllm",
    "litellm_proxy",
    "databricks",
    "watsonx",
    "nvidia_nim",
    "replicate",
    "huggingface",
)
_DIRECT = {
    "anthropic": "anthropic",
    "openai": "openai",
    "text-completion-openai": "openai",
    "gemini": "google",
    "palm": "google",
    "mistral": "mistral",
    "codestral": "mistral",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "xai": "xai",
    "deepseek": "deepseek",
    "perplexity": "perplexity",
}
# Name fragments, checked in order, for bare names and names behind routers.
_FRAGMENTS = (
    ("claude", "anthropic"),
    ("anthropic", "anthropic"),
    ("gpt", "openai"),
    ("chatgpt", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("davinci", "openai"),
    ("gemini", "google"),
    ("gemma", "google"),
    ("palm", "google"),
    ("llama", "meta"),
    ("mistral", "mistral"),
    ("mixtral", "mistral"),
    ("codestral", "mistral"),
    ("command", "cohere"),
    ("grok", "xai"),
    ("deepseek", "deepseek"),
    ("qwen", "alibaba"),
    ("phi", "microsoft"),
    ("nova", "amazon"),
    ("titan", "amazon"),
    ("local", "local"),
)


def vendor_of(model: str) -> str:
    """The provider that serves the call (the litellm prefix), e.g. 'bedrock' or 'openai'."""
    if "/" in model:
        return model.split("/", 1)[0].lower()
    return family_of(model)


def family_of(model: str, override: str | None = None) -> str:
    """The model family (who trained it), e.g. 'anthropic' for 'bedrock/anthropic.claude-3'."""
    if override:
        return override.lower()
    m = model.strip().lower()
    prefix, _, rest = m.partition("/") if "/" in m else ("", "", m)
    name = rest if prefix else m
    named = _named(name)
    if prefix in _DIRECT and prefix not in _ROUTERS:
        # a provider prefix in front of another family's model name (an OpenAI-compatible proxy in front of
        # Claude, say) is not placed: org does not guess which of the two is really called
        return _DIRECT[prefix] if named in (None, _DIRECT[prefix], "local") else "unknown"
    if named is not None:
        return named
    if prefix and prefix not in _ROUTERS:
        return prefix
    return "unknown"


def candidates(model: str) -> tuple[str, ...]:
    """The families a model org cannot place could still be: for a provider prefix in front of another family's
    model name (a proxy), the two it names; () when nothing in the string names a family."""
    m = model.strip().lower()
    prefix, _, rest = m.partition("/") if "/" in m else ("", "", m)
    named = _named(rest if prefix else m)
    if prefix in _DIRECT and prefix not in _ROUTERS and named not in (None, _DIRECT[prefix], "local"):
        return (_DIRECT[prefix], named)
    return ()


def _named(name: str) -> str | None:
    """The family a model's name (without its provider prefix) says, or None."""
    tail = name.replace(".", "/").replace(":", "/")
    for part in [tail, *tail.split("/")]:
        for frag, fam in _FRAGMENTS:
            if part.startswith(frag) or f"/{frag}" in part:
                return fam
    return None
