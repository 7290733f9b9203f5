"""Batch runs over Ray async actors (the extra ``ray``): ``run_batch`` and ``RayExecutor``.

Importing this package does not import Ray; starting a batch does.
"""

from llmport.ray.batch import RayExecutor, run_batch

__all__ = ["RayExecutor", "run_batch"]
