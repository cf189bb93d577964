"""org: an org chart for AI agents and humans (lanes, gates, ADRs, a work bus, brakes)."""

__all__ = ["__version__"]
__version__ = "0.1.0"
