"""Batch runs over Ray async actors (the extra ``ray``); see ``llmport.ray.batch``."""
