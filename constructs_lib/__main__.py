"""``python -m constructs_lib report``: the capacity report of an app's agents."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from constructs_lib.report.capacity import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
