"""``python -m sdeparse``: the same as the ``sdeparse`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
