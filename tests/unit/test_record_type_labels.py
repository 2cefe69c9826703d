"""Every record type has its Chinese label (the dashboard's history and `fivestar history`
print it beside the id): the mechanism, case and ladder records (activity.held, case.reported,
problem.registered, intervention.started …) showed as bare ids."""

from __future__ import annotations

import re

from api.http.openapi import record_types_pattern
from api.http.ui import labels


def test_every_record_type_has_a_chinese_label() -> None:
    types = re.findall(r"[a-z_]+\\\.[a-z_]+", record_types_pattern().split(")(")[0])
    assert len(types) > 30
    bare = [
        t.replace("\\", "")
        for t in types
        if labels.record_type(t.replace("\\", "")) == t.replace("\\", "")
    ]
    assert bare == []
