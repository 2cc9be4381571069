"""The exchange API end to end: credentials, purpose, grant, masking, scope, logging, refusals, exports."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from govdata.audit.models import AuditEvent
from govdata.clock import FixedClock
from govdata.context import Ctx
from govdata.sharing import service
from govdata.sharing.models import Delivery, ExchangeCall
from govdata.sharing.schemas import RevokeIn
from tests.http.helpers import published
from tests.sharing.fixtures import PEOPLE, credential, granted, population
from tests.world import World

PURPOSE = "低保对象身份核查"


def bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def test_lookup_returns_only_granted_items_masked(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = population(ctx, world)
    granted(ctx, world, rid, items=["id_number", "name", "address"])
    key = credential(ctx, world)
    person = PEOPLE[0][0]
    resp = client.get(
        f"/api/v1/exchange/{rid}/records/{person}", params={"purpose": PURPOSE}, headers=bearer(key)
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["items"] == ["id_number", "name", "address"]
    assert set(body["masked"]) == {"id_number", "address"}
    row = body["rows"][0]
    assert "birth_date" not in row  # not granted
    assert row["name"] == "张三"  # sensitivity 2: unmasked
    assert row["id_number"] != person and row["id_number"].startswith(person[:6]) and "*" in row["id_number"]
    assert row["address"].startswith("四川省阿坝州汶川县") and "岷江路" not in row["address"]
    # The call is in the log and the audit chain, and the delivered subject is remembered.
    call = ctx.session.execute(select(ExchangeCall)).scalar_one()
    assert (call.operation, call.outcome, call.records, call.purpose) == ("lookup", "success", 1, PURPOSE)
    delivered = ctx.session.execute(select(Delivery.subject_id, Delivery.consumer_org_id)).all()
    assert delivered == [(person, world.orgs["minzheng"].id)]
    assert call.audit_seq is not None
    actions = ctx.session.execute(
        select(AuditEvent.action).where(AuditEvent.action.like("share.exchange%"))
    ).all()
    assert actions == [("share.exchange.lookup",)]


def test_batch_lookup_and_scope(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = population(ctx, world)
    scope = [{"field": "address", "op": "prefix", "values": ["四川省阿坝州"]}]
    granted(ctx, world, rid, row_filter=scope)
    key = credential(ctx, world)
    subjects = [p[0] for p in PEOPLE] + ["110105194912310021"]
    resp = client.post(
        f"/api/v1/exchange/{rid}/lookup", json={"purpose": PURPOSE, "subjects": subjects}, headers=bearer(key)
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert len(body["rows"]) == 2  # 王五 lives in 成都: outside the granted scope
    assert set(body["not_found"]) == {PEOPLE[2][0], "110105194912310021"}
    too_many = client.post(
        f"/api/v1/exchange/{rid}/lookup",
        json={"purpose": PURPOSE, "subjects": ["x"] * 1001},
        headers=bearer(key),
    )
    assert too_many.status_code == 422 and "1000" in too_many.json()["error"]["message"]


def test_query_pages_and_filters_only_on_granted_items(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = population(ctx, world)
    granted(ctx, world, rid, items=["id_number", "name"])
    key = credential(ctx, world)
    first = client.post(
        f"/api/v1/exchange/{rid}/query", json={"purpose": PURPOSE, "limit": 2}, headers=bearer(key)
    )
    assert first.status_code == 200, first.text
    assert len(first.json()["rows"]) == 2 and first.json()["next_after"] is not None
    rest = client.post(
        f"/api/v1/exchange/{rid}/query",
        json={"purpose": PURPOSE, "limit": 2, "after": first.json()["next_after"]},
        headers=bearer(key),
    )
    assert len(rest.json()["rows"]) == 1 and rest.json()["next_after"] is None
    named = client.post(
        f"/api/v1/exchange/{rid}/query",
        json={"purpose": PURPOSE, "filters": [{"field": "name", "op": "eq", "values": ["李四"]}]},
        headers=bearer(key),
    )
    assert [r["name"] for r in named.json()["rows"]] == ["李四"]
    hidden = client.post(
        f"/api/v1/exchange/{rid}/query",
        json={"purpose": PURPOSE, "filters": [{"field": "address", "op": "prefix", "values": ["四川"]}]},
        headers=bearer(key),
    )
    assert hidden.status_code == 403 and "未授权" in hidden.json()["error"]["message"]


def test_refusals_are_explained_and_logged(
    client: TestClient, ctx: Ctx, world: World, clock: FixedClock
) -> None:
    rid = population(ctx, world)
    grant_id = granted(ctx, world, rid)
    key = credential(ctx, world)
    url = f"/api/v1/exchange/{rid}/records/{PEOPLE[0][0]}"
    assert client.get(url, params={"purpose": PURPOSE}).status_code == 401
    bad = client.get(url, params={"purpose": PURPOSE}, headers=bearer(key[:-2] + "xx"))
    assert bad.status_code == 401 and bad.json()["error"]["message"] == "应用凭证无效"
    wrong = client.get(url, params={"purpose": "招商引资"}, headers=bearer(key))
    assert wrong.status_code == 403 and "用途" in wrong.json()["error"]["message"]
    other = credential(ctx, world, "renshe_officer")
    stranger = client.get(url, params={"purpose": PURPOSE}, headers=bearer(other))
    assert stranger.status_code == 403 and "有效共享授权" in stranger.json()["error"]["message"]
    # Expired grants stop working at once.
    clock.advance(days=30)
    expired = client.get(url, params={"purpose": PURPOSE}, headers=bearer(key))
    assert expired.status_code == 403
    clock.advance(days=-30)
    assert client.get(url, params={"purpose": PURPOSE}, headers=bearer(key)).status_code == 200
    service.revoke(ctx, world.actor("gongan_officer"), grant_id, RevokeIn(reason="用途结束"))
    ctx.session.commit()
    assert client.get(url, params={"purpose": PURPOSE}, headers=bearer(key)).status_code == 403
    outcomes = ctx.session.execute(
        select(ExchangeCall.outcome, func.count()).group_by(ExchangeCall.outcome)
    ).all()
    assert dict(outcomes) == {"refused": 6, "success": 1}
    reasons = ctx.session.execute(
        select(ExchangeCall.reason).where(ExchangeCall.outcome == "refused")
    ).scalars()
    assert all(reasons)
    refused_events = ctx.session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "refused")
    ).scalar()
    assert refused_events == 6
    # The provider's usage report counts them per consumer and purpose, refusals included.
    import datetime as dt

    from govdata.sharing import queries

    report = queries.usage(ctx, world.actor("gongan_officer"), dt.date(2026, 11, 1), dt.date(2026, 12, 31))
    minzheng = next(u for u in report if u.consumer == world.orgs["minzheng"].name and u.purpose == PURPOSE)
    assert (minzheng.calls, minzheng.refused, minzheng.records) == (3, 2, 1)


def test_rate_limit_per_application(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = population(ctx, world)
    granted(ctx, world, rid)
    key = credential(ctx, world, rate=3)
    url = f"/api/v1/exchange/{rid}/records/{PEOPLE[0][0]}"
    codes = [client.get(url, params={"purpose": PURPOSE}, headers=bearer(key)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_match_answers_without_values_even_on_not_shared_entries(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    rid = population(ctx, world, share_type="none", share_conditions=None)
    granted(ctx, world, rid, channel="match", purpose="身份核验", items=["id_number", "name", "birth_date"])
    key = credential(ctx, world)
    claims = {"name": "张三", "birth_date": "1980-01-02"}
    resp = client.post(
        f"/api/v1/exchange/{rid}/match",
        json={"purpose": "身份核验", "subject": PEOPLE[0][0], "claims": claims},
        headers=bearer(key),
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"grant_id": resp.json()["grant_id"], "subject_found": True,
                           "results": {"name": True, "birth_date": False}}  # fmt: skip
    assert "1980-01-01" not in resp.text and "汶川" not in resp.text  # no value leaves
    data = client.get(
        f"/api/v1/exchange/{rid}/records/{PEOPLE[0][0]}", params={"purpose": "身份核验"}, headers=bearer(key)
    )
    assert data.status_code == 403 and "核验" in data.json()["error"]["message"]


def test_changes_follow_a_cursor(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = population(ctx, world)
    granted(ctx, world, rid, channel="database")
    key = credential(ctx, world)
    url = f"/api/v1/exchange/{rid}/changes"
    first = client.get(url, params={"purpose": PURPOSE, "limit": 2}, headers=bearer(key)).json()
    assert len(first["rows"]) == 2 and first["has_more"]
    second = client.get(
        url, params={"purpose": PURPOSE, "cursor": first["cursor"]}, headers=bearer(key)
    ).json()
    assert len(second["rows"]) == 1 and not second["has_more"]
    again = client.get(
        url, params={"purpose": PURPOSE, "cursor": second["cursor"]}, headers=bearer(key)
    ).json()
    assert again["rows"] == [] and again["cursor"] == second["cursor"]
    broken = client.get(url, params={"purpose": PURPOSE, "cursor": "abc"}, headers=bearer(key))
    assert broken.status_code == 422


def test_export_csv_and_parquet_stream_masked_rows(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = population(ctx, world)
    granted(ctx, world, rid, channel="file", items=["id_number", "name", "birth_date"])
    key = credential(ctx, world)
    resp = client.get(f"/api/v1/exchange/{rid}/export", params={"purpose": PURPOSE}, headers=bearer(key))
    assert resp.status_code == 200, resp.text
    rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["张三", "李四", "王五"]
    assert all("*" in r["id_number"] for r in rows) and "address" not in rows[0]
    parquet = client.get(
        f"/api/v1/exchange/{rid}/export",
        params={"purpose": PURPOSE, "format": "parquet"},
        headers=bearer(key),
    )
    assert parquet.status_code == 200
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == 3 and table.column("birth_date").type.__str__() == "date32[day]"
    calls = ctx.session.execute(select(ExchangeCall.operation, ExchangeCall.records)).all()
    assert calls == [("export", 3), ("export", 3)]


def test_concurrent_calls_are_all_logged_in_one_unbroken_chain(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    """The API's group commit: many calls at once, each logged before it answers, the chain intact."""
    from concurrent.futures import ThreadPoolExecutor

    from govdata.audit.service import verify

    rid = population(ctx, world)
    granted(ctx, world, rid)
    key = credential(ctx, world)

    def call(i: int) -> int:
        person = PEOPLE[i % len(PEOPLE)][0]
        url = f"/api/v1/exchange/{rid}/records/{person}"
        return client.get(url, params={"purpose": PURPOSE}, headers=bearer(key)).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(call, range(40)))
    assert codes == [200] * 40
    ctx.session.rollback()
    calls = ctx.session.execute(select(func.count()).select_from(ExchangeCall)).scalar()
    assert calls == 40
    result = verify(ctx, world.actor("auditor"))
    assert result.ok, result.message()


