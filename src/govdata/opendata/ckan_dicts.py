"""The open catalog in CKAN 2.10's shapes: datasets (packages), resources, organizations, groups, tags, licence.

Shared by the CKAN Action API (`ckan.py`) and the DCAT / Data Package documents (`dcat.py`), so every face says
the same thing about a dataset. Names are stable (`open-<listing id>`, `org-<organisation id>`, a fixed English
slug per catalog domain); ids are UUIDs (version 8) that end in the row id and begin with a prefix derived from
the deployment's secret, so datasets harvested from several govdata portals into one CKAN never collide.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from govdata import labels
from govdata.catalog.models import OpenType, ResourceVersion
from govdata.catalog.schemas import DOMAINS
from govdata.context import Ctx
from govdata.opendata import data
from govdata.opendata.models import ListingState, OpenListing, OpenListingItem, Treatment
from govdata.opendata.workflow import FORMAT_LABELS, OPEN_TYPE_LABELS, TREATMENT_LABELS
from govdata.org.models import Organization
from govdata.org.service import get_setting
from govdata.sharing.masking import MASK_RULE_LABELS, MaskRule


@dataclass(frozen=True)
class Licence:
    id: str
    title: str
    path: str  # served by dcat.py
    text: str


# Our own wording, in the spirit of CC BY 4.0 with what the regulations add: cite the source and the retrieval
# date (AB36, SX20), never re-identify anyone (OPEN-1), conditional data only under the signed agreement (AB32).
LICENCE = Licence(
    id="gov-open-data-1.0",
    title="政务数据开放许可协议 1.0（署名）",
    path="/open/licence",
    text="""政务数据开放许可协议 1.0（署名）

本许可适用于本开放平台发布的政务数据。获取或使用数据，即表示您同意以下条款。

一、您可以免费获取、复制、传播、加工和利用开放数据，包括用于商业目的。
二、使用数据时，须注明数据来源（提供部门、数据集名称、开放平台名称及网址）和获取日期。
三、不得篡改数据或歪曲其含义，不得暗示提供部门为您的产品、服务或观点背书。
四、不得将开放数据与其他数据关联比对以重新识别特定自然人，不得利用开放数据危害国家安全、公共利益或侵害他人合法权益。
五、有条件开放的数据，还须遵守您在平台上签署的数据使用协议和安全承诺书；协议与本许可不一致的，以协议为准。
六、数据按现状提供。发现数据有误或侵犯您的合法权益，可通过平台提出校核或撤回申请。
七、违反本许可的，平台可暂停您的访问权限，并依法追究责任。
""",
)

# A stable English slug per catalog domain (CKAN group names are [a-z0-9_-]); any other domain gets a hashed one.
DOMAIN_SLUGS: dict[str, str] = dict(
    zip(
        DOMAINS,
        (
            "population",
            "legal-entities",
            "natural-resources-geospatial",
            "social-credit",
            "e-licences",
            "public-services",
            "health",
            "social-security",
            "food-drug-safety",
            "work-safety",
            "price-regulation",
            "energy-security",
            "urban-rural-construction",
            "community-governance",
            "environment",
            "emergency-management",
            "transport",
            "education-culture",
            "finance-tax",
            "meteorology",
            "market-regulation",
            "public-safety",
            "civil-affairs",
            "employment",
            "utilities",
        ),
        strict=True,
    )
)
MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
NAME_PREFIX = "open-"
ID_LIMIT = 1 << 62  # ids carry 62 bits of the row id
ORG_PREFIX = "org-"


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:6], "big")


def group_slug(domain: str) -> str:
    return DOMAIN_SLUGS.get(domain) or f"domain-{_digest(domain):012x}"


def ckan_time(value: dt.datetime | None) -> str | None:
    """CKAN writes UTC times in ISO form without a zone."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat() if value is not None else None


def iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def usable(listing: OpenListing) -> bool:
    """Whether data can be taken at all (published and opened): only then are there resources and downloads."""
    return listing.state == ListingState.PUBLISHED and listing.open_type != OpenType.NONE


def access_status(listing: OpenListing) -> str:
    if listing.state == ListingState.SUSPENDED:
        return f"暂停开放：{listing.suspended_reason or '正在核查'}"
    if listing.open_type == OpenType.NONE:
        return f"不予开放。依据：{listing.basis or '—'}"
    if listing.open_type == OpenType.CONDITIONAL:
        return "有条件开放：须在开放平台提交申请，经提供部门同意并签署数据使用协议和安全承诺书后获取"
    return "无条件开放：实名认证后可下载或通过接口获取"


def deidentification(items: Sequence[OpenListingItem]) -> str:
    """How every item of the listing is treated before it leaves (OPEN-1), one clause per item."""
    parts = []
    for item in items:
        how = TREATMENT_LABELS[item.treatment]
        if item.treatment in (Treatment.MASK, Treatment.GENERALISE):
            rule = MaskRule(item.rule) if item.rule in set(MaskRule) else MaskRule.NONE
            how += f"（{MASK_RULE_LABELS[rule]}）"
        parts.append(f"{item.name}（{item.field_name}）：{how}")
    return "；".join(parts)


