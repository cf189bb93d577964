"""Architecture decision records: the written ground truth gates check and agents read.

parse       adrs/NNNN-slug.md (YAML front matter + MADR body) -> Adr, AdrSet
lifecycle   new (from a template), accept/reject/deprecate, supersede (both links)
links       supersede chains: both ends written, nothing dangling, no cycles
constraints the condition logic: describe, evaluate, find contradictions
check       validate_adrs (org validate), make_extra_check (check gates), adrs_relied_on
index       SQLite FTS5 search index, a cache the Markdown rebuilds
context     relevant_adrs for a task, render_for_prompt for agents
"""

from org.adrs.model import STATUSES, Adr, AdrMeta, Constraint, adr_id, adr_label
from org.adrs.parse import AdrSet, load_adrs, parse_adr

__all__ = [
    "STATUSES",
    "Adr",
    "AdrMeta",
    "AdrSet",
    "Constraint",
    "adr_id",
    "adr_label",
    "load_adrs",
    "parse_adr",
]
