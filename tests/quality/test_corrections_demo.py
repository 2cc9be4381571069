"""The demo gives `/me/data` something true: the public person's records, who looked her up, two requests."""

from __future__ import annotations

from sqlalchemy import select

from govdata.context import Ctx
from govdata.demo.loader import load_demo
from govdata.org.models import User
from govdata.org.service import actor_for
from govdata.quality import corrections, subject


def test_demo_subject_has_records_accesses_and_requests(ctx: Ctx) -> None:
    load_demo(ctx)
    ctx.session.commit()
    user = ctx.session.scalars(select(User).where(User.username == "public_person")).one()
    person = actor_for(user)
    data = subject.my_data(ctx, person)
    assert len(data.records) >= 2
    assert subject.my_accesses(ctx, person)
    states = {r.state for r in corrections.mine(ctx, person)}
    assert corrections.S.CORRECTED in states and states & set(corrections.PENDING_STATES)
    assert any(r.under_verification for r in data.records)
