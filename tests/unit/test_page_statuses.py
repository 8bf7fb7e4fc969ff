"""The page's own list of finished states is the domain's (it stops polling at them)."""

import json
import re
from pathlib import Path

import profilephoto.entrypoints.local
from profilephoto.domain.models import TERMINAL_STATUSES

APP_JS = Path(profilephoto.entrypoints.local.__file__).parent / "static" / "app.js"


def test_the_page_stops_at_exactly_the_domains_terminal_states():
    declared = re.search(r"const TERMINAL = new Set\((\[[^\]]*\])\);", APP_JS.read_text())
    assert declared is not None, "app.js declares TERMINAL"
    assert set(json.loads(declared.group(1))) == {s.value for s in TERMINAL_STATUSES}
