"""DCAT (JSON-LD and Turtle) and Frictionless Data Package documents of the open catalog.

Both RDF documents are parsed with rdflib and must give the same graph; suspended and not-open datasets are
listed without any download.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from govdata.catalog.models import OpenType
from govdata.clock import FixedClock
from govdata.context import Ctx
from govdata.opendata import dcat, service
from tests.opendata.test_ckan import open_catalog
from tests.world import World

# Plain namespaces: rdflib's closed ones warn when pytest inspects the module.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
BASE = "http://testserver"
EU = "http://publications.europa.eu/resource/authority"


def _graphs(client: TestClient, path: str, **params: Any) -> tuple[Graph, Graph]:
    """The JSON-LD and the Turtle of one document, each parsed, after checking their media types."""
    as_jsonld = client.get(f"{path}.jsonld", params=params)
    as_ttl = client.get(f"{path}.ttl", params=params)
    assert as_jsonld.status_code == 200 and as_ttl.status_code == 200, (
        as_jsonld.text[:300],
        as_ttl.text[:300],
    )
    assert as_jsonld.headers["content-type"].startswith("application/ld+json")
    assert as_ttl.headers["content-type"] == "text/turtle; charset=utf-8"
    doc = json.loads(as_jsonld.text)
    assert doc["@context"]["dcat"] == str(DCAT) and doc["@context"]["dct"] == str(DCTERMS)
    # The catalog's paging links name the document they are in: compare the two with the same links.
    from_jsonld = Graph().parse(data=as_jsonld.text.replace(".jsonld?", ".ttl?"), format="json-ld")
    from_ttl = Graph().parse(data=as_ttl.text, format="turtle")
    assert len(from_ttl) > 0 and isomorphic(from_jsonld, from_ttl)
    return from_jsonld, from_ttl


def test_catalog_lists_every_dataset_with_dcat_terms(
    ctx: Ctx, world: World, clock: FixedClock, client: TestClient
) -> None:
    cat = open_catalog(ctx, world, clock)
    g, _ = _graphs(client, "/open/catalog")
    catalog = URIRef(f"{BASE}/open/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in g
    assert {str(o) for o in g.objects(catalog, DCAT.dataset)} == {
        f"{BASE}/open/datasets/{listing.id}" for listing in cat.values()
    }
    people = URIRef(f"{BASE}/open/datasets/{cat['people'].id}")
    assert (people, RDF.type, DCAT.Dataset) in g
    assert (people, DCTERMS["title"], Literal("户籍人口基本信息（脱敏）", lang="zh")) in g
    assert (people, DCAT.keyword, Literal("户籍", lang="zh")) in g
    assert (people, DCTERMS.accrualPeriodicity, URIRef(f"{EU}/frequency/DAILY")) in g
    assert (people, DCTERMS.accessRights, URIRef(f"{EU}/access-right/PUBLIC")) in g
    assert g.value(people, DCTERMS.issued).datatype == URIRef("http://www.w3.org/2001/XMLSchema#dateTime")
    publisher = g.value(people, DCTERMS.publisher)
    assert str(g.value(publisher, URIRef("http://xmlns.com/foaf/0.1/name"))) == "四川省公安厅"
    theme = g.value(people, DCAT.theme)
    assert (theme, SKOS.prefLabel, Literal("公共安全", lang="zh")) in g
    distributions = list(g.objects(people, DCAT.distribution))
    assert len(distributions) == 3
    downloads = {str(g.value(d, DCAT.downloadURL)) for d in distributions}
    assert downloads == {
        f"{BASE}/open/datasets/{cat['people'].id}/download/{f}" for f in ("csv", "xlsx", "json")
    }
    csv = next(d for d in distributions if str(d).endswith("#csv"))
    assert g.value(csv, DCAT.mediaType) == URIRef("https://www.iana.org/assignments/media-types/text/csv")
    assert g.value(csv, DCTERMS["format"]) == URIRef(f"{EU}/file-type/CSV")
    assert g.value(csv, DCTERMS.license) == URIRef(f"{BASE}/open/licence")
    rights = {
        key: g.value(URIRef(f"{BASE}/open/datasets/{cat[key].id}"), DCTERMS.accessRights) for key in cat
    }
    assert rights["relief"] == URIRef(f"{EU}/access-right/RESTRICTED")
    assert rights["marriage"] == URIRef(f"{EU}/access-right/NON_PUBLIC")
    relief = g.value(URIRef(f"{BASE}/open/datasets/{cat['relief'].id}"), DCTERMS.rights)
    labels = {str(label) for label in g.objects(relief, RDFS.label)}
    assert labels == {
        "开放条件：仅向开展社会救助研究的机构开放",
        "法律法规或政策依据：《社会救助暂行办法》第六十六条",
    }
    assert g.value(people, DCTERMS.rights) is None  # unconditional: the licence says it all


def test_suspended_and_not_open_datasets_have_no_download(
    ctx: Ctx, world: World, clock: FixedClock, client: TestClient
) -> None:
    cat = open_catalog(ctx, world, clock)
    for key, note in (("funeral", "暂停开放：发现地址有误，正在核查"), ("marriage", "不予开放。依据：")):
        g, _ = _graphs(client, f"/open/datasets/{cat[key].id}/dcat")
        ds = URIRef(f"{BASE}/open/datasets/{cat[key].id}")
        assert (ds, RDF.type, DCAT.Dataset) in g
        assert list(g.objects(ds, DCAT.distribution)) == []
        assert not list(g.subject_objects(DCAT.downloadURL))
        assert str(g.value(ds, SKOS.editorialNote)).startswith(note)
        package = client.get(f"/open/datasets/{cat[key].id}/datapackage.json")
        assert package.status_code == 403 and note[:4] in package.text
    service.restore_listing(ctx, world.actor("minzheng_officer"), cat["funeral"].id, "核查无误")
    ctx.session.commit()
    g, _ = _graphs(client, f"/open/datasets/{cat['funeral'].id}/dcat")
    assert len(list(g.subject_objects(DCAT.downloadURL))) == 2


def test_catalog_pages_with_hydra_links(
    ctx: Ctx, world: World, clock: FixedClock, client: TestClient
) -> None:
    cat = open_catalog(ctx, world, clock)
    seen: list[str] = []
    url: str | None = f"{BASE}/open/catalog.ttl?limit=2"
    pages = 0
    while url is not None:
        resp = client.get(url)
        g = Graph().parse(data=resp.text, format="turtle")
        seen += [str(o) for o in g.objects(URIRef(f"{BASE}/open/catalog"), DCAT.dataset)]
        page = next(g.subjects(RDF.type, HYDRA.PagedCollection))
        assert int(g.value(page, HYDRA.totalItems)) == 5 and int(g.value(page, HYDRA.itemsPerPage)) == 2
        following = g.value(page, HYDRA.nextPage)
        url = str(following) if following is not None else None
        pages += 1
    assert pages == 3 and sorted(seen) == sorted(f"{BASE}/open/datasets/{x.id}" for x in cat.values())
    assert len(seen) == len(set(seen))
    found, _ = _graphs(client, "/open/catalog", q="养老")
    assert len(list(found.objects(URIRef(f"{BASE}/open/catalog"), DCAT.dataset))) == 1
    since, _ = _graphs(client, "/open/catalog", modified_since="2026-11-20T04:30:00Z")
    assert len(list(since.objects(URIRef(f"{BASE}/open/catalog"), DCAT.dataset))) == 2  # marriage and funeral
    assert client.get("/open/catalog.jsonld", params={"modified_since": "last week"}).status_code == 422
    assert client.get("/open/catalog.ttl", params={"limit": 5000}).status_code == 422


def test_unknown_and_unpublished_datasets_are_not_found(ctx: Ctx, world: World, client: TestClient) -> None:
    for path in ("dcat.jsonld", "dcat.ttl", "datapackage.json"):
        assert client.get(f"/open/datasets/424242/{path}").status_code == 404


def test_datapackage_describes_the_opened_items(
    ctx: Ctx, world: World, clock: FixedClock, client: TestClient
) -> None:
    cat = open_catalog(ctx, world, clock)
    resp = client.get(f"/open/datasets/{cat['people'].id}/datapackage.json")
    assert resp.status_code == 200
    package = resp.json()
    assert package["name"] == f"open-{cat['people'].id}" and package["profile"] == "tabular-data-package"
    assert package["licenses"] == [
        {
            "name": "gov-open-data-1.0",
            "path": f"{BASE}/open/licence",
            "title": "政务数据开放许可协议 1.0（署名）",
        }
    ]
    assert package["sources"][0]["title"] == "四川省公安厅《户籍人口基本信息（脱敏）》"
    assert "获取日期：2026-11-20" in package["description"]
    csv, xlsx, as_json = package["resources"]
    assert csv["path"] == f"{BASE}/open/datasets/{cat['people'].id}/download/csv"
    assert (csv["format"], csv["mediatype"], csv["encoding"]) == ("csv", "text/csv", "utf-8")
    assert (
        csv["dialect"]["commentChar"] == "#" and xlsx["format"] == "xlsx" and as_json["encoding"] == "utf-8"
    )
    fields = {f["name"]: f for f in csv["schema"]["fields"]}
    assert list(fields) == ["id_number", "name", "birth_date", "address"]
    assert fields["birth_date"]["type"] == "string"  # generalised to the year: text, not a date any more
    assert fields["name"]["title"] == "姓名" and fields["name"]["description"].startswith("脱敏后开放")
    homes = client.get(f"/open/datasets/{cat['homes'].id}/datapackage.json").json()
    types = {f["name"]: f["type"] for f in homes["resources"][0]["schema"]["fields"]}
    assert types == {"home_name": "string", "county": "string", "beds": "integer"}
    relief = client.get(f"/open/datasets/{cat['relief'].id}/datapackage.json").json()
    assert "有条件开放：仅向开展社会救助研究的机构开放" in relief["description"]


def test_licence_is_served(client: TestClient) -> None:
    resp = client.get("/open/licence")
    assert resp.status_code == 200 and "注明数据来源" in resp.text and "重新识别" in resp.text


def test_turtle_escapes_what_it_must() -> None:
    node = dcat.Node("http://example.test/a b<c>", ["dcat:Dataset"])
    tricky = '引号"反斜杠\\换行\n制表\t结束'
    node.add("dct:title", dcat.zh(tricky))
    node.add("dct:description", dcat.Node(None, ["foaf:Organization"]))
    from_ttl = Graph().parse(data=dcat.turtle([node]), format="turtle")
    from_jsonld = Graph().parse(data=json.dumps(dcat.jsonld([node])), format="json-ld")
    assert isomorphic(from_ttl, from_jsonld)
    assert str(next(from_ttl.objects(None, DCTERMS["title"]))) == tricky


def test_every_open_type_has_an_access_right() -> None:
    assert set(dcat.ACCESS_RIGHTS) == set(OpenType)


@pytest.mark.parametrize("path", ["/open/catalog.jsonld", "/open/catalog.ttl"])
def test_empty_catalog_is_still_a_catalog(ctx: Ctx, world: World, client: TestClient, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 200
    g = Graph().parse(data=resp.text, format="turtle" if path.endswith("ttl") else "json-ld")
    assert (URIRef(f"{BASE}/open/catalog"), RDF.type, DCAT.Catalog) in g
