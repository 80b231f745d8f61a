"""The 形象墙: a photo uploaded with a good work is kept only as a JPEG re-encoded from its pixels (upright, at most
1600 px, no EXIF or GPS), anything else is refused with a clear 400, only the centre and admins add and remove good
work, and the wall's JSON shows admitted companies' good work and never their contacts."""

from __future__ import annotations

import io
import tarfile

import pytest
from PIL import Image

from kiosk.market.database import Decision, MarketDB
from kiosk.market.photos import PHOTOS

from .test_backup import kiosk
from .test_market import app, as_role, clock, import_samples, root  # noqa: F401  (fixtures)

WORK = {
    "kind": "应急抢险",
    "title": "暴雨夜排涝",
    "line1": "连夜抽排地下车库积水",
    "line2": "保住业主车辆八十台",
    "day": "2026-07-21",
}
GPS_IFD = 0x8825


def jpeg_with_gps(size=(3000, 2000), orientation: int = 1) -> bytes:
    """A camera's JPEG: GPS position, maker and orientation in its EXIF."""
    image = Image.new("RGB", size, (200, 40, 40))
    image.paste((20, 20, 200), (0, 0, size[0] // 2, size[1]))  # left half blue: shows which way it was turned
    exif = Image.Exif()
    exif[0x010F] = "相机厂"  # Make
    exif[0x0112] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (30.0, 15.0, 20.0), 3: "E", 4: (120.0, 10.0, 5.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def add(session, company_id: int, body: bytes, name: str = "photo.jpg", **fields):
    return session.client.post(
        f"/editor/market/c/{company_id}/work",
        data={**WORK, **fields, "csrf_token": session.token(), "photo": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def company(root):  # noqa: F811
    found = import_samples(root)["示例备-001"]
    with MarketDB(root) as db:
        db.decide(found.id, Decision(True, "2026-12-01", "中心会议决定", "中心老王", 0.0))
    return found


def stored_photos(root) -> list:  # noqa: F811
    folder = root / PHOTOS
    return sorted(folder.glob("*.jpg")) if folder.is_dir() else []


def test_an_uploaded_photo_is_kept_as_a_smaller_jpeg_without_exif_or_gps(app, root, company):  # noqa: F811
    centre = as_role(app, "centre")
    response = add(centre, company.id, jpeg_with_gps(orientation=6))  # 6: the camera was turned a quarter
    assert response.status_code == 302
    [path] = stored_photos(root)
    with Image.open(path) as kept:
        assert kept.format == "JPEG"
        assert kept.size == (1067, 1600)  # turned upright first, then the longest side 1600
        assert not kept.getexif() and GPS_IFD not in kept.getexif()
        assert "exif" not in kept.info and "xmp" not in kept.info and "icc_profile" not in kept.info
    assert b"Exif" not in path.read_bytes() and "相机厂".encode() not in path.read_bytes()
    served = app.test_client().get(f"/market/photos/{path.stem}.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "immutable" in served.headers["Cache-Control"] and served.headers["X-Content-Type-Options"] == "nosniff"


def png(size=(40, 30), mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (0, 128, 0, 128) if mode == "RGBA" else (0, 128, 0)).save(out, "PNG")
    return out.getvalue()


def test_png_webp_and_a_phones_multi_picture_jpeg_are_taken_and_kept_as_jpeg(app, root, company):  # noqa: F811
    centre = as_role(app, "centre")
    webp, mpo = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (50, 50), "yellow").save(webp, "WEBP")
    Image.new("RGB", (50, 50), "red").save(mpo, "MPO", save_all=True, append_images=[Image.new("RGB", (50, 50))])
    assert add(centre, company.id, png(), "a.png").status_code == 302
    assert add(centre, company.id, webp.getvalue(), "b.webp").status_code == 302
    assert add(centre, company.id, mpo.getvalue(), "c.jpg").status_code == 302  # Pillow calls it MPO
    assert [Image.open(path).format for path in stored_photos(root)] == ["JPEG"] * 3


def bomb() -> bytes:
    """A small PNG that claims 20000×20000 pixels: 400 million to decode."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("body", "name", "said"),
    [
        (b"<script>alert(1)</script>", "photo.jpg", "不是一张能打开的照片"),  # named .jpg, is not one
        (b"GIF89a" + png()[8:], "photo.png", "不是一张能打开的照片"),
        (jpeg_with_gps()[:2000], "cut.jpg", "不是一张能打开的照片"),  # a JPEG cut short
        ("gif", "photo.gif", "只能上传 JPEG、PNG 或 WebP"),
        ("bmp", "photo.jpg", "只能上传 JPEG、PNG 或 WebP"),  # a real image of another type, named .jpg
        ("bomb", "bomb.png", "像素太多"),
        (b"\xff\xd8" + b"\0" * (10 * 1024 * 1024), "big.jpg", "不能超过 10 MB"),
    ],
)
def test_hostile_uploads_are_refused_with_a_clear_400_and_nothing_kept(app, root, company, body, name, said):  # noqa: F811
    if body in ("gif", "bmp"):
        out = io.BytesIO()
        Image.new("RGB", (20, 20)).save(out, body.upper())
        body = out.getvalue()
    elif body == "bomb":
        body = bomb()
    response = add(as_role(app, "centre"), company.id, body, name)
    assert response.status_code == 400
    assert said in response.get_data(as_text=True)
    assert stored_photos(root) == []
    with MarketDB(root) as db:
        assert db.works(company.id) == []


def test_a_bad_form_is_refused_before_any_photo_is_kept(app, root, company):  # noqa: F811
    response = add(as_role(app, "centre"), company.id, png(), "a.png", kind="别的", title="x")
    assert response.status_code == 400 and "请选择类别" in response.get_data(as_text=True)
    assert stored_photos(root) == []


@pytest.mark.parametrize("role", ["township", "community", "editor", "trainer"])
def test_only_the_centre_and_admins_add_or_remove_good_work(app, root, company, role):  # noqa: F811
    assert add(as_role(app, role), company.id, png(), "a.png").status_code == 403
    assert add(as_role(app, "admin"), company.id, png(), "a.png").status_code == 302
    with MarketDB(root) as db:
        [work] = db.works(company.id)
    url = f"/editor/market/c/{company.id}/work/{work.id}/remove"
    assert as_role(app, role).post(url).status_code == 403
    assert as_role(app, "centre").post(url).status_code == 302
    assert stored_photos(root) == []  # its photo went with it
    with MarketDB(root) as db:
        assert db.works(company.id) == []
        notes = [change.note for change in db.history(company.id)]
    assert notes[:2] == ["形象墙删除：暴雨夜排涝", "形象墙新增：暴雨夜排涝"]


def test_the_walls_json_shows_admitted_companies_good_work_and_never_contacts(app, root, company):  # noqa: F811
    client = app.test_client()
    assert client.get("/market/wall/data").get_json() == {"ok": True, "works": []}
    assert "形象墙还没有内容" in client.get("/market/wall").get_data(as_text=True)
    centre = as_role(app, "centre")
    assert add(centre, company.id, png(), "a.png").status_code == 302
    outside = import_samples(root)["示例备-002"]  # not in the market: its good work waits for admission
    assert add(centre, outside.id, png(), "a.png", title="不上墙").status_code == 302
    data = client.get("/market/wall/data")
    assert data.headers["Cache-Control"] == "no-store"
    [shown] = data.get_json()["works"]
    assert shown["company"] == company.name and shown["title"] == "暴雨夜排涝" and shown["date"] == "2026年7月21日"
    assert shown["lines"] == ["连夜抽排地下车库积水", "保住业主车辆八十台"]
    text = data.get_data(as_text=True) + client.get("/market/wall").get_data(as_text=True)
    assert company.phone and company.phone not in text and company.contact not in text
    assert "不上墙" not in text


def test_a_photo_that_is_not_one_of_ours_is_a_404(app):  # noqa: F811
    client = app.test_client()
    assert client.get("/market/photos/..%2F..%2Fmarket.db.jpg").status_code == 404
    assert client.get("/market/photos/" + "a" * 22 + ".jpg").status_code == 404


def test_the_photos_go_into_backups_and_come_back_with_a_restore(app, root, company, tmp_path):  # noqa: F811
    assert add(as_role(app, "centre"), company.id, png(), "a.png").status_code == 302
    [photo] = stored_photos(root)
    content = app.config["SETTINGS"].content[0]
    made = kiosk(["--data", str(root), "backup", str(tmp_path / "usb.tar.gz")], content)
    assert made.exit_code == 0, made.output
    with tarfile.open(tmp_path / "usb.tar.gz") as tar:
        assert f"data/{PHOTOS}/{photo.name}" in tar.getnames()
    restored = kiosk(["--data", str(tmp_path / "new"), "restore", str(tmp_path / "usb.tar.gz")], tmp_path / "texts")
    assert restored.exit_code == 0, restored.output
    assert (tmp_path / "new" / PHOTOS / photo.name).read_bytes() == photo.read_bytes()


def test_the_centre_edits_a_good_work_and_a_new_photo_replaces_the_old(app, root, company):  # noqa: F811
    centre = as_role(app, "centre")
    assert add(centre, company.id, png(), "a.png").status_code == 302
    with MarketDB(root) as db:
        [work] = db.works(company.id)
    url = f"/editor/market/c/{company.id}/work/{work.id}/edit"
    assert as_role(app, "community").get(url).status_code == 403
    assert "暴雨夜排涝" in centre.page(url)
    other = import_samples(root)["示例备-002"]  # a good work is reached only through its own company
    assert centre.get(f"/editor/market/c/{other.id}/work/{work.id}/edit").status_code == 404
    assert centre.post(f"/editor/market/c/{other.id}/work/{work.id}/remove").status_code == 404
    text_only = centre.client.post(
        url, data={**WORK, "title": "排涝", "csrf_token": centre.token()}, content_type="multipart/form-data"
    )
    assert text_only.status_code == 302
    assert [path.stem for path in stored_photos(root)] == [work.photo]  # no new photo chosen: the old one stays
    assert add(centre, company.id, b"not a photo", "x.jpg", title="x").status_code == 400
    with_photo = centre.client.post(
        url,
        data={**WORK, "csrf_token": centre.token(), "photo": (io.BytesIO(jpeg_with_gps((800, 600))), "b.jpg")},
        content_type="multipart/form-data",
    )
    assert with_photo.status_code == 302
    with MarketDB(root) as db:
        [edited] = db.works(company.id)
    assert edited.title == "暴雨夜排涝" and edited.photo != work.photo
    assert [path.stem for path in stored_photos(root)] == [edited.photo]
    assert as_role(app, "township").post(url, data=WORK).status_code == 403
