"""The trainer side of training, on the editor's blueprint under /editor/training/ (accounts with the role trainer,
and admins): who completed which course, who kept listening, which questions go wrong, with Excel and CSV exports;
learners, their QR cards and completion certificates. The role rules themselves are the editor's guard's (auth.py)."""

from . import communities, views  # noqa: F401  (attach the routes to the editor's blueprint)
