"""What a use case needs besides the actor: the session, the clock, the profile and the calendar."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from govdata.clock import Clock
from govdata.profiles.schema import Profile
from govdata.workdays.calendar import WorkCalendar


@dataclass
class Ctx:
    session: Session
    clock: Clock
    _profile: Profile | None = field(default=None, repr=False)
    _calendar: WorkCalendar | None = field(default=None, repr=False)

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            from govdata.org.service import deployment_profile

            self._profile = deployment_profile(self.session)
        return self._profile

    @property
    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            from govdata.workdays.service import calendar_for

            self._calendar = calendar_for(self.session)
        return self._calendar
