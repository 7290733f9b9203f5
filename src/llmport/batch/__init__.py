"""Batch runs: many agent conversations, each with its own record and transcript, resumable.

``run_batch(agent_factory, prompts, out_dir=...)`` runs them on an ``Executor``: the
``LocalExecutor`` (asyncio in this process, bounded) by default, or Ray's async actors
(``llmport.ray``, the extra ``ray``) across a cluster; see docs/durable.md.
"""

from llmport.batch.executors import Executor, LocalExecutor, windowed
from llmport.batch.progress import BatchProgress
from llmport.batch.records import AgentFactory, BatchItem, RunRecord, run_one
from llmport.batch.run import batch_items, run_batch
from llmport.batch.store import ResultStore, read_results

__all__ = [
    "AgentFactory",
    "BatchItem",
    "BatchProgress",
    "Executor",
    "LocalExecutor",
    "ResultStore",
    "RunRecord",
    "batch_items",
    "read_results",
    "run_batch",
    "run_one",
    "windowed",
]
