"""Open datasets' kept files: the second download is sent from disk, and a kept file is never stale."""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from govdata.authz import system_actor
from govdata.config import Settings
from govdata.context import Ctx
from govdata.db import make_session_factory
from govdata.opendata import data, files, service
from govdata.opendata.models import OpenListing, Retrieval
from govdata.pool.amend import amend
from govdata.pool.models import Pool
from govdata.pool.service import load_file
from govdata.pool.tables import ROW_ID, pool_table
from govdata.sharing.masking import MaskRule
from tests.http.test_catalog_pages import login
from tests.opendata.fixtures import published_listing
from tests.sharing.fixtures import id_number
from tests.world import World


def kept_files(settings: Settings, listing_id: int) -> list[str]:
    folder = Path(settings.open_files_dir) / f"listing-{listing_id}"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def csv_rows(body: bytes) -> list[dict[str, str]]:
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("# 数据来源：")
    return list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))


def downloads(
    ctx: Ctx, world: World, tmp_path: Path
) -> tuple[OpenListing, files.FileStore, Callable[[data.Columns], bytes]]:
    """A published listing, a store of its own, and a CSV download of some of its columns through it."""
    listing = published_listing(ctx, world)
    store = files.FileStore(tmp_path / "kept")
    cite = data.citation(ctx, listing, "http://testserver/")

    def download(cols: data.Columns) -> bytes:
        return b"".join(chunk for chunk, _ in files.payload(ctx, store, listing, cols, cite, "csv").chunks())

    return listing, store, download


def load_more(ctx: Ctx, world: World, resource_id: int, tmp_path: Path) -> None:
    path = tmp_path / "more.csv"
    path.write_text(
        f"公民身份号码,姓名,出生日期,户籍地址\n{id_number('51322119850707004')},赵六,1985-07-07,四川省阿坝州茂县凤仪镇4号\n",
        encoding="utf-8",
    )
    load_file(ctx, world.actor("gongan_officer"), resource_id, path)
    ctx.session.commit()


def test_the_second_download_is_sent_from_the_kept_file(
    client: TestClient, ctx: Ctx, world: World, settings: Settings
) -> None:
    listing = published_listing(ctx, world)
    login(client, "citizen")
    first = client.get(f"/open/datasets/{listing.id}/download/csv").content
    names = kept_files(settings, listing.id)
    assert len(names) == 1 and names[0].endswith(".3.csv")  # fingerprint, rows, format
    kept = Path(settings.open_files_dir) / f"listing-{listing.id}" / names[0]
    assert first.endswith(kept.read_bytes()) and b"# " not in kept.read_bytes()  # the body only: no citation
    kept.write_bytes(kept.read_bytes().replace("张*".encode(), b"X*"))  # mark it to see it is used
    second = client.get(f"/open/datasets/{listing.id}/download/csv").content
    assert [r["name"] for r in csv_rows(second)] == ["X*", "李*", "王*"]
    assert second.splitlines()[0] == first.splitlines()[0]  # the citation is still written per request
    ctx.session.expire_all()
    assert ctx.session.scalars(select(Retrieval.rows)).all() == [3, 3]


def test_a_kept_json_body_makes_the_same_document(
    client: TestClient, ctx: Ctx, world: World, settings: Settings
) -> None:
    listing = published_listing(ctx, world)
    login(client, "citizen")
    first = json.loads(client.get(f"/open/datasets/{listing.id}/download/json").content)
    assert [n for n in kept_files(settings, listing.id) if n.endswith(".json")]
    second = json.loads(client.get(f"/open/datasets/{listing.id}/download/json").content)
    assert first == second and len(second["records"]) == 3 and second["retrieved"] == "2026-11-20"


