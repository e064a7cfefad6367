from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm.model.announcement import Announcement, AnnouncementError, AnnouncementState
from crm.model.followup import FollowUp, FollowUpError
from crm.model.incident import Incident, IncidentError, IncidentType, area_ancestors

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_announcement_lifecycle() -> None:
    a = Announcement(title="t", body="b", created_by="sup", created_at=NOW, audience=[3])
    a.schedule(NOW + timedelta(hours=1))
    assert not a.publish_if_due(NOW)
    assert a.publish_if_due(NOW + timedelta(hours=1))
    assert a.state is AnnouncementState.PUBLISHED
    assert a.visible_to({3, 1}) and not a.visible_to({4})
    a.revoke(NOW)
    assert not a.visible_to({3})
    a.archive(NOW)
    with pytest.raises(AnnouncementError, match="cannot publish an announcement that is archived"):
        a.publish(NOW)


def test_followup_scores_one_to_five_once() -> None:
    f = FollowUp.for_resolved_ticket(5, NOW)
    with pytest.raises(FollowUpError):
        f.record_result(6, None, "qa", NOW)
    f.record_result(2, "还是没信号", "qa", NOW)
    assert f.satisfied is False
    with pytest.raises(FollowUpError):
        f.record_result(5, None, "qa", NOW)


def test_incident_needs_areas_and_areas_nest() -> None:
    with pytest.raises(IncidentError):
        Incident(type=IncidentType.POWER, title="x", areas=[], started_at=NOW, created_by="s")
    assert area_ancestors("北京/朝阳区/望京") == ["北京", "北京/朝阳区", "北京/朝阳区/望京"]
