"""queuectl-dashboard: a web dashboard for queuectl (``queuectl dashboard``).

Live job counts per state and queue, workers, a filterable job list with attempt
history and output, cancelling jobs and managing the dead letter queue. Standard
library only: ``http.server`` and one self-contained HTML page.
"""

from __future__ import annotations

__version__ = "0.1.0"
