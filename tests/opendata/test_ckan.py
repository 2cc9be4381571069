"""The CKAN Action API v3: driven by the real `ckanapi` client over HTTP, and by plain requests for the envelope.

A small open catalog: 公安's de-identified population (unconditional, 3 rows), 民政's care homes (unconditional,
loaded, items opened as held), a conditional and a not-open listing, and a suspended one.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

import ckanapi
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from govdata.clock import FixedClock
from govdata.context import Ctx
from govdata.opendata import ckan_params, service, users
from govdata.opendata.ckan_dicts import Site
from govdata.opendata.ckan_params import Lookups, facet_picks
from govdata.opendata.models import OpenListing, Retrieval
from govdata.opendata.schemas import ListingIn, ReviewIn
from govdata.pool.models import LoadMode
from govdata.pool.service import load_file
from tests.http import helpers as h
from tests.opendata.fixtures import published_listing
from tests.world import World

HOME_ITEMS = [
    {"name": "机构名称", "field_name": "home_name", "data_type": "string", "length": 100, "sensitivity": 1},
    {"name": "所在县区", "field_name": "county", "data_type": "string", "length": 50, "sensitivity": 1},
    {"name": "床位数", "field_name": "beds", "data_type": "integer", "sensitivity": 1},
]
HOMES_CSV = "机构名称,所在县区,床位数\n阳光养老院,汶川县,120\n夕阳红敬老院,汶川县,80\n福寿康养中心,茂县,200\n"


def _minzheng_listing(
    ctx: Ctx,
    world: World,
    name: str,
    open_type: str = "unconditional",
    *,
    tags: list[str],
    formats: list[str] | None = None,
    rows: str | None = None,
) -> OpenListing:
    """A 民政 entry of non-personal items, listed with every item opened as held, published."""
    entry: dict[str, Any] = {"name": name, "domain": "民政服务", "items": HOME_ITEMS, "open_type": open_type}
    entry["summary"] = f"全省{name}：名称、所在县区和床位数"
    entry |= {"grade": 1, "open_basis": None, "open_conditions": None}
    if open_type != "unconditional":
        entry["open_basis"] = "《社会救助暂行办法》第六十六条"
    if open_type == "conditional":
        entry["open_conditions"] = "仅向开展社会救助研究的机构开放"
    res = h.published(ctx, world, "minzheng_officer", **entry)
    ctx.session.commit()
    if rows is not None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "homes.csv"
            path.write_text(rows, encoding="utf-8")
            load_file(ctx, world.actor("minzheng_officer"), res.id, path, mode=LoadMode.REPLACE)
        ctx.session.commit()
    officer = world.actor("minzheng_officer")
    items = [{"field_name": i["field_name"], "treatment": "keep"} for i in HOME_ITEMS]
    body = {"resource_id": res.id, "tags": tags, "formats": formats or ["csv", "json"], "items": items}
    listing = service.compile_listing(ctx, officer, ListingIn.model_validate(body))
    service.submit_listing(ctx, officer, listing.id)
    service.review_listing(ctx, world.actor("reviewer"), listing.id, ReviewIn(approve=True, comment="同意"))
    ctx.session.commit()
    return listing


def open_catalog(ctx: Ctx, world: World, clock: FixedClock) -> dict[str, OpenListing]:
    """Five listed datasets, each published an hour after the one before (so their modified times differ)."""
    out = {"people": published_listing(ctx, world)}
    clock.advance(hours=1)
    out["homes"] = _minzheng_listing(ctx, world, "养老机构名录", tags=["养老", "民政"], rows=HOMES_CSV)
    clock.advance(hours=1)
    out["relief"] = _minzheng_listing(ctx, world, "社会救助机构名录", "conditional", tags=["救助"])
    clock.advance(hours=1)
    out["marriage"] = _minzheng_listing(ctx, world, "婚姻登记机关名录", "none", tags=["婚姻"], formats=[])
    clock.advance(hours=1)
    out["funeral"] = _minzheng_listing(ctx, world, "殡葬服务机构名录", tags=["殡葬", "民政"])
    service.suspend_listing(ctx, world.actor("minzheng_officer"), out["funeral"].id, "发现地址有误，正在核查")
    ctx.session.commit()
    return out


@pytest.fixture
def server(live_server: str) -> str:
    """ckanapi speaks real HTTP to the app (tests/conftest.py's live server)."""
    return live_server


def _names(result: dict[str, Any]) -> list[str]:
    return [p["name"] for p in result["results"]]


# --- ckanapi over HTTP --------------------------------------------------------------------------------------


def test_ckanapi_searches_and_shows_the_catalog(
    ctx: Ctx, world: World, clock: FixedClock, server: str
) -> None:
    cat = open_catalog(ctx, world, clock)
    people, homes = cat["people"], cat["homes"]
    minzheng = world.orgs["minzheng"].id
    with ckanapi.RemoteCKAN(server) as remote:
        status = remote.action.status_show()
        assert status["ckan_version"].startswith("2.10") and status["site_url"] == server
        found = remote.action.package_search(
            q="户籍", **{"facet.field": '["organization","groups","tags","res_format","license_id"]'}
        )
        assert found["count"] == 1 and _names(found) == [f"open-{people.id}"]
        facets = found["search_facets"]
        assert facets["organization"]["items"] == [
            {
                "name": f"org-{world.orgs['gongan'].id}",
                "display_name": "四川省公安厅",
                "count": 1,
                "type": "organization",
            }
        ]
        assert {i["name"] for i in facets["tags"]["items"]} == {"人口", "户籍"}
        assert {i["name"] for i in facets["res_format"]["items"]} == {"CSV", "XLSX", "JSON"}
        assert facets["groups"]["items"][0]["name"] == "public-safety"
        assert found["facets"]["license_id"] == {"gov-open-data-1.0": 1}

        every = remote.action.package_search(rows=100, **{"facet.field": ["organization", "groups", "tags"]})
        assert every["count"] == 5
        assert {i["display_name"]: i["count"] for i in every["search_facets"]["organization"]["items"]} == {
            "四川省民政厅": 4,
            "四川省公安厅": 1,
        }
        assert {i["name"]: i["count"] for i in every["search_facets"]["tags"]["items"]}["民政"] == 2
        # fq: organization, groups, tags, res_format, negation, OR, name and id
        for fq, expected in (
            (f"organization:org-{minzheng}", 4),
            (f"-organization:org-{minzheng}", 1),
            ("groups:civil-affairs", 4),
            ("groups:民政服务 tags:民政", 2),
            ("tags:养老 OR tags:婚姻", 2),
            ("res_format:XLSX", 1),
            ("license_id:gov-open-data-1.0", 5),
            ("license_id:cc-by", 0),
            (f"name:open-{homes.id}", 1),
            ("+capacity:public +state:active", 5),
            ("tags:(救助 OR 殡葬)", 2),
        ):
            assert remote.action.package_search(fq=fq)["count"] == expected, fq
        # paging: rows and start
        pages = [
            _names(remote.action.package_search(rows=2, start=s, sort="metadata_modified asc"))
            for s in (0, 2, 4)
        ]
        assert [len(p) for p in pages] == [2, 2, 1]
        assert [name for page in pages for name in page] == [
            f"open-{cat[k].id}" for k in ("people", "homes", "relief", "marriage", "funeral")
        ]

        by_name = remote.action.package_show(id=f"open-{people.id}")
        by_id = remote.action.package_show(id=by_name["id"])
        assert by_name == by_id
        assert (
            by_name["organization"]["title"] == "四川省公安厅"
            and by_name["owner_org"] == by_name["organization"]["id"]
        )
        assert [r["format"] for r in by_name["resources"]] == ["CSV", "XLSX", "JSON"]
        resource = remote.action.resource_show(id=by_name["resources"][0]["id"])
        assert (
            resource["url"] == f"{server}/open/datasets/{people.id}/download/csv"
            and resource["datastore_active"]
        )

        orgs = remote.action.organization_list(all_fields=True)
        assert {o["title"]: o["package_count"] for o in orgs} == {"四川省公安厅": 1, "四川省民政厅": 4}
        assert (
            remote.action.organization_show(id=f"org-{minzheng}", include_datasets=True)["package_count"] == 4
        )
        assert sorted(remote.action.group_list()) == ["civil-affairs", "public-safety"]
        assert remote.action.group_list(all_fields=True, sort="package_count desc")[0]["title"] == "民政服务"
        assert set(remote.action.tag_list()) == {"人口", "户籍", "养老", "民政", "救助", "婚姻", "殡葬"}
        assert remote.action.tag_list(query="养") == ["养老"]
        assert len(remote.action.package_list()) == 5

        with pytest.raises(ckanapi.NotFound):
            remote.action.package_show(id="open-999999")
        with pytest.raises(ckanapi.NotFound):
            remote.action.resource_show(id="00000000-0000-8000-8000-000000000001")
        with pytest.raises(ckanapi.NotAuthorized):
            remote.action.package_create(name="new-dataset", title="新数据集")
        with pytest.raises(ckanapi.ValidationError):
            remote.action.package_search(rows="many")
        with pytest.raises(ckanapi.SearchQueryError):
            remote.action.package_search(fq="colour:red")


def test_get_only_client_and_chinese_q(ctx: Ctx, world: World, clock: FixedClock, server: str) -> None:
    open_catalog(ctx, world, clock)
    with ckanapi.RemoteCKAN(server, get_only=True) as remote:
        found = remote.action.package_search(q="机构 名录", **{"facet.field": '["tags"]'}, rows=10)
        assert found["count"] == 4
        assert remote.action.package_search(q="养老院")["count"] == 0  # substring of no listing's text
        assert remote.action.package_search(q="tags:户籍")["count"] == 1  # Solr field syntax in q


def test_not_open_and_suspended_datasets_have_no_resources(ctx: Ctx, world: World, clock: FixedClock) -> None:
    cat = open_catalog(ctx, world, clock)
    site = Site.of(ctx, "http://portal.test")
    for key, status in (
        ("marriage", "不予开放。依据：《社会救助暂行办法》"),
        ("funeral", "暂停开放：发现地址有误"),
    ):
        pkg = site.package(cat[key])
        extras = {e["key"]: e["value"] for e in pkg["extras"]}
        assert pkg["resources"] == [] and pkg["num_resources"] == 0 and pkg["state"] == "active"
        assert extras["access_status"].startswith(status), extras
    people = site.package(cat["people"])
    extras = {e["key"]: e["value"] for e in people["extras"]}
    assert extras["open_type"] == "无条件开放" and extras["update_frequency"] == "每日"
    assert "公民身份号码（id_number）：脱敏后开放" in extras["deidentification"]
    assert extras["citation"].startswith("数据来源：四川省公安厅《户籍人口基本信息（脱敏）》")
    relief = {e["key"]: e["value"] for e in site.package(cat["relief"])["extras"]}
    assert relief["conditions"] == "仅向开展社会救助研究的机构开放" and relief["legal_basis"]


def _retrievals(ctx: Ctx) -> int:
    ctx.session.rollback()
    return int(ctx.session.scalar(select(func.count()).select_from(Retrieval)) or 0)


def test_datastore_search_needs_a_key_and_is_recorded(
    ctx: Ctx, world: World, clock: FixedClock, server: str
) -> None:
    cat = open_catalog(ctx, world, clock)
    token = h.token_for(ctx, world, "citizen")
    ctx.session.commit()
    site = Site.of(ctx, server)
    people_csv = site.uid("resource:csv", cat["people"].id)
    homes_csv = site.uid("resource:csv", cat["homes"].id)
    with ckanapi.RemoteCKAN(server) as anonymous:
        with pytest.raises(ckanapi.NotAuthorized) as refused:
            anonymous.action.datastore_search(resource_id=people_csv)
        assert "注册" in str(refused.value) and "令牌" in str(refused.value)
        with pytest.raises(ckanapi.NotFound):
            anonymous.action.datastore_search(resource_id=site.uid("resource:xlsx", cat["people"].id))
    assert _retrievals(ctx) == 0
    with ckanapi.RemoteCKAN(server, apikey=token) as remote:
        rows = remote.action.datastore_search(resource_id=people_csv, limit=2)
        assert rows["total"] == 3 and len(rows["records"]) == 2
        assert [f["id"] for f in rows["fields"]] == ["_id", "id_number", "name", "birth_date", "address"]
        assert rows["records"][0]["name"] == "张*" and rows["records"][0]["birth_date"] == "1980年"
        next_page = f"/api/3/action/datastore_search?offset=2&resource_id={people_csv}&limit=2"
        assert rows["_links"]["next"] == next_page
        rest = remote.action.datastore_search(resource_id=people_csv, offset=2)
        assert [r["name"] for r in rest["records"]] == ["王*"]
        with pytest.raises(
            ckanapi.ValidationError
        ):  # a filter on a masked item would let anyone probe for a person
            remote.action.datastore_search(resource_id=people_csv, filters={"name": "张三"})
        homes = remote.action.datastore_search(
            resource_id=homes_csv, filters={"county": "汶川县"}, fields=["home_name", "beds"]
        )
        assert homes["total"] == 2 and homes["records"][0] == {
            "_id": homes["records"][0]["_id"],
            "home_name": "阳光养老院",
            "beds": 120,
        }
        assert [f["type"] for f in homes["fields"]] == ["int", "text", "int"]
        assert (
            remote.action.datastore_search(resource_id=homes_csv, filters={"beds": ["80", 200]})["total"] == 2
        )
        with pytest.raises(ckanapi.NotAuthorized):  # conditional: no approved application
            remote.action.datastore_search(resource_id=site.uid("resource:csv", cat["relief"].id))
        with pytest.raises(ckanapi.NotAuthorized) as suspended:
            remote.action.datastore_search(resource_id=site.uid("resource:csv", cat["funeral"].id))
        assert "暂停开放" in str(suspended.value)
    # Three answered calls were recorded (channel api, with their row counts); refused ones left nothing.
    ctx.session.rollback()
    taken = ctx.session.scalars(select(Retrieval).order_by(Retrieval.id)).all()
    assert [(t.channel, t.rows) for t in taken] == [("api", 2), ("api", 1), ("api", 2), ("api", 2)]


def test_bearer_and_x_ckan_api_key_headers(
    ctx: Ctx, world: World, clock: FixedClock, client: TestClient
) -> None:
    cat = open_catalog(ctx, world, clock)
    token = h.token_for(ctx, world, "citizen")
    ctx.session.commit()
    rid = Site.of(ctx, "http://testserver").uid("resource:csv", cat["homes"].id)
    for headers in (
        {"Authorization": f"Bearer {token}"},
        {"X-CKAN-API-Key": token},
        {"Authorization": token},
    ):
        resp = client.get("/api/3/action/datastore_search", params={"resource_id": rid}, headers=headers)
        assert resp.status_code == 200 and resp.json()["result"]["total"] == 3, resp.text
    bad = client.get(
        "/api/3/action/datastore_search", params={"resource_id": rid}, headers={"X-CKAN-API-Key": "nope"}
    )
    assert bad.status_code == 403 and bad.json()["error"]["__type"] == "Authorization Error"
    assert "API 令牌无效" in bad.json()["error"]["message"]
    users.suspend_user(ctx, world.actor("reviewer"), world.users["citizen"].id, "违规转售开放数据")
    ctx.session.commit()
    held = client.get(
        "/api/3/action/datastore_search", params={"resource_id": rid}, headers={"Authorization": token}
    )
    assert held.status_code == 403 and "已被暂停：违规转售开放数据" in held.json()["error"]["message"]


# --- the envelope -------------------------------------------------------------------------------------------


def test_envelope_on_both_paths_get_and_post(
    ctx: Ctx, world: World, clock: FixedClock, client: TestClient
) -> None:
    cat = open_catalog(ctx, world, clock)
    name = f"open-{cat['people'].id}"
    for path in ("/api/3/action/package_show", "/api/action/package_show"):
        for resp in (
            client.get(path, params={"id": name}),
            client.post(path, json={"id": name}),
            client.post(path, data={"id": name}),
            client.post(
                path,
                content=f'{{"id": "{name}"}}=1',
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
        ):
            assert resp.status_code == 200, resp.text
            body = resp.json()
            assert body["success"] is True and body["result"]["name"] == name
            assert body["help"] == "http://testserver/api/3/action/help_show?name=package_show"
    assert client.get("/api/3").json() == {"version": 3}
    doc = client.get("/api/3/action/help_show", params={"name": "package_search"}).json()["result"]
    assert "搜索数据集" in doc


def test_errors_have_ckan_types_and_status(ctx: Ctx, world: World, client: TestClient) -> None:
    unknown = client.get("/api/3/action/no_such_action")
    assert (
        unknown.status_code == 400 and unknown.json() == "Bad request - Action name not known: no_such_action"
    )
    missing = client.get("/api/3/action/package_show", params={"id": "open-424242"})
    assert missing.status_code == 404
    assert missing.json()["error"]["__type"] == "Not Found Error" and missing.json()["success"] is False
    invalid = client.post("/api/action/package_search", json={"rows": "ten", "start": -1})
    assert invalid.status_code == 409
    error = invalid.json()["error"]
    assert error["__type"] == "Validation Error" and error["rows"] == ["须为整数"] and error["message"]
    write = client.post("/api/3/action/package_update", json={"id": "x"})
    assert write.status_code == 403 and write.json()["error"]["__type"] == "Authorization Error"
    assert "只读" in write.json()["error"]["message"]
    for action in ("organization_delete", "resource_create", "datastore_upsert", "package_patch"):
        assert client.post(f"/api/3/action/{action}", json={}).status_code == 403, action
    bad_json = client.post(
        "/api/3/action/package_search", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400 and bad_json.json().startswith("Bad request - JSON Error")
    not_dict = client.post("/api/3/action/package_search", json=[1, 2])
    assert not_dict.status_code == 400
    query = client.get("/api/3/action/package_search", params={"fq": "metadata_modified:[yesterday TO *]"})
    assert query.status_code == 400 and query.json()["error"]["__type"] == "Search Query Error"
    nokey = client.get("/api/3/action/datastore_search", params={"resource_id": "x"})
    assert nokey.status_code == 404  # an unknown resource is not found before the key is asked for


def test_harvester_paging_loop(ctx: Ctx, world: World, clock: FixedClock, client: TestClient) -> None:
    """ckanext-harvest's CKANHarvester: fq with metadata_modified since, sort id asc, rows/start until empty."""
    cat = open_catalog(ctx, world, clock)
    since = (cat["homes"].updated_at - dt.timedelta(minutes=1)).astimezone(dt.UTC).replace(tzinfo=None)
    fq = f"-organization:org-999 metadata_modified:[{since.isoformat()}Z TO *]"
    params = {"rows": "2", "start": "0", "sort": "id asc", "fq": fq}
    seen: list[str] = []
    previous = None
    while True:
        content = client.get("/api/3/action/package_search", params=params).text
        assert content != previous, "the paging does not move"
        previous = content
        page = [p["id"] for p in json.loads(content)["result"]["results"]]
        if not page:
            break
        seen.extend(page)
        params["start"] = str(int(params["start"]) + int(params["rows"]))
    site = Site.of(ctx, "http://testserver")
    expected = [site.uid("package", cat[k].id) for k in ("homes", "relief", "marriage", "funeral")]
    assert (
        seen == sorted(expected) and len(set(seen)) == 4
    )  # every dataset changed since, once; people is older
    clock.advance(days=1)  # the suspension, the last change, was exactly one day ago
    for fq, count in (("[NOW-1DAY TO NOW]", 1), ("{NOW-1DAY TO NOW]", 0), ("[NOW-2DAYS TO *]", 5)):
        later = client.get("/api/3/action/package_search", params={"fq": f"metadata_modified:{fq}"})
        assert later.json()["result"]["count"] == count, fq


# --- the Solr subset ----------------------------------------------------------------------------------------


def _lookups() -> ckan_params.Lookups:
    return ckan_params.Lookups(
        org_ids=lambda ref: [7] if ref == "org-7" else [],
        domains=lambda ref: ["民政服务"] if ref == "civil-affairs" else [],
        listing_id=lambda ref: 12 if ref == "open-12" else None,
        licence_id="gov-open-data-1.0",
    )


@pytest.mark.parametrize(
    "fq",
    [
        "organization:org-7",
        "+organization:org-7 -groups:civil-affairs",
        "organization:org-7 OR organization:org-8",
        "NOT tags:a AND (res_format:CSV OR res_format:JSON)",
        'tags:"两个 词"',
        "tags:(a OR b)",
        "metadata_modified:[2026-11-19T00:00:00Z TO *]",
        "metadata_modified:{2026-11-19 TO 2026-11-20]",
        "metadata_created:[NOW-7DAYS TO NOW/DAY]",
        "metadata_modified:2026-11-20",
        "*:*",
        "户籍 人口",
        "dataset_type:dataset capacity:public site_id:default",
    ],
)
def test_fq_subset_parses(fq: str) -> None:
    now = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
    condition = ckan_params.parse(fq, _lookups(), now)
    str(select(OpenListing.id).where(condition))  # compiles


@pytest.mark.parametrize(
    "fq",
    ["colour:red", "tags:(a OR b", "metadata_modified:[x TO *]", "tags:[a TO b]", "name:open-*", "title:"],
)
def test_fq_outside_the_subset_is_a_search_query_error(fq: str) -> None:
    with pytest.raises(ckan_params.SearchQueryError):
        ckan_params.parse(fq, _lookups(), dt.datetime(2026, 11, 20, tzinfo=dt.UTC))


def test_sort_strings() -> None:
    assert len(ckan_params.order("score desc, metadata_modified desc")) == 2
    assert len(ckan_params.order("title_string asc")) == 2
    for bad in ("colour asc", "name sideways", "name asc extra"):
        with pytest.raises(ckan_params.SearchQueryError):
            ckan_params.order(bad)


def test_ids_are_uuids_that_map_back(ctx: Ctx, world: World) -> None:
    site = Site.of(ctx, "http://portal.test")
    for n in (1, 12, 2**40):
        ref = site.uid("package", n)
        assert uuid.UUID(ref).version == 8 and site.listing_id(ref) == n
        assert site.listing_id(site.uid("organization", n)) is None  # another kind's id is not a dataset
    assert site.listing_id("open-12") == 12 and site.listing_id("something") is None
    assert site.uid("package", 3) < site.uid(
        "package", 10
    )  # id order is listing order (harvesters sort by id)


@pytest.mark.parametrize(
    "params",
    [
        {"q": "' OR '1'='1"},
        {"q": "1 UNION SELECT password_hash FROM app_user"},
        {"fq": "tags:\"x' OR '1'='1\""},
        {"fq": "name:open-99999999999999999999999"},
        {"fq": "organization:99999999999999999999999"},
        {"fq": "metadata_modified:[NOW-99999999999YEARS TO *]"},
        {"fq": "metadata_modified:[9999-12-31 TO *]"},
        {"start": str(10**30)},
        {"rows": "-5"},
        {"facet.field": "{not json"},
        {"sort": "name; DROP TABLE open_listing"},
        {"q": "tags:(" * 50},
    ],
)
def test_hostile_search_input_is_a_4xx_or_nothing_found(
    ctx: Ctx, world: World, clock: FixedClock, client: TestClient, params: dict[str, str]
) -> None:
    published_listing(ctx, world)
    resp = client.get("/api/3/action/package_search", params=params)
    assert resp.status_code in (200, 400, 409), resp.text
    body = resp.json()
    if resp.status_code == 200:
        assert body["result"]["count"] in (0, 1)
    else:
        assert body["success"] is False and body["error"]["message"]
    assert client.get("/api/3/action/package_show", params={"id": params.get("fq", "x")}).status_code == 404
    assert ctx.session.scalar(select(func.count()).select_from(OpenListing)) == 1


def test_hostile_datastore_input(ctx: Ctx, world: World, clock: FixedClock, client: TestClient) -> None:
    cat = open_catalog(ctx, world, clock)
    token = h.token_for(ctx, world, "citizen")
    ctx.session.commit()
    rid = Site.of(ctx, "http://testserver").uid("resource:csv", cat["homes"].id)
    for body in (
        {"resource_id": rid, "filters": {"beds": str(10**30)}},
        {"resource_id": rid, "filters": {"beds": "many"}},
        {"resource_id": rid, "filters": "[1]"},
        {"resource_id": rid, "filters": {"no_such_item": 1}},
        {"resource_id": rid, "offset": 10**12},
        {"resource_id": rid, "q": "阳光"},
        {"resource_id": rid, "sort": "beds desc"},
        {"resource_id": "open-99999999999999999999"},
    ):
        resp = client.post("/api/3/action/datastore_search", json=body, headers={"Authorization": token})
        assert resp.status_code in (404, 409), (body, resp.text)
    assert _retrievals(ctx) == 0  # refused calls leave no usage record behind


def test_facet_fq_counted_from_the_facet_groups_equals_the_general_parser(
    ctx: Ctx, world: World, clock: FixedClock, server: str
) -> None:
    """Harvesters' `field:value` fq on facet fields take the facet groups' path; `state:active` (always true)
    sends the same filter through the general parser: both must give the same answer."""
    open_catalog(ctx, world, clock)
    minzheng = world.orgs["minzheng"].id
    facets = {"facet.field": ["organization", "groups", "res_format", "open_type"], "rows": 100}
    with ckanapi.RemoteCKAN(server) as remote:
        for fq in (
            f"organization:org-{minzheng}",
            f"owner_org:org-{minzheng} res_format:XLSX",
            "groups:civil-affairs AND open_type:unconditional",
            'groups:"civil-affairs"',
            "update_cycle:monthly",
            "organization:no-such-org",
        ):
            picked = remote.action.package_search(fq=fq, **facets)
            general = remote.action.package_search(fq=f"{fq} state:active", **facets)
            assert picked["count"] == general["count"], fq
            assert (
                _names(picked) == _names(general) and picked["search_facets"] == general["search_facets"]
            ), fq


def test_only_simple_facet_filters_become_picks() -> None:
    lookups = Lookups(
        org_ids=lambda name: [7] if name == "org-7" else [],
        domains=lambda name: ["民政服务"] if name == "civil-affairs" else [],
        listing_id=lambda name: None,
        licence_id="gov-open-data-1.0",
    )
    picks = facet_picks(["organization:org-7", "res_format:csv groups:civil-affairs"], lookups)
    assert picks is not None and picks.org_ids == [7] and picks.formats == ["csv"]
    assert picks.domains == ["民政服务"] and picks.open_types == []
    for fq in (
        "-organization:org-7",  # negation
        "groups:civil-affairs OR res_format:csv",  # alternatives across fields
        "res_format:csv res_format:json",  # one field twice, ANDed
        "tags:民政",  # not a facet column
        "metadata_modified:[NOW-1DAY TO NOW]",
        "organization:org-8",  # matches nothing: the parser says so exactly
        "open_type:sometimes",
    ):
        assert facet_picks([fq], lookups) is None, fq
