"""Keeping a hub running: backup and restore, and the doctor's checks (also behind /healthz)."""
