"""Serving side of the listening kiosk: the Flask app factory and the `kiosk` command."""