def test_a_new_batch_or_a_correction_is_never_served_from_an_old_file(
    client: TestClient, ctx: Ctx, world: World, settings: Settings, tmp_path: Path
) -> None:
    listing = published_listing(ctx, world)
    login(client, "citizen")
    client.get(f"/open/datasets/{listing.id}/download/csv")
    before = kept_files(settings, listing.id)
    load_more(ctx, world, listing.resource_id, tmp_path)
    after_load = client.get(f"/open/datasets/{listing.id}/download/csv").content
    assert sorted(r["name"] for r in csv_rows(after_load)) == ["张*", "李*", "王*", "赵*"]
    now_kept = kept_files(settings, listing.id)
    assert len(now_kept) == 1 and now_kept != before and now_kept[0].endswith(".4.csv")  # the old one removed

    pool = ctx.session.execute(select(Pool).where(Pool.resource_id == listing.resource_id)).scalar_one()
    table = pool_table(pool)
    row_id = ctx.session.execute(select(table.c[ROW_ID]).where(table.c.name == "李四")).scalar_one()
    amend(ctx, world.actor("gongan_officer"), pool, row_id, field="address", value="四川省阿坝州理县杂谷脑镇9号",
          source="校核申请")  # fmt: skip
    ctx.session.commit()
    corrected = csv_rows(client.get(f"/open/datasets/{listing.id}/download/csv").content)
    assert next(r for r in corrected if r["name"] == "李*")["address"].startswith("四川省阿坝州理县")


def test_a_batch_landing_while_the_rows_are_read_keeps_nothing(
    ctx: Ctx, world: World, engine: Engine, tmp_path: Path
) -> None:
    listing = published_listing(ctx, world)
    store = files.FileStore(tmp_path / "kept")
    cols = data.columns(ctx, listing)
    cite = data.citation(ctx, listing, "http://testserver/")
    chunks = files.payload(ctx, store, listing, cols, cite, "csv").chunks()
    next(chunks), next(chunks)  # the head, then the rows read before the load
    other = Ctx(session=make_session_factory(engine)(), clock=ctx.clock)
    try:
        load_more(other, world, listing.resource_id, tmp_path)
    finally:
        other.session.close()
    list(chunks)
    assert store.listing_ids() == [listing.id] and not list(store.folder(listing.id).iterdir())


def test_a_download_broken_off_keeps_nothing(ctx: Ctx, world: World, tmp_path: Path) -> None:
    listing = published_listing(ctx, world)
    store = files.FileStore(tmp_path / "kept")
    cols = data.columns(ctx, listing)
    cite = data.citation(ctx, listing, "http://testserver/")
    chunks = files.payload(ctx, store, listing, cols, cite, "json").chunks()
    next(chunks), next(chunks)
    chunks.close()  # the client went away
    assert not list(store.folder(listing.id).iterdir())


def test_an_unwritable_folder_does_not_stop_the_download(
    client: TestClient, ctx: Ctx, world: World, settings: Settings
) -> None:
    Path(settings.open_files_dir).write_text("a file where the folder should be")
    listing = published_listing(ctx, world)
    login(client, "citizen")
    resp = client.get(f"/open/datasets/{listing.id}/download/csv")
    assert resp.status_code == 200 and len(csv_rows(resp.content)) == 3


def test_the_fingerprint_follows_the_items_the_key_and_the_date_of_age_bands(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world)
    cols = data.columns(ctx, listing)
    key = files.fingerprint(ctx, listing, cols, "csv")
    assert key is not None and key == files.fingerprint(ctx, listing, cols, "csv")
    assert key != files.fingerprint(ctx, listing, cols, "json")
    assert key != files.fingerprint(ctx, listing, cols.subset(["name"]), "csv")  # an applicant's items
    other_key = data.Columns(cols.fields, cols.labels, cols.masker, cols.rules, cols.types, "another key")
    assert key != files.fingerprint(ctx, listing, other_key, "csv")
    ctx.clock.advance(days=1)  # type: ignore[attr-defined]
    assert key == files.fingerprint(ctx, listing, cols, "csv")  # nothing depends on the date
    aged = data.Columns(cols.fields, cols.labels, cols.masker, {**cols.rules, "birth_date": MaskRule.AGE_BAND},
                        cols.types, cols.key_digest)  # fmt: skip
    today = files.fingerprint(ctx, listing, aged, "csv")
    ctx.clock.advance(days=1)  # type: ignore[attr-defined]
    assert today != files.fingerprint(ctx, listing, aged, "csv")  # ages move with the date


