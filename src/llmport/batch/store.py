"""A batch's output directory: ``results.jsonl`` and one transcript per run.

Each finished run writes its transcript (``transcripts/<id>.json``, replaced atomically) and
then appends its line to ``results.jsonl`` and flushes it, so a line means the run is done and
its transcript is there. Resuming reads the ids already done; a last line cut by a crash is
dropped (and cut off the file) so that the run is simply done again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import TracebackType
from typing import IO, Final

from llmport.batch.records import RunRecord, check_id
from llmport.domain.messages import messages_to_json

__all__ = ["RESULTS", "TRANSCRIPTS", "ResultStore", "read_results"]

RESULTS: Final = "results.jsonl"
TRANSCRIPTS: Final = "transcripts"


def read_results(out_dir: str | os.PathLike[str]) -> dict[str, RunRecord]:
    """The records in ``out_dir/results.jsonl`` by id (the last one wins; a cut line is not
    a record)."""
    path = Path(out_dir) / RESULTS
    found: dict[str, RunRecord] = {}
    if not path.exists():
        return found
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.endswith("\n"):
                break  # cut by a crash mid-write
            try:
                record = RunRecord.from_dict(json.loads(line))
            except (ValueError, TypeError):
                continue
            found[record.id] = record
    return found


def _drop_cut_line(path: Path) -> None:
    """Cut an unfinished last line off ``path`` so that appending starts on a fresh line."""
    with path.open("rb+") as file:
        data = file.read()
        if not data or data.endswith(b"\n"):
            return
        file.truncate(data.rfind(b"\n") + 1)


class ResultStore:
    """Writes the records of one batch into ``out_dir`` (``with ResultStore(...) as store``)."""

    def __init__(self, out_dir: str | os.PathLike[str], *, resume: bool = True) -> None:
        self.out_dir = Path(out_dir)
        self.transcripts = self.out_dir / TRANSCRIPTS
        self.transcripts.mkdir(parents=True, exist_ok=True)
        self.results = self.out_dir / RESULTS
        self.done: dict[str, RunRecord] = read_results(self.out_dir) if resume else {}
        if self.results.exists() and resume:
            _drop_cut_line(self.results)
        self._file: IO[str] = self.results.open("a" if resume else "w", encoding="utf-8")

    def transcript_path(self, run_id: str) -> Path:
        return self.transcripts / f"{check_id(run_id)}.json"

    def write(self, record: RunRecord) -> None:
        """Keep ``record``: its transcript first, then its line (flushed)."""
        target = self.transcript_path(record.id)
        temporary = target.with_suffix(".json.tmp")
        temporary.write_text(
            f'{{"id": {json.dumps(record.id)}, "status": "{record.status}", '
            f'"messages": {messages_to_json(record.transcript)}}}\n',
            encoding="utf-8",
        )
        os.replace(temporary, target)
        self._file.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
        self._file.flush()
        self.done[record.id] = record

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
