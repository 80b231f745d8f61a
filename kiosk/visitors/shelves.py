"""How the catalog is arranged on the hub's shelves: our three shelves first, then the law library."""

from __future__ import annotations

from collections.abc import Iterable

from indexer.store import CatalogEntry

SHELF_ORDER = ("有声党建", "有声物业", "政策法规")
VOLUME_ORDER = (
    "物业管理培训总纲",
    "物业管理党建篇",
    "物业管理篇",
    "物业管理基层处理篇",
    "物业管理案例汇编",
    "物业管理相关知识问答篇",
    "实训基地",  # the practical course's briefings, heard after the theory volumes
    "人工智能应用",
    "家政服务",
    "社区商务",
    "养老服务",
)


def shelves(catalog: list[CatalogEntry]) -> list[dict]:
    """[{name, count, volumes: [{name, docs: [...]}]}] with the hub's shelves first."""
    grouped: dict[str, dict[str, list[dict]]] = {}
    for entry in catalog:
        grouped.setdefault(entry.collection or "其他", {}).setdefault(entry.volume, []).append(
            {"id": entry.id, "title": entry.title, "status": entry.status, "chars": entry.chars, "order": entry.order}
        )
    result: list[dict] = []
    for name in sorted(grouped, key=_rank(SHELF_ORDER)):
        volumes = grouped[name]
        result.append(
            {
                "name": name,
                "count": sum(len(docs) for docs in volumes.values()),
                "volumes": [
                    {"name": v, "docs": sorted(volumes[v], key=lambda d: (d["order"], d["title"]))}
                    for v in sorted(volumes, key=_rank(VOLUME_ORDER))
                ],
            }
        )
    return result


def shelf_names(collections: Iterable[str]) -> list[str]:
    """The hub's shelves in their usual order, then any others by name (for the editor's choices and statistics)."""
    return sorted(set(collections) | set(SHELF_ORDER), key=_rank(SHELF_ORDER))


def volume_names(volumes: Iterable[str]) -> list[str]:
    """The training volumes in reading order, then any others by name (for the editor's choices)."""
    return sorted({volume for volume in volumes if volume} | set(VOLUME_ORDER), key=_rank(VOLUME_ORDER))


def _rank(order: tuple[str, ...]):
    return lambda name: (order.index(name) if name in order else len(order), name)
