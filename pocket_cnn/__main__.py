"""``python -m pocket_cnn``: the command line."""

import sys

from pocket_cnn.cli.main import main

sys.exit(main())
