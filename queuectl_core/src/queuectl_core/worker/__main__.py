"""``python -m queuectl_core.worker``: one worker on the configured backend."""

import sys

from queuectl_core.worker.loop import main

sys.exit(main())
