"""``python -m constructs_lib report``: the capacity report of an app's agents."""

from __future__ import annotations

import sys

from constructs_lib.report.capacity import main

if __name__ == "__main__":
    sys.exit(main())
