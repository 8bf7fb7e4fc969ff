"""Nothing is imported at run time that `pip install .` does not declare.

Test tools never hide a missing runtime dependency: every import in src/ (lazy ones
included, TYPE_CHECKING left out) maps to the distribution that provides it here, and that
distribution must be one of pyproject's runtime dependencies.
"""

from __future__ import annotations

from tests import shipping


def test_every_import_in_src_is_a_declared_runtime_dependency():
    imports = [i for path in shipping.src_files() for i in shipping.imports_of(path)]
    declared = shipping.names(shipping.runtime_requirements())
    assert shipping.undeclared(imports, declared) == {}


def test_the_walk_sees_lazy_imports_and_maps_them_to_their_distribution():
    module = shipping.PACKAGE / "adapters" / "gemini.py"
    found = {i.module for i in shipping.imports_of(module)}
    assert {"google.genai", "google.genai.types"} <= found
    assert shipping.distribution_of("google.genai.types") == "google-genai"
    assert shipping.distribution_of("PIL.Image") == "pillow"
    assert shipping.distribution_of("pytest") == "pytest"
    late = [shipping.Import("pytest", "x.py:3"), shipping.Import("json", "x.py:1")]
    assert shipping.undeclared(late, {"pillow"}) == {"pytest (x.py:3)": "pytest"}


def test_the_worker_images_requirements_hold_every_import_its_handler_can_reach():
    # worker/requirements.txt alone, with the base image's boto3, runs the worker (§8): every
    # import the process handler may reach, lazy ones included, is in that file.
    roots = shipping.image_handler_modules()
    assert roots == ["profilephoto.entrypoints.aws_lambda.process"]
    # bootstrap(runtime) imports the container of the runtime it is asked for; on AWS
    # that is never the local or the memory one.
    other_runtimes = frozenset({"profilephoto.containers.local", "profilephoto.containers.memory"})
    reachable = shipping.reachable_from(roots, skip=other_runtimes)
    modules = shipping.own_modules()
    imports = [i for name in sorted(reachable) for i in shipping.imports_of(modules[name])]
    declared = shipping.names(shipping.requirement_lines(shipping.WORKER_REQUIREMENTS))
    assert shipping.undeclared(imports, declared | shipping.LAMBDA_RUNTIME_PROVIDES) == {}
