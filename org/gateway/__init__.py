"""org.gateway: the model gateway, the only holder of provider keys (see server.py)."""

from typing import TYPE_CHECKING

from org.lazy import lazy_names

if TYPE_CHECKING:
    from org.gateway.grants import Grant, Grants
    from org.gateway.server import Gateway, Refusal

# imported on first use: an agent's client of the gateway (org.gateway.service, upstream) loads no server
__getattr__ = lazy_names(
    "org.gateway",
    {"Grant": "grants", "Grants": "grants", "Gateway": "server", "Refusal": "server"},
    globals(),
)

__all__ = ["Gateway", "Grant", "Grants", "Refusal"]
