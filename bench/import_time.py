"""How long ``import llmport`` takes in a fresh interpreter (target: under 100 ms).

A report, not a test: shared machines are noisy, so this prints the median and the spread of
several fresh-process imports, next to the bare interpreter start-up, and exits 0 either way.

    python bench/import_time.py [runs]
"""

from __future__ import annotations

import statistics
import subprocess
import sys

PROBE = (
    "import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
)


def measure(module: str, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(module=module)],
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(out.stdout.strip()))
    return samples


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    print(f"{'import':<28}{'median ms':>10}{'min ms':>9}{'max ms':>9}")
    for module in ("llmport", "llmport.agent.loop", "httpx", "openai", "anthropic"):
        try:
            samples = measure(module, runs)
        except subprocess.CalledProcessError:
            print(f"{module:<28}{'not installed':>28}")
            continue
        print(
            f"{module:<28}{statistics.median(samples):>10.1f}"
            f"{min(samples):>9.1f}{max(samples):>9.1f}"
        )


if __name__ == "__main__":
    main()