@dataclass
class Site:
    """One request's view of the catalog: the context, the base URL, the id prefixes and lookups."""

    ctx: Ctx
    base: str
    _secret: bytes = field(default=b"", repr=False)
    _versions: dict[int, int] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, ctx: Ctx, base: str) -> Site:
        secret = (get_setting(ctx.session, "secret_key") or "").encode()
        return cls(ctx=ctx, base=base.rstrip("/"), _secret=secret)

    # --- ids and names --------------------------------------------------------------------------------------

    def uid(self, kind: str, n: int) -> str:
        prefix = hmac.new(self._secret, f"ckan-id:{kind}".encode(), hashlib.sha256).digest()[:8]
        raw = bytearray(prefix + (n & (ID_LIMIT - 1)).to_bytes(8, "big"))
        raw[6] = (raw[6] & 0x0F) | 0x80  # version 8: vendor-specific
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 9562 variant
        return str(uuid.UUID(bytes=bytes(raw)))

    def number(self, kind: str, ref: str) -> int | None:
        """The row id inside one of our UUIDs of `kind`, or None when `ref` is not one."""
        try:
            parsed = uuid.UUID(ref)
        except ValueError:
            return None
        n = int.from_bytes(parsed.bytes[8:], "big") & (ID_LIMIT - 1)
        return n if self.uid(kind, n) == str(parsed) else None

    def listing_id(self, ref: str) -> int | None:
        """A dataset's name (`open-12`) or id (UUID)."""
        return self._ref(ref, NAME_PREFIX, "package")

    def org_id(self, ref: str) -> int | None:
        """An organization's name (`org-5`), id (UUID) or plain row id."""
        return self._ref(ref, ORG_PREFIX, "organization", bare=True)

    def _ref(self, ref: str, prefix: str, kind: str, *, bare: bool = False) -> int | None:
        ref = ref.strip().lower()
        digits = ref[len(prefix) :] if ref.startswith(prefix) else (ref if bare else "")
        if digits.isascii() and digits.isdigit():
            n = int(digits)
            return n if 0 < n < ID_LIMIT else None  # beyond any row id (and beyond BIGINT)
        return self.number(kind, ref)

    def resource_ref(self, ref: str) -> tuple[int, str] | None:
        """(listing id, format) of a resource id."""
        for fmt in FORMAT_LABELS:
            n = self.number(f"resource:{fmt}", ref.strip().lower())
            if n is not None:
                return n, fmt
        return None

    def group_id(self, domain: str) -> str:
        return self.uid("group", _digest(domain))

    def tag_id(self, tag: str) -> str:
        return self.uid("tag", _digest(tag))

    # --- urls -----------------------------------------------------------------------------------------------

    def landing(self, listing_id: int) -> str:
        return f"{self.base}/open/datasets/{listing_id}"

    def download(self, listing_id: int, fmt: str) -> str:
        return f"{self.base}/open/datasets/{listing_id}/download/{fmt}"

    def licence_url(self) -> str:
        return self.base + LICENCE.path

    # --- dicts ----------------------------------------------------------------------------------------------

    def preload(self, listings: Sequence[OpenListing]) -> None:
        """Items, organisations, catalog entries and version numbers of many listings in a few queries."""
        ids = [listing.id for listing in listings]
        if not ids:
            return
        session = self.ctx.session
        session.scalars(
            select(OpenListing)
            .where(OpenListing.id.in_(ids))
            .options(
                selectinload(OpenListing.items),
                selectinload(OpenListing.org),
                selectinload(OpenListing.resource),
            )
        ).all()
        wanted = {listing.version_id for listing in listings} - set(self._versions)
        if wanted:
            rows = session.execute(
                select(ResourceVersion.id, ResourceVersion.number).where(ResourceVersion.id.in_(wanted))
            ).all()
            self._versions.update({vid: number for vid, number in rows})

    def organization(self, org: Organization, *, package_count: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.uid("organization", org.id),
            "name": f"{ORG_PREFIX}{org.id}",
            "title": org.name,
            "display_name": org.name,
            "description": "",
            "type": "organization",
            "is_organization": True,
            "approval_status": "approved",
            "state": "active",
            "image_url": "",
            "image_display_url": "",
        }
        if package_count is not None:
            out["package_count"] = package_count
        return out

    def group(self, domain: str, *, package_count: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.group_id(domain),
            "name": group_slug(domain),
            "title": domain,
            "display_name": domain,
            "description": f"开放主题领域：{domain}",
            "type": "group",
            "is_organization": False,
            "approval_status": "approved",
            "state": "active",
            "image_url": "",
            "image_display_url": "",
        }
        if package_count is not None:
            out["package_count"] = package_count
        return out

    def tag(self, name: str) -> dict[str, Any]:
        return {
            "id": self.tag_id(name),
            "name": name,
            "display_name": name,
            "state": "active",
            "vocabulary_id": None,
        }

    def datastore_format(self, listing: OpenListing) -> str | None:
        """The resource whose rows `datastore_search` serves: the CSV one, else the first offered."""
        formats = [f for f in listing.formats.split(",") if f]
        if not usable(listing) or not formats:
            return None
        return "csv" if "csv" in formats else formats[0]

    def resources(self, listing: OpenListing) -> list[dict[str, Any]]:
        if not usable(listing):
            return []
        package_id = self.uid("package", listing.id)
        created, modified = (
            ckan_time(listing.published_at or listing.created_at),
            ckan_time(listing.updated_at),
        )
        store = self.datastore_format(listing)
        note = (
            "有条件开放：须经申请获准并签署协议后下载"
            if listing.open_type == OpenType.CONDITIONAL
            else "实名认证后下载"
        )
        out = []
        for position, fmt in enumerate(f for f in listing.formats.split(",") if f):
            label = FORMAT_LABELS.get(fmt, fmt.upper())
            out.append(
                {
                    "id": self.uid(f"resource:{fmt}", listing.id),
                    "package_id": package_id,
                    "name": f"{listing.title}（{label}）",
                    "description": f"{label} 格式，各信息项按开放清单的处理方式提供；{note}。使用时请注明数据来源和获取日期。",
                    "format": label,
                    "mimetype": MIMETYPES.get(fmt),
                    "mimetype_inner": None,
                    "url": self.download(listing.id, fmt),
                    "url_type": None,
                    "created": created,
                    "last_modified": modified,
                    "metadata_modified": modified,
                    "position": position,
                    "state": "active",
                    "hash": "",
                    "size": None,
                    "cache_url": None,
                    "resource_type": None,
                    "datastore_active": fmt == store,
                }
            )
        return out

    def extras(self, listing: OpenListing) -> list[dict[str, str]]:
        values: dict[str, str | None] = {
            "access_status": access_status(listing),
            "catalog_code": listing.resource.code if listing.resource is not None else None,
            "citation": data.citation(self.ctx, listing, self.base).line(),
            "conditions": listing.conditions if listing.open_type == OpenType.CONDITIONAL else None,
            "deidentification": deidentification(listing.items),
            "domain": listing.domain,
            "legal_basis": listing.basis,
            "open_type": OPEN_TYPE_LABELS[listing.open_type],
            "open_type_code": listing.open_type.value,
            "publisher": listing.org.name,
            "update_frequency": labels.UPDATE_CYCLE[listing.update_cycle],
            "update_frequency_code": listing.update_cycle.value,
        }
        return [{"key": k, "value": v} for k, v in sorted(values.items()) if v]

    def tags(self, listing: OpenListing) -> list[str]:
        return [t for t in listing.tags.split(",") if t]

    def package(self, listing: OpenListing) -> dict[str, Any]:
        """A dataset as CKAN 2.10's package_show returns it."""
        org = listing.org
        tags = self.tags(listing)
        resources = self.resources(listing)
        version = self._versions.get(listing.version_id)
        if version is None:
            found = self.ctx.session.get(ResourceVersion, listing.version_id)
            version = found.number if found is not None else 1
            self._versions[listing.version_id] = version
        return {
            "id": self.uid("package", listing.id),
            "name": f"{NAME_PREFIX}{listing.id}",
            "title": listing.title,
            "notes": listing.summary,
            "url": self.landing(listing.id),
            "version": str(version),
            "author": org.name,
            "author_email": None,
            "maintainer": org.name,
            "maintainer_email": None,
            "license_id": LICENCE.id,
            "license_title": LICENCE.title,
            "license_url": self.licence_url(),
            "isopen": listing.open_type == OpenType.UNCONDITIONAL,
            "state": "active",
            "private": False,
            "type": "dataset",
            "creator_user_id": None,
            "metadata_created": ckan_time(listing.published_at or listing.created_at),
            "metadata_modified": ckan_time(listing.updated_at),
            "owner_org": self.uid("organization", org.id),
            "organization": self.organization(org),
            "groups": [self.group(listing.domain)],
            "tags": [self.tag(t) for t in tags],
            "num_tags": len(tags),
            "resources": resources,
            "num_resources": len(resources),
            "extras": self.extras(listing),
            "relationships_as_object": [],
            "relationships_as_subject": [],
        }


# Table Schema / datastore types of the items as opened: masked and generalised values are text.
TABLE_TYPES = {
    "string": "string",
    "integer": "integer",
    "decimal": "number",
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
    "binary": "string",
}
DATASTORE_TYPES = {
    "string": "text",
    "integer": "int",
    "decimal": "numeric",
    "date": "date",
    "datetime": "timestamp",
    "boolean": "bool",
    "binary": "text",
}


def opened_type(item: OpenListingItem, table: dict[str, str]) -> str:
    if item.treatment != Treatment.KEEP:
        return table["string"]
    return table.get(item.data_type, table["string"])
