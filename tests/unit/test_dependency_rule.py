"""The dependency rule: the domain imports only the standard library and pydantic; the use
cases (services) import the domain, never adapters or entrypoints; nothing imports upward."""

import ast
import sys
from pathlib import Path

import profilephoto.domain
import profilephoto.services

DOMAIN = Path(profilephoto.domain.__file__).parent
SERVICES = Path(profilephoto.services.__file__).parent
ALLOWED_THIRD_PARTY = {"pydantic"}
STDLIB_OK = set(sys.stdlib_module_names) | {"__future__"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_nothing_but_stdlib_pydantic_and_itself():
    offenders = {}
    for path in DOMAIN.rglob("*.py"):
        extra = imported_roots(path) - ALLOWED_THIRD_PARTY - STDLIB_OK - {"profilephoto"}
        if extra:
            offenders[path.name] = extra
    assert offenders == {}


def test_services_import_nothing_but_stdlib_pydantic_and_the_library():
    offenders = {}
    for path in SERVICES.rglob("*.py"):
        extra = imported_roots(path) - ALLOWED_THIRD_PARTY - STDLIB_OK - {"profilephoto"}
        if extra:
            offenders[path.name] = extra
    assert offenders == {}


def test_domain_never_imports_services_adapters_or_entrypoints():
    for path in DOMAIN.rglob("*.py"):
        text = path.read_text()
        for layer in ("services", "adapters", "entrypoints", "containers"):
            assert f"profilephoto.{layer}" not in text, (path, layer)


def test_services_never_import_adapters_or_entrypoints():
    for path in SERVICES.rglob("*.py"):
        text = path.read_text()
        for layer in ("adapters", "entrypoints", "containers"):
            assert f"profilephoto.{layer}" not in text, (path, layer)


def test_the_checker_would_catch_a_boto3_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import boto3\nfrom PIL import Image\nfrom google import genai\n")
    assert imported_roots(bad) == {"boto3", "PIL", "google"}


def test_no_vendor_notion_lives_in_the_domain_or_the_use_cases():
    """Gemini's media resolutions and token prices live beside its adapter
    (adapters/gemini_input.py, adapters/gemini_pricing.py); a second generator needs none."""
    notions = ("media_resolution", "MediaResolution", "PriceTable", "ModelPrice")
    for path in [*DOMAIN.rglob("*.py"), *SERVICES.rglob("*.py")]:
        text = path.read_text()
        assert not [n for n in notions if n in text], path
