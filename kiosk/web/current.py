"""The app's long-lived parts as the request being served sees them: its services, its settings, its clock."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from ..services import Services
    from ..settings import Settings


def services() -> Services:
    """The index, the store and the voice, made once with the app (create_app)."""
    return current_app.extensions["kiosk"]


def settings() -> Settings:
    return current_app.config["SETTINGS"]


def now() -> float:
    """The hub's clock; tests give the app another one (config LEARNING_CLOCK) instead of sleeping."""
    return current_app.config.get("LEARNING_CLOCK", time.time)()
