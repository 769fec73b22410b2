"""`python -m xinyu.cli`: the same command as `xinyu`."""

import sys

from xinyu.cli import main

sys.exit(main())
