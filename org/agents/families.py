"""Who serves a call and who trained the model: provider, vendor and family of a litellm model string.

The provider comes from litellm's own resolution (`get_llm_provider`, via org.agents.llm); the family
from the provider when it is a model maker, and from org.config.families' table when the provider is
a router or a cloud (openrouter, bedrock, azure, vertex_ai, ...), where the name says whose model it
is. A member's YAML `family:` wins over both, for self-hosted models.
"""

from __future__ import annotations

from dataclasses import dataclass

from org.config import families as table

__all__ = ["ModelIdentity", "identify", "check_actor"]


@dataclass(frozen=True)
class ModelIdentity:
    model: str
    provider: str  # litellm's provider: where the request goes and whose rate budget it spends
    vendor: (
        str  # the provider prefix org uses for pausing and budgets (same as org.config.families.vendor_of)
    )
    family: str  # who trained the model; what cross-vendor review compares
    resolved_by: str  # "litellm", "table" or "override"

    def to_json(self) -> dict:
        return dict(self.__dict__)


def identify(model: str, override: str | None = None) -> ModelIdentity:
    """Provider, vendor and family of `model`; `override` is the member's YAML `family:`."""
    from org.agents.llm import provider_of

    vendor = table.vendor_of(model)
    try:
        provider = provider_of(model)
        how = "litellm"
    except ValueError:
        provider, how = vendor, "table"
    if override:
        return ModelIdentity(model, provider, vendor, override.lower(), "override")
    # A bare name gets the provider litellm resolved as its prefix; the table then knows makers from
    # routers and clouds (where the rest of the name says whose model it is).
    named = model if "/" in model or how == "table" else f"{provider}/{model}"
    return ModelIdentity(model, provider, vendor, table.family_of(named), how)


def check_actor(
    actor_id: str, configured_family: str | None, model: str, override: str | None = None
) -> str | None:
    """None when the model actually called belongs to the family the config recorded for the actor;
    otherwise the reason to fail closed (a cross-vendor review must compare what was really called)."""
    fam = identify(model, override).family
    if configured_family and fam != configured_family:
        return (
            f"{actor_id} is configured as a {configured_family} model but '{model}' resolves to the {fam} "
            "family; refusing to work under the wrong family"
        )
    return None
