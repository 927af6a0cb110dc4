"""`python -m server ...`: see `server.cli` (serve, migrate, and the commands other modules register)."""

import sys

from server.cli import main

sys.exit(main())
