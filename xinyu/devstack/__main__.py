"""python -m xinyu.devstack …: scripts/prefect-server."""

import sys

from xinyu.devstack.cli import main

sys.exit(main())
