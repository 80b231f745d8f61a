"""Build side of the listening kiosk: load texts, index them for search, render them to speech."""
