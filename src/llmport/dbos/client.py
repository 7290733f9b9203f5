"""Decide on a durable run's pending tool call from any process, without launching DBOS.

    pending = pending_approval("ticket-42", system_database_url="sqlite:///llmport_dbos.sqlite")
    if pending is not None:
        approve(pending, system_database_url=...)

A thin use of ``DBOSClient``: it reads the run's published pending call and sends the decision
message the workflow waits for; the process running (or later resuming) the run goes on.
"""

from __future__ import annotations

from typing import Any

from dbos import DBOSClient

from llmport.dbos.agent import (
    APPROVAL_EVENT,
    DEFAULT_DATABASE,
    PendingApproval,
    approval_topic,
)

__all__ = ["approve", "pending_approval"]


def _client(system_database_url: str | None) -> Any:
    return DBOSClient(system_database_url=system_database_url or DEFAULT_DATABASE)


def pending_approval(
    run_id: str, *, system_database_url: str | None = None
) -> PendingApproval | None:
    """The call ``run_id`` waits on, or None."""
    client = _client(system_database_url)
    try:
        value = client.get_event(run_id, APPROVAL_EVENT, timeout_seconds=0)
    finally:
        client.destroy()
    return None if value is None else PendingApproval.from_dict(value)


def approve(
    pending: PendingApproval, approved: bool = True, *, system_database_url: str | None = None
) -> None:
    """Send the decision on ``pending`` (``approved=False`` denies the call)."""
    client = _client(system_database_url)
    try:
        client.send(
            pending.run_id,
            {"approved": approved},
            topic=approval_topic(pending.turn, pending.call.id),
        )
    finally:
        client.destroy()
