"""The hub's list of 社区, each with its 乡镇/街道: the only places a learner can sign in from, so one person does not
become two learners by typing 幸福里 once and 幸福里社区 the next time. Kept in editor.db; trainers and admins edit it
under /editor/training/communities, the installer with `kiosk communities`, and everyone reads /api/communities."""

from .communities import (
    Community,
    PlaceError,
    add_community,
    communities,
    find_community,
    listed_community,
    remove_community,
    rename_community,
)

__all__ = [
    "Community",
    "PlaceError",
    "add_community",
    "communities",
    "find_community",
    "listed_community",
    "remove_community",
    "rename_community",
]
