"""The command line: the composition root, the only place that picks adapters from user input."""
