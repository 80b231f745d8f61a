"""One library for many hubs: the centre publishes signed, content-addressed snapshots; hubs sync them.

The centre's side is ``snapshot`` (what the library is, by hash) and ``views`` (serving it); a hub's side is
``sync`` (fetching, checking and switching) over ``local`` (the hub's copy on disk). ``manifest`` and ``keys``
are shared by both.
"""
