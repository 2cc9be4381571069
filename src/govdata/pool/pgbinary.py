"""PostgreSQL's binary COPY format, written from Arrow columns without a Python loop per row.

In text COPY the server parses every date, timestamp and number of a load again: a third of its time on
pool_load's million rows. In binary it takes the values as they are. Each field becomes one Arrow binary value
(its length as a big-endian int32, then its bytes; -1 and nothing for NULL), and one element-wise join per slice
gives the rows, whose data buffer is what COPY expects. The values are the validator's canonical text, so a
binary load stores exactly what a text COPY of the same rows would.
"""

from __future__ import annotations

import struct
from datetime import datetime
from decimal import Decimal, localcontext

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govdata.catalog.models import DataType
from govdata.pool.identifiers import byte_offsets

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # header, no flags, no extension area
TRAILER = b"\xff\xff"

_NULL = pa.scalar(b"\xff\xff\xff\xff", pa.binary())
_EMPTY = pa.scalar(b"", pa.binary())
_PG_EPOCH_DAYS = 10_957  # 1970-01-01 → 2000-01-01
_PG_EPOCH_US = 946_684_800_000_000
_NUMERIC_NEG = 0x4000
_DECIMAL_SCALE = 10  # pool decimals are NUMERIC(38, 10) (tables.sql_type)
_FAST_INT_DIGITS = 8  # |value| < 10**8 keeps value·10**10 within int64

Field = pa.Array | pa.Scalar  # one COPY field per row: a binary array, or a scalar repeated on every row
Parts = list[Field]  # the pieces joined, in order, into one field