def test_corrections_reach_the_consumers_that_received_the_old_value(
    client: TestClient, ctx: Ctx, world: World, tmp_path: Path
) -> None:
    from govdata.pool.service import load_file
    from govdata.sharing.models import CorrectionNotice

    rid = population(ctx, world)
    granted(ctx, world, rid, items=["id_number", "name", "address"])
    key = credential(ctx, world)
    zhang, li = PEOPLE[0][0], PEOPLE[1][0]
    resp = client.get(
        f"/api/v1/exchange/{rid}/records/{zhang}", params={"purpose": PURPOSE}, headers=bearer(key)
    )
    assert resp.status_code == 200
    # 公安 corrects 张三's name and 李四's birth date; only 张三 was delivered, and birth_date is not granted.
    fixed = tmp_path / "fix.csv"
    fixed.write_text(
        "公民身份号码,姓名,出生日期,户籍地址\n"
        f"{zhang},张叁,1980-01-01,{PEOPLE[0][3]}\n"
        f"{li},李四,1992-03-16,{PEOPLE[1][3]}\n",
        encoding="utf-8",
    )
    batch = load_file(ctx, world.actor("gongan_officer"), rid, fixed)
    ctx.session.commit()
    assert batch.rows_updated == 2
    notices = ctx.session.execute(select(CorrectionNotice)).scalars().all()
    assert [(n.subject_id, n.consumer_org_id) for n in notices] == [(zhang, world.orgs["minzheng"].id)]
    assert notices[0].changes == '{"name": ["张三", "张叁"]}'
    listed = client.get("/api/v1/share-notices", headers=bearer_person(ctx, world))
    assert listed.status_code == 200 and listed.json()[0]["subject_id"] == zhang


