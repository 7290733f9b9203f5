"""``python -m llmport``: the same as the ``llmport`` command."""

import sys

from llmport.cli.main import main

sys.exit(main())