def _binary_of(n: int, width: int, data: np.ndarray) -> pa.Array:
    offsets = np.arange(0, n * width + 1, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _fixed(payload: np.ndarray, present: np.ndarray) -> Parts:
    """Fields of one fixed width: `payload` holds each row's big-endian bytes (any value where absent)."""
    n = len(present)
    width = payload.dtype.itemsize
    out = np.empty((n, 4 + width), dtype=np.uint8)
    out[:, :4] = np.frombuffer(struct.pack(">i", width), dtype=np.uint8)
    out[:, 4:] = np.ascontiguousarray(payload).view(np.uint8).reshape(n, width)
    fields = _binary_of(n, 4 + width, out)
    return [fields if present.all() else pc.if_else(pa.array(present), fields, _NULL)]


def _present(values: pa.Array) -> np.ndarray:
    if not values.null_count:
        return np.ones(len(values), dtype=bool)
    return np.asarray(values.is_valid())


def text(values: pa.Array) -> Parts:
    values = values.cast(pa.binary())
    present = _present(values)
    lengths = np.diff(byte_offsets(values))
    if not present.all():
        lengths = np.where(present, lengths, -1)
        values = pc.fill_null(values, _EMPTY)
    prefix = _binary_of(len(values), 4, lengths.astype(">i4"))
    return [prefix, values]


def integer(values: pa.Array) -> Parts:
    numbers = pc.fill_null(pc.cast(values, pa.int64()), 0).to_numpy()
    return _fixed(numbers.astype(">i8"), _present(values))


def int64s(numbers: np.ndarray) -> Parts:
    return _fixed(numbers.astype(">i8"), np.ones(len(numbers), dtype=bool))


def date(values: pa.Array) -> Parts:
    days = pc.fill_null(pc.cast(pc.cast(values, pa.date32()), pa.int32()), 0).to_numpy()
    return _fixed((days - _PG_EPOCH_DAYS).astype(">i4"), _present(values))


def timestamp(values: pa.Array) -> Parts:
    micros = pc.fill_null(pc.cast(pc.cast(values, pa.timestamp("us")), pa.int64()), 0).to_numpy()
    return _fixed((micros - _PG_EPOCH_US).astype(">i8"), _present(values))


def boolean(values: pa.Array) -> Parts:
    flags = pc.fill_null(pc.equal(values, "true"), False).to_numpy(zero_copy_only=False)
    return _fixed(flags.astype(np.uint8), _present(values))


def constant_int64(value: int) -> Parts:
    return [pa.scalar(struct.pack(">iq", 8, value), pa.binary())]


def constant_timestamptz(value: datetime) -> Parts:
    """A timestamptz is microseconds since 2000-01-01 UTC; `value` must carry its zone."""
    micros = round(value.timestamp() * 1_000_000) - _PG_EPOCH_US
    return [pa.scalar(struct.pack(">iq", 8, micros), pa.binary())]


def decimal(values: pa.Array) -> Parts:
    """NUMERIC in base-10000 digits. Values under 10**8 with at most ten decimals (nearly all) are encoded with
    numpy as six digits (three whole, three fractional) — the server drops the zero ones; the rest one by one."""
    present = _present(values)
    n = len(values)
    lengths = np.diff(byte_offsets(values))
    dots = pc.fill_null(pc.find_substring(values, "."), -1).to_numpy()
    signs = pc.fill_null(pc.starts_with(values, "-"), False).to_numpy(zero_copy_only=False).astype(np.int32)
    whole = np.where(dots >= 0, dots, lengths) - signs
    fraction = np.where(dots >= 0, lengths - dots - 1, 0)
    fast = present & (whole <= _FAST_INT_DIGITS) & (fraction <= _DECIMAL_SCALE)
    cast = pc.cast(pc.if_else(pa.array(fast), values, pa.scalar(None, pa.string())), pa.decimal128(38, 10))
    if len(cast):
        low = np.frombuffer(cast.buffers()[1], dtype="<i8", count=2 * n, offset=cast.offset * 16)[::2]
    else:
        low = np.zeros(0, dtype=np.int64)
    scaled = np.where(fast, low, 0)
    negative = scaled < 0
    magnitude = np.abs(scaled)
    units, fractional = np.divmod(magnitude, 10**_DECIMAL_SCALE)
    fractional = fractional * 100  # twelve places: three base-10000 digits
    record = np.empty(
        n, dtype=[(name, ">i2") for name in ("nd", "w", "sign", "ds", "d0", "d1", "d2", "d3", "d4", "d5")]
    )
    record["nd"], record["w"], record["ds"] = 6, 2, _DECIMAL_SCALE
    record["sign"] = np.where(negative, _NUMERIC_NEG, 0)
    record["d0"], record["d1"], record["d2"] = units // 10**8, (units // 10**4) % 10**4, units % 10**4
    record["d3"] = fractional // 10**8
    record["d4"] = (fractional // 10**4) % 10**4
    record["d5"] = fractional % 10**4
    parts = _fixed(record, fast)
    slow = present & ~fast
    if slow.any():
        indices = np.flatnonzero(slow)
        encoded = pa.array([numeric_field(values[int(i)].as_py()) for i in indices], pa.binary())
        mask = np.zeros(n, dtype=bool)
        mask[indices] = True
        parts = [pc.replace_with_mask(parts[0], pa.array(mask), encoded)]
    return parts


def numeric_field(value: str) -> bytes:
    """One NUMERIC field from plain decimal text, exactly; the column's scale rounds it on the server."""
    with localcontext() as context:
        context.prec = len(value) + 8
        sign, digits, exponent = Decimal(value).as_tuple()
    assert isinstance(exponent, int)
    whole = int("".join(map(str, digits)) or "0")
    scale = max(0, -exponent)
    places = -(-scale // 4) * 4  # fractional decimal places, a multiple of four
    aligned = whole * 10 ** (places - scale) if exponent < 0 else whole * 10**exponent
    groups: list[int] = []
    while aligned:
        aligned, group = divmod(aligned, 10_000)
        groups.append(group)
    groups.reverse()
    weight = len(groups) - 1 - places // 4 if groups else 0
    head = struct.pack(">hhHH", len(groups), weight, _NUMERIC_NEG if sign else 0, min(scale, 0x3FFF))
    payload = head + struct.pack(f">{len(groups)}H", *groups)
    return struct.pack(">i", len(payload)) + payload


ENCODERS = {
    DataType.STRING: text,
    DataType.INTEGER: integer,
    DataType.DECIMAL: decimal,
    DataType.DATE: date,
    DataType.DATETIME: timestamp,
    DataType.BOOLEAN: boolean,
}


def rows(fields: list[Parts]) -> memoryview:
    """The COPY rows of one slice: the field count, then each field, row after row."""
    pieces = [pa.scalar(struct.pack(">h", len(fields)), pa.binary())]
    for parts in fields:
        pieces.extend(parts)
    joined = pc.binary_join_element_wise(*pieces, _EMPTY)
    if isinstance(joined, pa.ChunkedArray):
        joined = joined.combine_chunks()
    offsets = byte_offsets(joined)
    return memoryview(joined.buffers()[2])[int(offsets[0]) : int(offsets[-1])]
