"""Routes of the CKAN Action API and of the DCAT / Data Package documents, for the permission walks.

All are public: catalog metadata is open to anyone (HN20, SX15). The one action that hands out data,
`datastore_search`, asks for an API key inside the action and answers in CKAN's own envelope; its rules
(no key → 403, suspended user, conditional access, the usage record) are tested in tests/opendata/test_ckan.py.
"""

from __future__ import annotations

CKAN_ROUTES = {
    ("GET", "/api/3/action/{name}"),
    ("POST", "/api/3/action/{name}"),
    ("GET", "/api/action/{name}"),
    ("POST", "/api/action/{name}"),
    ("GET", "/api/3"),
}
DCAT_PAGES = {
    ("GET", "/open/catalog.jsonld"),
    ("GET", "/open/catalog.ttl"),
    ("GET", "/open/datasets/{listing_id}/dcat.jsonld"),
    ("GET", "/open/datasets/{listing_id}/dcat.ttl"),
    ("GET", "/open/datasets/{listing_id}/datapackage.json"),
    ("GET", "/open/licence"),
}
