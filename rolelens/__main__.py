"""``python -m rolelens``: the same as the ``rolelens`` command."""

import sys

from rolelens.cli import main

sys.exit(main())
