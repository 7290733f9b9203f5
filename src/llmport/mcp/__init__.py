"""Tools from MCP servers: a ``ToolExecutorPort`` over the official ``mcp`` SDK (extra ``mcp``).

::

    from llmport.mcp import McpServer, McpTools

    async with McpTools(McpServer.stdio("python my_server.py"),
                        McpServer.http("https://tools.example/mcp", bearer_token=token,
                                       prefix="remote")) as tools:
        result = await Agent(port, tools=tools).run("...")

The servers are started (a stdio server is a subprocess llmport starts and always stops) and
their tool lists read once, on entering the block: a server cannot change the tools of a run.
Nothing here is imported by ``import llmport``.
"""

import importlib.util as _util

if _util.find_spec("mcp") is None:
    raise ImportError("llmport.mcp needs the 'mcp' extra: pip install 'llmport[mcp]'")

from llmport.mcp.servers import McpServer
from llmport.mcp.tools import McpError, McpTools, result_text

__all__ = ["McpError", "McpServer", "McpTools", "result_text"]
