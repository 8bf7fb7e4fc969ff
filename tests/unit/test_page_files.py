"""The page's ES modules all ship, and reach the browser as JavaScript whatever the MIME table."""

import re

import starlette.responses
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from profilephoto.entrypoints.local.server import STATIC, PageFiles

IMPORT = re.compile(r'^import \{[^}]*\} from "\./([\w-]+\.js)";$', re.M)


def test_every_module_the_page_loads_is_shipped_beside_it():
    page = (STATIC / "index.html").read_text()
    entry = re.findall(r'<script type="module" src="/static/([\w-]+\.js)">', page)
    assert entry == ["app.js"]
    seen, todo = set(), list(entry)
    while todo:
        name = todo.pop()
        seen.add(name)
        assert (STATIC / name).is_file(), f"{name} is imported but not in static/"
        todo += [n for n in IMPORT.findall((STATIC / name).read_text()) if n not in seen]
    assert seen == {p.name for p in STATIC.glob("*.js")}, "a script in static/ nothing loads"


def test_a_module_is_served_as_javascript_where_the_mime_table_says_text_plain(monkeypatch):
    # Given a host whose MIME table maps .js to text/plain (as Windows' registry can)
    monkeypatch.setattr(starlette.responses, "guess_type", lambda *_a, **_k: ("text/plain", None))
    app = Starlette(routes=[Mount("/static", PageFiles(directory=STATIC))])
    # When the browser fetches a module
    response = TestClient(app).get("/static/app.js")
    # Then it is JavaScript, which a module script must be
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert TestClient(app).get("/static/app.css").headers["content-type"].startswith("text/plain")