def test_the_job_writes_files_for_open_datasets_and_removes_those_of_unpublished_ones(
    ctx: Ctx, world: World, tmp_path: Path
) -> None:
    listing = published_listing(ctx, world)
    store = files.FileStore(tmp_path / "kept")
    assert files.refresh(ctx, system_actor(), store) == {
        "written": 2,
        "removed": 0,
        "forgotten": 0,
    }  # not xlsx
    names = sorted(p.name for p in store.folder(listing.id).iterdir())
    assert sorted(n.rsplit(".", 2)[1:] for n in names) == [["3", "csv"], ["3", "json"]]
    assert files.refresh(ctx, system_actor(), store) == {"written": 0, "removed": 0, "forgotten": 0}
    service.suspend_listing(ctx, world.actor("reviewer"), listing.id, "接到撤回申请，暂停开放")
    ctx.session.commit()
    assert files.refresh(ctx, system_actor(), store) == {"written": 0, "removed": 1, "forgotten": 0}
    assert store.listing_ids() == []
    assert ctx.session.get(OpenListing, listing.id) is not None


def test_an_applicants_items_keep_their_own_file_and_only_stale_ones_go(
    ctx: Ctx, world: World, tmp_path: Path
) -> None:
    listing, store, download = downloads(ctx, world, tmp_path)
    whole = data.columns(ctx, listing)
    some = whole.subset(["name", "birth_date"])  # what an approved application might allow
    download(whole), download(some)
    first = sorted(p.name for p in store.folder(listing.id).iterdir())
    assert len(first) == 2  # two shapes side by side
    load_more(ctx, world, listing.resource_id, tmp_path)
    assert b"1985" in download(whole)
    now = sorted(p.name for p in store.folder(listing.id).iterdir())
    whole_key = files.fingerprint(ctx, listing, whole, "csv")
    some_old = next(n for n in first if not n.startswith(whole_key.split("-")[0]))  # type: ignore[union-attr]
    assert some_old in now and len(now) == 2  # the subset's file waits for its own next download
    assert any(n.startswith(f"{whole_key}.4.") for n in now)


def test_files_nobody_downloads_for_a_month_go_unless_the_job_keeps_them(
    ctx: Ctx, world: World, tmp_path: Path
) -> None:
    listing, store, download = downloads(ctx, world, tmp_path)
    some = data.columns(ctx, listing).subset(["name"])  # an applicant's approved items
    files.refresh(ctx, system_actor(), store)
    download(some)
    folder = store.folder(listing.id)
    month_ago = time.time() - (files.UNUSED_DAYS + 1) * 86_400
    for path in folder.iterdir():
        os.utime(path, (month_ago, month_ago))
    subset = files.fingerprint(ctx, listing, some, "csv")
    download(some)  # downloaded again: its file counts as used now
    assert files.refresh(ctx, system_actor(), store)["forgotten"] == 0
    os.utime(next(folder.glob(f"{subset}.*")), (month_ago, month_ago))
    assert files.refresh(ctx, system_actor(), store) == {"written": 0, "removed": 0, "forgotten": 1}
    left = sorted(p.name.rsplit(".", 1)[1] for p in folder.iterdir())
    assert left == ["csv", "json"]  # the whole dataset's files stay however old: the job keeps them
    assert not list(folder.glob(f"{subset}.*"))
    assert len(csv_rows(download(some))) == 3  # generated again when asked for
