"""Durable agent runs as DBOS workflows (the extra ``dbos``); see ``llmport.dbos.agent``.

Importing this package imports DBOS and registers the workflow; ``import llmport`` does not.
"""

from llmport.dbos.agent import (
    DurableAgent,
    PendingApproval,
    launch,
    shutdown,
)
from llmport.dbos.client import approve, pending_approval

__all__ = [
    "DurableAgent",
    "PendingApproval",
    "approve",
    "launch",
    "pending_approval",
    "shutdown",
]
