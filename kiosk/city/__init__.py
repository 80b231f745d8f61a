"""The city's wall (大屏): community hubs send the centre their daily anonymous counts (report.py) as signed
messages (kiosk/hubs), the centre checks and files them (validate.py, database.py) and shows them with its own on
one full-screen page (views.py)."""

from .report import hub_report

__all__ = ["hub_report"]
