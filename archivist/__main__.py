"""``python -m archivist``: the same command line as the ``archivist`` script."""

from __future__ import annotations

import sys

from archivist.cli import main

if __name__ == "__main__":
    sys.exit(main())
