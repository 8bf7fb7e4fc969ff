"""The page's own list of finished states is the domain's (it stops polling at them)."""

import json
import re
from pathlib import Path

import profilephoto.entrypoints.local
from profilephoto.domain.models import TERMINAL_STATUSES

STATE_JS = Path(profilephoto.entrypoints.local.__file__).parent / "static" / "state.js"


def test_the_page_stops_at_exactly_the_domains_terminal_states():
    declared = re.search(r"export const TERMINAL = new Set\((\[[^\]]*\])\);", STATE_JS.read_text())
    assert declared is not None, "state.js declares TERMINAL"
    assert set(json.loads(declared.group(1))) == {s.value for s in TERMINAL_STATUSES}
