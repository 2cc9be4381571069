"""What a CKAN client sends: its parameters (a JSON body, a form or the query string, read the way CKAN reads
them) and the part of Solr's query language in `q`, `fq` and `sort`, turned into SQL conditions.

CKAN passes `q`, `fq` and `sort` straight to Solr; we have no Solr, so this parses the subset that real clients
use (ckanext-harvest sends `organization:a OR organization:b`, `-groups:x`, `metadata_modified:[2026-… TO *]`,
`sort=id asc`) and answers anything else with CKAN's own "Search Query Error" instead of guessing. Terms written
side by side must all hold (CKAN's Solr schema sets the default operator to AND).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from sqlalchemy import ColumnElement, and_, asc, desc, false, literal, not_, or_, true
from sqlalchemy.sql import operators

from govdata.catalog import search as grams
from govdata.catalog.models import OpenType, UpdateCycle
from govdata.errors import InvalidInput
from govdata.opendata.models import OpenListing


class SearchQueryError(InvalidInput):
    """A `q`, `fq` or `sort` we cannot read: CKAN answers these as "Search Query Error" (HTTP 400)."""

    code = "search_query_error"
    http_status = 400


@dataclass(frozen=True)
class Lookups:
    """How CKAN names map to our rows (organization, group, dataset names and ids): given by the caller."""

    org_ids: Callable[[str], list[int]]  # an organization's name or id → organization ids
    domains: Callable[[str], list[str]]  # a group's name or id → domains
    listing_id: Callable[[str], int | None]  # a dataset's name or id → listing id
    licence_id: str


FIELDS = (
    "organization",
    "owner_org",
    "groups",
    "tags",
    "res_format",
    "license_id",
    "metadata_modified",
    "metadata_created",
    "name",
    "id",
    "title",
    "notes",
    "text",
    "open_type",
    "update_cycle",
    "capacity",
    "state",
    "dataset_type",
    "type",
    "site_id",
)
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<lp>\() | (?P<rp>\)) |
      (?P<range>[\[{][^\]}]*[\]}]) |
      (?P<quoted>"(?:[^"\\]|\\.)*") |
      (?P<word>(?:[^\s()"\\\[\]{}]|\\.)+)
    )""",
    re.VERBOSE,
)
_FIELD = re.compile(r"^([+-]?)([A-Za-z_][A-Za-z0-9_.]*):(.*)$", re.DOTALL)
_NOW = re.compile(r"^NOW(?:([+-])(\d+)(YEAR|MONTH|DAY|HOUR|MINUTE|SECOND)S?)?(?:/(DAY|HOUR))?$")
_UNITS = {"DAY": 86400, "HOUR": 3600, "MINUTE": 60, "SECOND": 1}


def has_fields(q: str) -> bool:
    """Whether a `q` is written in field syntax (`tags:人口`, `*:*`) rather than as plain words."""
    return q.strip() == "*:*" or any(_FIELD.match(w) for w in q.split())


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


