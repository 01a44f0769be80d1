"""``python -m tsheads``: the same as the ``tsheads`` command."""

import sys

from .cli import main

sys.exit(main())
