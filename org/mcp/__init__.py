"""org's MCP server: the work bus for agents that speak the Model Context Protocol (`org mcp serve`, ADR 0180).

The server holds no database: every tool call goes over the agents' bus socket (org.runtime.busclient, ADR 0140)
with the caller's token, through the same door (authentication, guard, decide(), the audit record) as
`org claim` and `org submit`. Identity is the token's: the environment's for stdio, the Authorization header's
for HTTP, never a tool argument. A caller is listed, and may call, only the tools its lanes use; no tool
approves, rejects, merges, pauses or hands out a token.

    org.mcp.tools   the toolsets and who gets which (no import of the SDK)
    org.mcp.server  the MCPServer (the official SDK, imported only here), its transports and error mapping
"""

from __future__ import annotations

__all__: list[str] = []
