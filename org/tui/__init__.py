"""org.tui: the Textual approval inbox and operator console behind `org tui`.

app         OrgApp: modes, the live poll, the count badge, errors as notifications
principal   the human at the keyboard (one place to wire a bus token later)
data        inbox and evidence, board rows and filters, a task's trace (no Textual)
ops         agents, lanes, leases, budgets, switches, gate plans with counts (no Textual)
screens/    inbox, board, timeline, agents, gates, adrs, help
widgets/    top bar with the badge, modals, evidence rendering
"""

__all__: list[str] = []
