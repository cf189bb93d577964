"""org.gateway: the model gateway, the only holder of provider keys (see server.py)."""

from org.gateway.grants import Grant, Grants
from org.gateway.server import Gateway, Refusal

__all__ = ["Gateway", "Grant", "Grants", "Refusal"]
