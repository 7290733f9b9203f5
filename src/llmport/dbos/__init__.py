"""Durable agent runs as DBOS workflows (the extra ``dbos``)."""
