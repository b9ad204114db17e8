"""``python -m constructs_lib report``: the capacity report, or the architecture diagram, of a CDK app.

Only the sources that build the app in this process start the CDK; a report on a cloud assembly does not.
"""

from __future__ import annotations

import sys

from constructs_lib.report.cli import main

if __name__ == "__main__":
    sys.exit(main())
