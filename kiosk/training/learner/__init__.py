"""The learner side of training: learners and their records. Sign-in by name + 乡镇/街道 + 社区 and PIN or a QR
card, the sentences each heard per course (credited against a listening clock), quiz answers checked on the hub,
completed courses, and the plain queries a trainer's pages build on (reports.py)."""
