"""Hubs speak to the centre in signed JSON messages: each hub has its own Ed25519 key (keys.py), the centre enrols
each hub's name and public key (names.py, enrolment.py), and every message carries the hub's signature over what it
says, checked before a route believes a word of it (messages.py)."""
