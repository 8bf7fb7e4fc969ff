"""What the shipped installs must hold: requirement files, and the imports of src/ by module.

Shared by the static checks (tests/unit/test_declared_dependencies.py) and the tests that
build and run the shipped installs (tests/e2e/test_shipped_installs.py).
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "profilephoto"
PYPROJECT = ROOT / "pyproject.toml"
LAYER = ROOT / "layer"
LAYER_REQUIREMENTS = LAYER / "requirements.txt"
LAYER_LOCK = LAYER / "requirements.lock"
WORKER = ROOT / "worker"
WORKER_REQUIREMENTS = WORKER / "requirements.txt"
WORKER_LOCK = WORKER / "requirements.lock"
LOCKS = {LAYER_REQUIREMENTS: LAYER_LOCK, WORKER_REQUIREMENTS: WORKER_LOCK}
TEMPLATE = ROOT / "template.yaml"
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
# The Lambda Python runtime brings boto3 (and what boto3 needs); the layer does not ship it.
LAMBDA_RUNTIME_PROVIDES = {"boto3", "botocore"}
NAMESPACE = "(namespace package)"
# What only the worker imports (the model, images, the photo check, the AI label): in its
# image, kept out of the zip functions' layer (cryptography comes to the layer with
# PyJWT[crypto], for the WebSocket authorizer's keys).
WORKER_ONLY = {
    "google-genai",
    "httpx2",
    "pillow",
    "pillow-heif",
    "ai-edge-litert",
    "numpy",
    "c2pa-python",
    "cryptography",
    "onnxruntime",
}
# The Lambda runtime the layer and the image are built for (template.yaml, worker/Dockerfile):
# the environment markers of a requirement are evaluated there.
LAMBDA_MARKERS = {
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
    "os_name": "posix",
    "extra": "",
}


@dataclass(frozen=True)
class Import:
    module: str  # the dotted name imported, e.g. "google.genai.types"
    where: str  # "profilephoto/adapters/gemini.py:14"


def runtime_requirements() -> list[Requirement]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    return [Requirement(line) for line in project["dependencies"]]


def requirement_lines(path: Path) -> list[Requirement]:
    """The requirements of a pip requirements file (comments, options and hashes left out)."""
    text = re.sub(r"\\\n", " ", path.read_text())
    found = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        found.append(Requirement(re.sub(r"\s+--hash=\S+", "", line)))
    return found


@dataclass(frozen=True)
class Pin:
    version: str
    hashes: tuple[str, ...]
    via: tuple[str, ...]  # what asked for it, as the lock's `# via` comments say


def locked(path: Path) -> dict[str, Pin]:
    """{name: Pin} of a lock file that `uv pip compile --generate-hashes` wrote."""
    pins: dict[str, Pin] = {}
    entries = re.split(r"\n(?=[A-Za-z0-9])", path.read_text())
    for entry in entries:
        head = re.match(r"([A-Za-z0-9_.\-]+)==(\S+)", entry)
        if head is None:
            continue
        via = re.findall(r"#\s+(?:via\s+)?(-[rc] \S+|[A-Za-z0-9_.\-]+)\s*$", entry, re.MULTILINE)
        pins[canonicalize_name(head.group(1))] = Pin(
            version=head.group(2),
            hashes=tuple(re.findall(r"--hash=(\S+)", entry)),
            via=tuple(v for v in via if v != "via"),
        )
    return pins


def names(requirements: list[Requirement]) -> set[str]:
    return {canonicalize_name(r.name) for r in requirements}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


@cache
def imports_of(path: Path) -> list[Import]:
    """Every import that runs: at module level or inside functions, not under TYPE_CHECKING."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[Import] = []

    def visit(node: ast.AST) -> None:
        if _type_checking_only(node):
            for child in node.orelse:  # type: ignore[attr-defined]
                visit(child)
            return
        where = f"{path.relative_to(SRC)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, where) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [base])])
            found.append(Import(base, where))
            # `from package import submodule` imports the submodule too.
            found.extend(Import(f"{base}.{alias.name}", where) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def src_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@cache
def own_modules() -> dict[str, Path]:
    return {module_name(path): path for path in src_files()}


def reachable_from(roots: list[str], skip: frozenset[str] = frozenset()) -> set[str]:
    """The package's own modules that importing `roots` may load (lazy imports included),
    not entering the modules in `skip` (say, another runtime's container)."""
    modules = own_modules()
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in modules or name in skip:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parents run first
        todo += [i.module for i in imports_of(modules[name]) if i.module.startswith("profilephoto")]
    return seen


def third_party(imports: list[Import]) -> list[Import]:
    return [i for i in imports if i.module.split(".")[0] not in STDLIB | {"profilephoto"}]


@cache
def _candidates() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


@cache
def _files_of(distribution: str) -> frozenset[Path]:
    dist = importlib.metadata.distribution(distribution)
    return frozenset(Path(dist.locate_file(f)).resolve() for f in dist.files or ())


@cache
def distribution_of(module: str) -> str | None:
    """The installed distribution that provides `module` (the nearest importable parent of a
    `from x import name` that is not a module itself); None when nothing installed does."""
    parts = module.split(".")
    owners = _candidates().get(parts[0], [])
    if len(owners) == 1:
        return canonicalize_name(owners[0])
    for end in range(len(parts), 0, -1):
        try:
            spec = importlib.util.find_spec(".".join(parts[:end]))
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        if spec.origin in (None, "namespace"):
            # A namespace package ("google" of `from google import genai`): shared by several
            # distributions, it names no owner; the module imported from it does.
            return NAMESPACE if end == len(parts) else None
        origin = Path(spec.origin).resolve()
        for owner in owners:  # several distributions share the name: the one with the file
            if origin in _files_of(owner):
                return canonicalize_name(owner)
        return None
    return None


def undeclared(imports: list[Import], declared: set[str]) -> dict[str, str]:
    """{"module (where)": distribution} for every import whose distribution is not declared."""
    missing: dict[str, str] = {}
    for found in third_party(imports):
        owner = distribution_of(found.module)
        if owner != NAMESPACE and owner not in declared:
            missing[f"{found.module.split('.')[0]} ({found.where})"] = owner or "not installed"
    return missing


def handler_modules() -> list[str]:
    """The modules of every `Handler:` template.yaml names (module.function)."""
    handlers = re.findall(r"^\s+Handler:\s*(\S+)\s*$", TEMPLATE.read_text(), re.MULTILINE)
    return sorted({h.rsplit(".", 1)[0] for h in handlers})


def image_handler_modules() -> list[str]:
    """The modules of every container image's handler (ImageConfig `Command: [module.function]`)."""
    handlers = re.findall(r"^\s+Command:\s*\[\s*([\w.]+)\s*\]", TEMPLATE.read_text(), re.MULTILINE)
    return sorted({h.rsplit(".", 1)[0] for h in handlers})
