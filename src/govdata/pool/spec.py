"""The shapes shared by readers, validation and loading: what a column must hold, what a rejected row says."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from govdata.catalog.models import DataType, IdentifierKind

# Data rows are numbered from 1 (the header line is not counted); the file line is row_number + 1 for CSV/XLSX.
ROW_NUMBER = "_row_number"
SUBJECT_ID = "_subject_id"


@dataclass(frozen=True)
class ColumnSpec:
    """One data item as a pool column: the rules every value must pass."""

    field_name: str  # the pool column and the machine header name
    label: str  # the item's Chinese name, also accepted as a header
    data_type: DataType
    length: int | None
    required: bool
    identifier_kind: IdentifierKind
    allowed_values: tuple[str, ...] | None = None  # an enumeration, when the item has one


@dataclass(frozen=True)
class Reject:
    row_number: int  # data row, 1-based; 0 for a problem with the whole file (e.g. a missing column)
    field: str | None  # the item's Chinese label, None when the whole row is at fault
    reason: str  # Chinese, says what is wrong and what is expected
    value: str | None = None  # the offending value, truncated to 200 characters


@dataclass
class CheckedBatch:
    """One validated slice of the input.

    `rows` holds only accepted rows: one string column per ColumnSpec.field_name in canonical text form
    (None for empty), plus ROW_NUMBER (int64) and SUBJECT_ID (string, the normalised identifier of the
    row's subject, or None when the pool has no subject identifier).
    """

    rows: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[Reject] = field(default_factory=list)
    read: int = 0  # rows read in this slice (accepted + rejected)
