"""Open datasets' files kept on disk between downloads, so a download is sent at disk speed (OPEN-7, issue 5).

Only the body of a CSV or JSON download is kept: the rows, de-identified as the listing records. The head (and
JSON's tail) carries the portal's address and the retrieval date, so it is written for each request. A body is
written while it is first streamed to someone (or by the `open_files` job) and sent from the file afterwards.

A kept body is named by a fingerprint of everything that decides its bytes: the listing, the opened items with
their treatments and types, the masking key, the pool's table and schema version and its history of landed
batches (every load and every correction adds one), and the date where a rule depends on it (age bands). Any
change gives a new name, so a stale body is never sent; bodies under other names are removed when a new one is
kept. A body is kept only when the fingerprint is the same after its last row was read as before its first:
a batch that landed during the read would otherwise put two states of the pool in one file. A file that cannot
be written (disk full, no permission) is given up silently; the download itself goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select

from govdata.authz import Actor
from govdata.config import get_settings
from govdata.context import Ctx
from govdata.opendata import data
from govdata.opendata.models import ListingState, OpenListing, OpenType
from govdata.pool.models import Batch, BatchStatus, Pool
from govdata.sharing.masking import MaskRule

log = logging.getLogger(__name__)

KEPT = ("csv", "json")  # XLSX's citation sheet sits inside the zip: it is streamed each time
LAYOUT = 2  # bump when the bytes a body holds change for the same data (then every kept file is renamed)
BLOCK = 1 << 20
UNUSED_DAYS = 30  # a kept file nobody downloaded for this long goes, unless the job keeps it for everyone


def fingerprint(ctx: Ctx, listing: OpenListing, cols: data.Columns, fmt: str) -> str | None:
    """`<shape>-<state>`: the shape is what is sent (format, items, treatments, types, key), the state what it is
    sent from (the pool's table, schema and landed batches; the date where an age band needs it). None when the
    listing has no pool (nothing to keep)."""
    pool = ctx.session.execute(
        select(Pool).where(Pool.resource_id == listing.resource_id)
    ).scalar_one_or_none()
    if pool is None:
        return None
    landed, last, finished = ctx.session.execute(
        select(func.count(), func.max(Batch.id), func.max(Batch.finished_at)).where(
            Batch.pool_id == pool.id, Batch.status == BatchStatus.SUCCEEDED
        )
    ).one()
    dated = MaskRule.AGE_BAND in cols.rules.values()
    shape = [
        LAYOUT, fmt, listing.id, cols.fields, [str(cols.rules[f]) for f in cols.fields],
        [cols.types[f] for f in cols.fields], cols.key_digest,
    ]  # fmt: skip
    state = [
        pool.id, pool.table_name, pool.created_at.isoformat(), pool.version_id, landed, last,
        finished.isoformat() if finished else None, ctx.clock.today().isoformat() if dated else None,
    ]  # fmt: skip
    return f"{_digest(shape, 12)}-{_digest(state, 20)}"


def _digest(parts: list[Any], size: int) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:size]


@dataclass(frozen=True)
class Kept:
    path: Path
    rows: int


class FileStore:
    """A folder per listing holding `<fingerprint>.<rows>.<format>`; a file appears whole (rename) or not at all."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, listing_id: int) -> Path:
        return self.root / f"listing-{listing_id}"

    def find(self, listing_id: int, key: str, fmt: str) -> Kept | None:
        for path in self.folder(listing_id).glob(f"{key}.*.{fmt}"):
            rows = path.name.split(".")[1]
            if rows.isdigit():
                return Kept(path, int(rows))
        return None

    def send(self, kept: Kept) -> Iterator[tuple[bytes, int]]:
        with contextlib.suppress(OSError):
            os.utime(kept.path)  # its last use, for forget_unused
        with kept.path.open("rb") as src:
            while block := src.read(BLOCK):
                yield block, 0
        yield b"", kept.rows

    def keep(
        self,
        listing_id: int,
        key: str,
        fmt: str,
        body: Iterator[tuple[bytes, int]],
        recheck: Callable[[], str | None],
    ) -> Iterator[tuple[bytes, int]]:
        """Pass `body` on while writing it to a temporary file; keep that file if the whole body went out and
        `recheck()` still gives `key`."""
        folder = self.folder(listing_id)
        part = folder / f".{key}.{uuid.uuid4().hex}.part"
        out: IO[bytes] | None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            out = part.open("wb")
        except OSError as exc:
            log.warning("open data file not kept (%s): %s", part, exc)
            out = None
        rows, whole = 0, False
        try:
            for chunk, count in body:
                rows += count
                if out is not None and chunk:
                    try:
                        out.write(chunk)
                    except OSError as exc:
                        log.warning("open data file not kept (%s): %s", part, exc)
                        out.close()
                        out = None
                        part.unlink(missing_ok=True)
                yield chunk, count
            whole = True
        finally:
            if out is not None:
                out.close()
                if not whole:
                    part.unlink(missing_ok=True)
        if out is None:
            return
        if recheck() != key:  # a batch landed while the rows were read
            part.unlink(missing_ok=True)
            return
        try:
            os.replace(part, folder / f"{key}.{rows}.{fmt}")
        except OSError as exc:
            log.warning("open data file not kept (%s): %s", part, exc)
            part.unlink(missing_ok=True)
            return
        self._prune(folder, key, fmt)

    def _prune(self, folder: Path, key: str, fmt: str) -> None:
        """Bodies of the same shape (format and items) under another state are stale: the data changed. Other
        shapes stay (an applicant's approved items give theirs). Temporary files a killed process left behind
        go after a day."""
        shape = key.split("-", 1)[0]
        stale_parts = time.time() - 86_400
        for path in folder.iterdir():
            name = path.name
            if name.startswith("."):
                if name.endswith(".part") and path.stat().st_mtime < stale_parts:
                    path.unlink(missing_ok=True)
            elif name.startswith(f"{shape}-") and name.endswith(f".{fmt}") and not name.startswith(f"{key}."):
                path.unlink(missing_ok=True)

    def forget_unused(self, listing_id: int, keep: set[str], before: float) -> int:
        """Files not in `keep` and not downloaded since `before` (a timestamp): an applicant's item subset, or a
        conditional dataset's file, that nobody asked for again. Returns how many went."""
        gone = 0
        for path in self.folder(listing_id).glob("*.*.*"):
            if path.name.startswith(".") or path.name.split(".", 1)[0] in keep:
                continue
            try:
                if path.stat().st_mtime < before:
                    path.unlink()
                    gone += 1
            except OSError:
                continue  # sent or removed meanwhile
        return gone

    def drop(self, listing_id: int) -> None:
        shutil.rmtree(self.folder(listing_id), ignore_errors=True)

    def listing_ids(self) -> list[int]:
        if not self.root.is_dir():
            return []
        names = (
            p.name.removeprefix("listing-") for p in self.root.iterdir() if p.name.startswith("listing-")
        )
        return [int(n) for n in names if n.isdigit()]


def store_from(directory: str) -> FileStore | None:
    """`GOVDATA_OPEN_FILES_DIR`; empty turns keeping files off."""
    return FileStore(Path(directory).resolve()) if directory else None


def payload(
    ctx: Ctx,
    store: FileStore | None,
    listing: OpenListing,
    cols: data.Columns,
    cite: data.Citation,
    fmt: str,
) -> data.Payload:
    """The download of a CSV or JSON file: from the kept file when its fingerprint matches, else generated (by
    PostgreSQL's COPY where the listing allows it) and kept on the way out."""
    head = data.csv_head(cols, cite) if fmt == "csv" else data.json_head(cols, cite)
    tail = b"" if fmt == "csv" else data.JSON_TAIL
    key = fingerprint(ctx, listing, cols, fmt) if store is not None else None
    if store is None or key is None:
        return data.Payload(head, _generated(ctx, listing, cols, fmt), tail)
    kept = store.find(listing.id, key, fmt)
    if kept is not None:
        return data.Payload(head, store.send(kept), tail)
    return data.Payload(head, _keep(ctx, store, listing, cols, fmt, key), tail)


def _generated(ctx: Ctx, listing: OpenListing, cols: data.Columns, fmt: str) -> Iterator[tuple[bytes, int]]:
    """The body read from the pool: PostgreSQL masks and writes the CSV itself where it can."""
    if fmt == "csv":
        sql = data.copy_sql(ctx, listing, cols)
        if sql is not None:
            return data.copy_body(ctx, sql)
        return data.csv_body(data.batches(ctx, listing, cols))
    return data.json_records(cols, data.batches(ctx, listing, cols))


def _keep(
    ctx: Ctx, store: FileStore, listing: OpenListing, cols: data.Columns, fmt: str, key: str
) -> Iterator[tuple[bytes, int]]:
    body = _generated(ctx, listing, cols, fmt)
    return store.keep(listing.id, key, fmt, body, lambda: fingerprint(ctx, listing, cols, fmt))


def refresh(ctx: Ctx, actor: Actor, store: FileStore | None = None) -> dict[str, int]:
    """The `open_files` job: a kept file for each format of each unconditionally open dataset whose data changed
    (so the first download after a load is fast too), no files for datasets no longer published, and none that
    nobody downloaded for UNUSED_DAYS (applicants' subsets, conditional datasets)."""
    store = store if store is not None else store_from(get_settings().open_files_dir)
    if store is None:
        return {}
    live = set(ctx.session.scalars(select(OpenListing.id).where(OpenListing.state == ListingState.PUBLISHED)))
    written = removed = 0
    for listing_id in store.listing_ids():
        if listing_id not in live:
            store.drop(listing_id)
            removed += 1
    open_with_data = ctx.session.scalars(
        select(OpenListing)
        .join(Pool, Pool.resource_id == OpenListing.resource_id)
        .where(OpenListing.state == ListingState.PUBLISHED, OpenListing.open_type == OpenType.UNCONDITIONAL)
        .order_by(OpenListing.id)
    ).all()
    maintained: dict[int, set[str]] = {}
    for listing in open_with_data:
        cols = data.columns(ctx, listing)
        for fmt in (f for f in listing.formats.split(",") if f in KEPT):
            key = fingerprint(ctx, listing, cols, fmt)
            if key is None:
                continue
            maintained.setdefault(listing.id, set()).add(key)
            if store.find(listing.id, key, fmt) is not None:
                continue
            for _ in _keep(ctx, store, listing, cols, fmt, key):
                pass
            written += store.find(listing.id, key, fmt) is not None
    before = time.time() - UNUSED_DAYS * 86_400  # files carry the wall clock's times
    forgotten = sum(store.forget_unused(i, maintained.get(i, set()), before) for i in store.listing_ids())
    return {"written": written, "removed": removed, "forgotten": forgotten}