def bearer_person(ctx: Ctx, world: World, who: str = "minzheng_officer") -> dict[str, str]:
    from tests.http.helpers import auth, token_for

    headers = auth(token_for(ctx, world, who))
    ctx.session.commit()
    return headers


def test_bad_exchange_input_gets_a_chinese_message_and_serves_nothing(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    rid = population(ctx, world)
    granted(ctx, world, rid)
    key = credential(ctx, world)
    base = f"/api/v1/exchange/{rid}"
    bad = [
        client.post(
            f"{base}/lookup", json={"purpose": PURPOSE, "subjects": "not-a-list"}, headers=bearer(key)
        ),
        client.post(f"{base}/lookup", json={"purpose": "", "subjects": ["x"]}, headers=bearer(key)),
        client.post(
            f"{base}/lookup",
            content=b"{not json",
            headers={**bearer(key), "content-type": "application/json"},
        ),
        client.post(f"{base}/query", json={"purpose": PURPOSE, "limit": 0}, headers=bearer(key)),
        client.post(
            f"{base}/query",
            json={"purpose": PURPOSE, "filters": [{"field": "x'; DROP TABLE pool; --", "values": ["1"]}]},
            headers=bearer(key),
        ),
        client.get(f"{base}/export", params={"purpose": PURPOSE, "format": "xls"}, headers=bearer(key)),
        client.get(f"{base}/changes", params={"purpose": PURPOSE, "cursor": "1.x"}, headers=bearer(key)),
        client.post(
            f"{base}/match",
            json={"purpose": PURPOSE, "subject": PEOPLE[0][0], "claims": {}},
            headers=bearer(key),
        ),
    ]
    for resp in bad:
        assert resp.status_code in (403, 422), resp.text
        message = resp.json()["error"]["message"]
        assert message and any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    served = ctx.session.execute(
        select(func.count()).select_from(ExchangeCall).where(ExchangeCall.outcome == "success")
    ).scalar()
    assert served == 0


def test_group_log_writer_ends_when_idle_and_starts_again(ctx: Ctx, world: World, engine: object) -> None:
    import time as _time

    from govdata.clock import FixedClock
    from govdata.db import make_session_factory
    from govdata.sharing.calllog import CallRecord, GroupLog

    log = GroupLog(make_session_factory(engine), FixedClock(ctx.clock.now()), idle=0.05)  # type: ignore[arg-type]

    def record(reason: str) -> CallRecord:
        return CallRecord(at=ctx.clock.now(), actor=None, app_id=None, consumer_org_id=None, resource_id=None,
                          provider_org_id=None, grant_id=None, operation="lookup", purpose=None, items=[],
                          records=0, outcome="refused", reason=reason)  # fmt: skip

    log.write(ctx, record("第一次"))
    _time.sleep(0.3)
    assert log._thread is None  # idle: the writer has ended
    log.write(ctx, record("第二次"))
    log.close()
    reasons = ctx.session.execute(select(ExchangeCall.reason).order_by(ExchangeCall.id)).scalars().all()
    assert reasons == ["第一次", "第二次"]


def test_call_log_is_kept_for_the_retention_period_then_purged(
    client: TestClient, ctx: Ctx, world: World, clock: FixedClock
) -> None:
    import datetime as dt

    import pytest

    from govdata.clock import CHINA_TZ
    from govdata.errors import InvalidInput
    from govdata.sharing.service import purge_call_log

    rid = population(ctx, world)
    granted(ctx, world, rid)
    key = credential(ctx, world)
    client.get(
        f"/api/v1/exchange/{rid}/records/{PEOPLE[0][0]}", params={"purpose": PURPOSE}, headers=bearer(key)
    )
    admin = world.actor("admin")
    with pytest.raises(InvalidInput, match="24 个月"):
        purge_call_log(ctx, admin, dt.datetime(2026, 12, 1, tzinfo=CHINA_TZ))
    clock.set(dt.datetime(2029, 6, 1, 9, 0, tzinfo=CHINA_TZ))
    assert purge_call_log(ctx, admin, dt.datetime(2027, 1, 1, tzinfo=CHINA_TZ)) == 1
    ctx.session.commit()
    assert ctx.session.execute(select(func.count()).select_from(Delivery)).scalar() == 0


def test_decimals_leave_as_people_write_them(
    client: TestClient, ctx: Ctx, world: World, tmp_path: Path
) -> None:
    """The pool keeps NUMERIC(38, 10); the exchange's JSON and CSV say 65.5 and 70, not 65.5000000000."""
    from govdata.pool.service import load_file
    from tests.world import entry_data

    items = [
        *entry_data()["items"],
        {"name": "体重", "field_name": "weight", "data_type": "decimal", "sensitivity": 1},
    ]
    rid = published(ctx, world, name="户籍人口体重信息", items=items).id
    ctx.session.commit()
    path = tmp_path / "people.csv"
    weights = ["65.5", "70", "0.125"]
    path.write_text(
        "公民身份号码,姓名,出生日期,户籍地址,体重\n"
        + "".join(f"{','.join(p)},{w}\n" for p, w in zip(PEOPLE, weights, strict=True)),
        encoding="utf-8",
    )
    load_file(ctx, world.actor("gongan_officer"), rid, path)
    granted(ctx, world, rid, channel="file", items=["name", "weight"])
    key = credential(ctx, world)
    found = client.get(
        f"/api/v1/exchange/{rid}/records/{PEOPLE[0][0]}", params={"purpose": PURPOSE}, headers=bearer(key)
    )
    assert found.status_code == 200, found.text
    assert found.json()["rows"][0]["weight"] == "65.5"
    exported = client.get(f"/api/v1/exchange/{rid}/export", params={"purpose": PURPOSE}, headers=bearer(key))
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["weight"] for r in rows] == weights