class _Parser:
    def __init__(self, text: str, lookups: Lookups, now: dt.datetime) -> None:
        self.tokens = self._tokenise(text)
        self.pos = 0
        self.lookups = lookups
        self.now = now

    @staticmethod
    def _tokenise(text: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise SearchQueryError(f"无法解析查询条件（第 {pos + 1} 个字符附近）：{text}")
            kind = m.lastgroup or ""
            out.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        return out

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise SearchQueryError("查询条件不完整")
        self.pos += 1
        return token

    def parse(self) -> ColumnElement[bool]:
        if not self.tokens:
            return true()
        out = self.expr()
        if self.peek() is not None:
            raise SearchQueryError(f"无法解析查询条件：多余的“{self.peek()[1]}”")  # type: ignore[index]
        return out

    def expr(self) -> ColumnElement[bool]:
        parts = [self.conjunction()]
        while self.peek() in (("word", "OR"), ("word", "||")):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else or_(*parts)

    def conjunction(self) -> ColumnElement[bool]:
        parts = [self.clause()]
        while (token := self.peek()) is not None and token[0] != "rp" and token[1] not in ("OR", "||"):
            if token[1] in ("AND", "&&"):
                self.take()
            parts.append(self.clause())
        return parts[0] if len(parts) == 1 else and_(*parts)

    def clause(self) -> ColumnElement[bool]:
        kind, text = self.take()
        if kind == "lp":
            inner = self.expr()
            if self.take()[0] != "rp":
                raise SearchQueryError("查询条件的括号不配对")
            return inner
        if kind == "word" and text in ("NOT", "!"):
            return not_(self.clause())
        if kind == "word" and text in ("-", "+"):
            inner = self.clause()
            return not_(inner) if text == "-" else inner
        if kind == "word" and text[0] in "+-" and len(text) > 1 and not _FIELD.match(text):
            self.tokens.insert(self.pos, ("word", text[1:]))
            inner = self.clause()
            return not_(inner) if text[0] == "-" else inner
        if kind == "word" and text == "*:*":
            return true()
        if kind == "word" and (m := _FIELD.match(text)):
            sign, name, rest = m.groups()
            condition = self.field(name, rest)
            return not_(condition) if sign == "-" else condition
        if kind in ("word", "quoted"):
            return _text(_unescape(text.strip('"')))
        raise SearchQueryError(f"无法解析查询条件：“{text}”")

    def field(self, name: str, rest: str) -> ColumnElement[bool]:
        """`name:` followed by a value in the same word, or by a quoted value, range or group after it."""
        if rest:
            return self.value(name, "word", rest)
        kind, text = self.take()
        if kind == "lp":
            parts = [self.value_group(name)]
            while self.peek() is not None and self.peek() != ("rp", ")"):
                token = self.peek()
                if token in (("word", "OR"), ("word", "||")):
                    self.take()
                    parts.append(self.value_group(name))
                else:
                    break
            if self.take()[0] != "rp":
                raise SearchQueryError("查询条件的括号不配对")
            return parts[0] if len(parts) == 1 else or_(*parts)
        return self.value(name, kind, text)

    def value_group(self, name: str) -> ColumnElement[bool]:
        parts = []
        while (token := self.peek()) is not None and token[0] != "rp" and token[1] not in ("OR", "||"):
            kind, text = self.take()
            if text in ("AND", "&&"):
                continue
            if kind == "word" and text.startswith("-") and len(text) > 1:
                parts.append(not_(self.value(name, kind, text[1:])))
            else:
                parts.append(self.value(name, kind, text))
        if not parts:
            raise SearchQueryError(f"字段“{name}”缺少取值")
        return parts[0] if len(parts) == 1 else and_(*parts)

    def value(self, name: str, kind: str, text: str) -> ColumnElement[bool]:
        if name not in FIELDS:
            listed = "、".join(FIELDS[:10])
            raise SearchQueryError(f"不支持按字段“{name}”筛选（可用：{listed} 等）")
        if kind == "range":
            return self.range(name, text)
        value = _unescape(text[1:-1] if kind == "quoted" else text)
        if value == "*":
            return true()
        if kind != "quoted" and ("*" in value or "?" in value):
            raise SearchQueryError(f"暂不支持通配符查询：{name}:{value}")
        return self.equals(name, value)

    def equals(self, name: str, value: str) -> ColumnElement[bool]:
        look = self.lookups
        if name in ("organization", "owner_org"):
            return OpenListing.org_id.in_(look.org_ids(value))
        if name == "groups":
            return OpenListing.domain.in_(look.domains(value))
        if name == "tags":
            return _in_list(OpenListing.tags, value)
        if name == "res_format":
            return _in_list(OpenListing.formats, value.lower())
        if name == "license_id":
            return true() if value == look.licence_id else false()
        if name in ("name", "id"):
            found = look.listing_id(value)
            return OpenListing.id == found if found is not None else false()
        if name in ("metadata_modified", "metadata_created"):
            start = self.instant(value, upper=False)
            return and_(_column(name) >= start, _column(name) <= self.instant(value, upper=True))
        if name == "title":
            return OpenListing.title.contains(value, autoescape=True)
        if name == "notes":
            return OpenListing.summary.contains(value, autoescape=True)
        if name == "text":
            return _text(value)
        if name == "open_type":
            return OpenListing.open_type == OpenType(value) if value in set(OpenType) else false()
        if name == "update_cycle":
            return OpenListing.update_cycle == UpdateCycle(value) if value in set(UpdateCycle) else false()
        if name == "capacity":
            return true() if value == "public" else false()
        if name == "state":
            return true() if value == "active" else false()
        if name in ("dataset_type", "type"):
            return true() if value == "dataset" else false()
        return true()  # site_id: one site

    def range(self, name: str, text: str) -> ColumnElement[bool]:
        if name not in ("metadata_modified", "metadata_created"):
            raise SearchQueryError(f"字段“{name}”不支持范围查询")
        m = re.fullmatch(r"([\[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])", text)
        if m is None:
            raise SearchQueryError(f"范围写法有误：{text}（应为 [起 TO 止]）")
        low, high = m.group(2), m.group(3)
        column = _column(name)
        out: list[ColumnElement[bool]] = []
        if low != "*":
            start = self.instant(low, upper=m.group(1) == "{")
            out.append(column > start if m.group(1) == "{" else column >= start)
        if high != "*":
            end = self.instant(high, upper=m.group(4) == "]")
            out.append(column <= end if m.group(4) == "]" else column < end)
        return and_(true(), *out)

    def instant(self, text: str, *, upper: bool) -> dt.datetime:
        """An ISO time (`Z` or offset, or a bare date covering the whole day) or Solr's `NOW-1DAY`."""
        try:
            return self._instant(text, upper=upper)
        except (ValueError, OverflowError):
            raise SearchQueryError(f"时间写法有误：{text}（应为 2026-11-20T00:00:00Z 或 NOW-1DAY）") from None

    def _instant(self, text: str, *, upper: bool) -> dt.datetime:
        if (m := _NOW.match(text)) is not None:
            at = self.now.astimezone(dt.UTC)
            if m.group(1):
                n = int(m.group(2)) * (1 if m.group(1) == "+" else -1)
                unit = m.group(3)
                if unit in ("YEAR", "MONTH"):
                    months = at.month - 1 + n * (12 if unit == "YEAR" else 1)
                    at = at.replace(year=at.year + months // 12, month=months % 12 + 1, day=min(at.day, 28))
                else:
                    at += dt.timedelta(seconds=n * _UNITS[unit])
            if m.group(4) == "DAY":
                at = at.replace(hour=0, minute=0, second=0, microsecond=0)
            elif m.group(4) == "HOUR":
                at = at.replace(minute=0, second=0, microsecond=0)
            return at
        raw = text.strip('"')
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            base = dt.datetime.combine(dt.date.fromisoformat(raw), dt.time(), tzinfo=dt.UTC)
            return base + dt.timedelta(days=1, microseconds=-1) if upper else base
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _column(name: str) -> ColumnElement[dt.datetime]:
    column = OpenListing.updated_at if name == "metadata_modified" else OpenListing.published_at
    return column.expression  # type: ignore[return-value]


def _in_list(column: ColumnElement[str] | object, value: str) -> ColumnElement[bool]:
    """A comma-separated column holds `value` as one whole element."""
    return (literal(",") + column + literal(",")).contains(f",{value},", autoescape=True)


def _text(value: str) -> ColumnElement[bool]:
    words = grams.query_terms(value)
    if not words:
        return true()
    return and_(*[OpenListing.search_text.like(grams.like_pattern(w), escape="\\") for w in words])


_PICK = re.compile(
    r"\s*(?:(?:AND|&&)\s+)?(organization|owner_org|groups|res_format|open_type|update_cycle):"
    r'(?:"([^"\\]*)"|([^\s"()\[\]{}\\*?:]+))\s*'
)


@dataclass(frozen=True)
class Picks:
    """Filters on the facet columns, one value each, that `search.Query` can hold as its own lists."""

    org_ids: list[int]
    domains: list[str]
    formats: list[str]
    open_types: list[OpenType]
    update_cycles: list[UpdateCycle]


def facet_picks(texts: list[str], lookups: Lookups) -> Picks | None:
    """The common harvester `fq` (`organization:x res_format:CSV groups:y`: facet fields ANDed, each once) as
    facet picks, so the search can count it from its facet groups; None for anything else (then `parse`)."""
    chosen: dict[str, str] = {}
    for text in texts:
        pos, text = 0, text.strip()
        while pos < len(text):
            m = _PICK.match(text, pos)
            if m is None:
                return None
            name = "organization" if m.group(1) == "owner_org" else m.group(1)
            if name in chosen:
                return None  # two values of one field ANDed: not a list of alternatives
            chosen[name] = m.group(2) if m.group(2) is not None else m.group(3)
            pos = m.end()
    orgs = lookups.org_ids(chosen["organization"]) if "organization" in chosen else []
    domains = lookups.domains(chosen["groups"]) if "groups" in chosen else []
    open_type, cycle = chosen.get("open_type"), chosen.get("update_cycle")
    if (
        ("organization" in chosen and not orgs)
        or ("groups" in chosen and not domains)
        or (open_type is not None and open_type not in set(OpenType))
        or (cycle is not None and cycle not in set(UpdateCycle))
    ):
        return None  # matches nothing: `parse` says so exactly
    return Picks(
        org_ids=orgs,
        domains=domains,
        formats=[chosen["res_format"].lower()] if "res_format" in chosen else [],
        open_types=[OpenType(open_type)] if open_type is not None else [],
        update_cycles=[UpdateCycle(cycle)] if cycle is not None else [],
    )


def parse(text: str, lookups: Lookups, now: dt.datetime) -> ColumnElement[bool]:
    """One `fq` (or a fielded `q`) as a condition on OpenListing."""
    return _Parser(text, lookups, now).parse()


SORT_COLUMNS = {
    "metadata_modified": OpenListing.updated_at,
    "metadata_created": OpenListing.published_at,
    "name": OpenListing.id,  # names are open-<listing id>
    "id": OpenListing.id,  # ids end in the listing id, zero-padded: the same order
    "title_string": OpenListing.title,
    "title": OpenListing.title,
    "views_total": OpenListing.download_count,
    "views_recent": OpenListing.download_count,
}
DEFAULT_SORT = "score desc, metadata_modified desc"


def order(sort: str) -> tuple[ColumnElement[object], ...]:
    """CKAN's `sort` (`score desc, metadata_modified desc`, `name asc`, `title_string desc`, `id asc`…)."""
    out: list[ColumnElement[object]] = []
    for part in sort.split(","):
        words = part.split()
        if not words:
            continue
        name, direction = words[0], (words[1].lower() if len(words) > 1 else "asc")
        if len(words) > 2 or direction not in ("asc", "desc"):
            raise SearchQueryError(f"排序写法有误：“{part.strip()}”（应为“字段 asc|desc”）")
        if name == "score":
            continue  # no relevance ranking: every hit holds every term
        column = SORT_COLUMNS.get(name)
        if column is None:
            raise SearchQueryError(f"不支持按“{name}”排序（可用：{'、'.join(SORT_COLUMNS)}）")
        out.append(asc(column) if direction == "asc" else desc(column))
    if not out:
        out.append(desc(OpenListing.updated_at))
    # Ties by id in the first column's direction, so one index (column, id) serves the whole order.
    out.append(desc(OpenListing.id) if out[0].modifier is operators.desc_op else asc(OpenListing.id))
    return tuple(out)


# --- what the caller sent: the body or query string, and its parameters ----------------------------------


class ValidationFailed(InvalidInput):
    """CKAN's ValidationError: messages per parameter."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("；".join(f"{k}：{'、'.join(v)}" for k, v in fields.items()))
        self.fields = fields


@dataclass
class Payload:
    data: dict[str, Any]
    error: str | None = None


def _mixed(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """CKAN's reading of query strings and forms: a key given once is a string, given more often a list."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            out[key] = [*out[key], value] if isinstance(out[key], list) else [out[key], value]
        else:
            out[key] = value
    return out


async def read_payload(request: Request) -> Payload:
    """The action's parameters: a JSON body, a form (or CKAN's one-key JSON form), else the query string."""
    body = await request.body() if request.method == "POST" else b""
    ctype = request.headers.get("content-type", "").lower()
    if not body.strip():
        return Payload(_mixed(list(request.query_params.multi_items())))
    if "multipart/form-data" in ctype:
        form = await request.form()
        return Payload(_mixed([(k, v) for k, v in form.multi_items() if isinstance(v, str)]))
    if "application/x-www-form-urlencoded" in ctype:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        if len(pairs) == 1 and pairs[0][1] in ("", "1"):
            body = pairs[0][0].encode()
        else:
            return Payload(_mixed(pairs))
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return Payload({}, f"JSON Error: Error decoding JSON data. Error: {exc!r}")
    if not isinstance(parsed, dict):
        return Payload(
            {}, f"Bad request data: Request data JSON decoded to {parsed!r} but it needs to be a dictionary."
        )
    return Payload(parsed)


def param_str(params: dict[str, Any], key: str, default: str = "") -> str:
    value = params.get(key, default)
    if value is None:
        return default
    if isinstance(value, list | dict):
        raise ValidationFailed({key: ["须为字符串"]})
    return str(value)


INT_MAX = 2**31 - 1  # Solr's int: CKAN cannot page further either


def param_int(params: dict[str, Any], key: str, default: int, *, minimum: int = 0) -> int:
    value = params.get(key)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed({key: ["须为整数"]}) from None
    if not minimum <= number <= INT_MAX:
        raise ValidationFailed({key: [f"须为 {minimum} 至 {INT_MAX} 之间的整数"]})
    return number


def param_bool(params: dict[str, Any], key: str, default: bool) -> bool:
    value = params.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on", "t", "y"):
        return True
    if text in ("false", "0", "no", "off", "f", "n"):
        return False
    raise ValidationFailed({key: ["须为 true 或 false"]})


def param_list(params: dict[str, Any], key: str) -> list[str]:
    """A list given as a list, a JSON list in a string (CKAN's `facet.field`), or comma-separated."""
    value = params.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise ValidationFailed({key: ["须为 JSON 列表"]}) from None
        else:
            value = [v.strip() for v in text.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ValidationFailed({key: ["须为字符串列表"]})
    return [str(v) for v in value]


def param_required(params: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = param_str(params, key).strip()
        if value:
            return value
    raise ValidationFailed({keys[0]: ["缺少取值"]})
