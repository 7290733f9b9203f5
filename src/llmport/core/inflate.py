"""Decompressing a response body in bounded steps.

httpx inflates each network read in one call: 64 KiB of gzip on the wire can become 64 MiB in
memory at once (a "gzip bomb" of blank lines cost 582 MiB of RSS in the fault campaign). Here
the compressed bytes are read raw and inflated at most ``step`` bytes at a time, so memory stays
near the per-event limit whatever the compression ratio, and the stream's size limit counts
the decoded bytes as they come. gzip and deflate (zlib-wrapped or raw) are handled here; any
other encoding (br, zstd, several stacked) is left to the HTTP client's own decoder.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Final

from llmport.domain.errors import StreamProtocolError

__all__ = ["BOUNDED_ENCODINGS", "DEFAULT_STEP", "bounded_inflate"]

DEFAULT_STEP: Final = 64 * 1024
BOUNDED_ENCODINGS: Final = frozenset({"gzip", "x-gzip", "deflate"})


def _decompressor(encoding: str, first: bytes) -> zlib._Decompress:
    if encoding == "deflate" and first and (first[0] & 0x0F) != 8:
        return zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send it
    return zlib.decompressobj(32 + zlib.MAX_WBITS)  # gzip or zlib, detected from the header


async def bounded_inflate(
    raw: AsyncIterator[bytes], encoding: str, *, step: int = DEFAULT_STEP
) -> AsyncIterator[bytes]:
    """The decoded body of ``raw`` (compressed chunks), ``step`` bytes at most per item."""
    inflater: zlib._Decompress | None = None
    try:
        async for chunk in raw:
            if inflater is None:
                inflater = _decompressor(encoding, chunk)
            data = inflater.decompress(chunk, step)
            while True:
                if data:
                    yield data
                pending = inflater.unconsumed_tail
                if not pending:
                    break
                data = inflater.decompress(pending, step)
        if inflater is not None and (tail := inflater.flush()):
            yield tail  # what zlib still buffers: at most a window, not a bomb
    except zlib.error as error:
        raise StreamProtocolError(
            f"the {encoding} body could not be decompressed: {error}"
        ) from None
