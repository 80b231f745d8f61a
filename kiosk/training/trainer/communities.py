"""The trainer's page of the hub's 社区 list (/editor/training/communities): add, rename, remove (its learners moved
to another 社区 first). Learners sign in by choosing from this list, so it is the trainers' and admins' to keep."""

from __future__ import annotations

import logging

from flask import flash, g, redirect, render_template, request, url_for

from ...editor import bp
from ...editor.guard import trainers_only
from ...places import PlaceError, add_community, communities, remove_community, rename_community
from ...web import services
from ..learner.learners import community_size
from ..learner.session import learning_db

log = logging.getLogger("kiosk.training")


def _page(error: str | None = None, status: int = 200):
    places = communities(services().data.root)
    with learning_db() as db:
        sizes = {place.name: community_size(db, place.name) for place in places}
    return render_template("editor/training_communities.html", places=places, sizes=sizes, error=error), status


@bp.get("/training/communities")
@trainers_only
def training_communities():
    """The hub's 社区, by 乡镇/街道, with how many learners each has, and the forms that change the list."""
    return _page()


@bp.post("/training/communities")
@trainers_only
def training_add_community():
    """Add a 社区 of a 乡镇/街道 to the list."""
    try:
        added = add_community(services().data.root, request.form.get("town", ""), request.form.get("name", ""))
    except PlaceError as exc:
        return _page(f"没有添加：{exc}", 400)
    log.info("%s 添加了社区 %s（%s）", g.editor.name, added.name, added.town)
    flash(f"已添加社区「{added.name}」（{added.town}）。", "ok")
    return redirect(url_for("editor.training_communities"))


@bp.post("/training/communities/rename")
@trainers_only
def training_rename_community():
    """Rename a 社区 (or move it to another 乡镇/街道); its learners follow."""
    name = request.form.get("name", "")
    try:
        renamed = rename_community(
            services().data.root, name, request.form.get("new_name", ""), request.form.get("new_town") or None
        )
    except PlaceError as exc:
        return _page(f"没有改名：{exc}", 400)
    log.info("%s 把社区 %s 改为 %s（%s）", g.editor.name, name, renamed.name, renamed.town)
    flash(f"已把「{name}」改为「{renamed.name}」（{renamed.town}），这个社区的学员照常登录。", "ok")
    return redirect(url_for("editor.training_communities"))


@bp.post("/training/communities/remove")
@trainers_only
def training_remove_community():
    """Take a 社区 off the list; while learners belong to it, only with another 社区 to move them to."""
    name, move_to = request.form.get("name", ""), request.form.get("move_to") or None
    try:
        moved = remove_community(services().data.root, name, move_to)
    except PlaceError as exc:
        return _page(f"没有删除：{exc}", 400)
    log.info("%s 删除了社区 %s，%d 位学员转到 %s", g.editor.name, name, moved, move_to)
    flash(f"已删除社区「{name}」" + (f"，{moved} 位学员转到了「{move_to}」。" if moved else "。"), "ok")
    return redirect(url_for("editor.training_communities"))
