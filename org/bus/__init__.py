"""org.bus: the durable work bus (placeholder docstring, expanded below)."""

from org.bus.api import Bus, default_url
from org.bus.audit import VerifyReport
from org.bus.budgets import Reservation
from org.bus.claims import Claim
from org.bus.schema import SchemaTooNew
from org.bus.store import BusBusy

__all__ = ["Bus", "Claim", "Reservation", "VerifyReport", "SchemaTooNew", "BusBusy", "default_url"]
