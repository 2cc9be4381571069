"""Chinese-capable search that works the same on SQLite and PostgreSQL.

Neither database tokenises Chinese, and trigram indexes cannot serve two-character words (人口, 社保), so
each indexed version stores its character bigrams (and its ASCII words) in `catalog_search_gram`. A query
must hit every one of its grams; the candidates are then checked for the exact substring, so bigrams that
appear apart do not count as a match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from govdata.catalog.models import ResourceVersion, SearchGram

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
MAX_GRAM = 40


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def grams(text: str) -> set[str]:
    """Bigrams of every CJK run (a lone character stands for itself) and every ASCII word."""
    out: set[str] = set()
    for run in _RUN.findall(normalise(text)):
        if run[0].isascii():
            out.add(run[:MAX_GRAM])
        elif len(run) == 1:
            out.add(run)
        else:
            out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def query_terms(q: str) -> list[str]:
    """Whitespace separates terms; each term must be found (AND)."""
    return [t for t in (normalise(part).strip() for part in q.split()) if t]


def term_grams(term: str) -> set[str]:
    """The grams a matching document must contain. A single CJK character has no bigram to look up."""
    found = grams(term)
    return {g for g in found if len(g) > 1 or g.isascii()}


def document(version: ResourceVersion, org_name: str, code: str) -> str:
    parts: list[str] = [version.name, version.summary, version.domain, org_name, code]
    parts.extend(item.name for item in version.items)
    return normalise(" ".join(parts))


def index_version(session: Session, version: ResourceVersion, org_name: str, code: str) -> None:
    unindex_versions(session, [version.id])
    text = document(version, org_name, code)
    version.search_text = text
    rows = [{"gram": g, "version_id": version.id} for g in sorted(grams(text))]
    if rows:
        session.execute(insert(SearchGram), rows)


def unindex_versions(session: Session, version_ids: Iterable[int]) -> None:
    ids = list(version_ids)
    if ids:
        session.execute(delete(SearchGram).where(SearchGram.version_id.in_(ids)))


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
