"""Runners for the peers (huey, rq, task-spooler); they run in the peers' own environment."""
