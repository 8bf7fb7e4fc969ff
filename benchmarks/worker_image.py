"""The worker's container image: its packages installed for linux/arm64 as worker/Dockerfile
installs them, and how much it weighs against the zip limit it left behind."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What worker/Dockerfile installs: the lock of worker/requirements.txt (`make lock`).
REQUIREMENTS = ROOT / "worker" / "requirements.lock"
DOCKERFILE = ROOT / "worker" / "Dockerfile"
ZIP_LIMIT_MB = 250  # a zip function and its layers, unzipped (AWS Lambda quotas)
IMAGE_LIMIT_MB = 10 * 1024  # a container image (AWS Lambda quotas)
ARM64 = ("manylinux_2_28_aarch64", "manylinux2014_aarch64", "manylinux_2_17_aarch64")
OFFLINE = ("NewConnectionError", "Temporary failure in name resolution", "Network is unreachable")


class IndexUnreachable(RuntimeError):
    """pip could not reach the package index (not: a package has no wheel)."""


def python_version() -> str:
    """The image's Python, from the Lambda base image worker/Dockerfile builds on."""
    found = re.search(
        r"^FROM public\.ecr\.aws/lambda/python:(3\.\d+)", DOCKERFILE.read_text(), re.M
    )
    return found.group(1) if found else "3.12"


def lambda_python() -> str | None:
    """An interpreter of the image's Python version on this machine, if there is one."""
    return interpreter(python_version())


def interpreter(version: str) -> str | None:
    """An interpreter of Python `version` ("3.12") on this machine, if there is one."""
    found = [shutil.which(f"python{version}")]
    found += sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python3"), reverse=True)
    check = f"import sys; sys.exit(sys.version_info[:2] != ({version.replace('.', ', ')}))"
    for python in filter(None, found):
        if subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0:
            return str(python)
    return None


def install(into: Path, *requirements: str, python: str | None = None, arm64: bool = False) -> None:
    """`pip install --target` as the Dockerfile does: binary wheels only; for linux/arm64
    and the image's Python when `arm64`, else for this machine under `python`. pip checks a
    package's Requires-Python against the interpreter it runs on even with
    --python-version, so the image's Python runs it when this machine has one."""
    if python is None and arm64:
        python = lambda_python()
    options = ["--only-binary=:all:", "--target", str(into)]
    if arm64:
        platforms = [arg for p in ARM64 for arg in ("--platform", p)]
        options += [*platforms, "--python-version", python_version(), "--implementation", "cp"]
    run = subprocess.run(
        [
            python or sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *options,
            *requirements,
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if run.returncode != 0:
        if any(marker in run.stderr for marker in OFFLINE):
            raise IndexUnreachable(run.stderr[-300:])
        raise RuntimeError(f"pip install failed:\n{run.stderr[-2000:]}")
    for rlib in into.rglob("*.rlib"):  # as the Dockerfile drops them
        rlib.unlink()


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="worker-image-") as temp:
        try:
            install(Path(temp), "-r", str(REQUIREMENTS), arm64=True)
        except IndexUnreachable as error:
            print(f"worker image: skipped, the package index is out of reach ({error})")
            return
        packages = size_mb(Path(temp))
        biggest = sorted(
            ((size_mb(p), p.name) for p in Path(temp).iterdir() if p.is_dir()), reverse=True
        )[:6]
    code = size_mb(ROOT / "src" / "profilephoto")
    print(f"worker image on linux arm64, python {python_version()} (on the Lambda base image)")
    for mb, name in biggest:
        print(f"  {name:<28}{mb:>8.1f} MB")
    total = packages + code
    print(
        f"packages {packages:.0f} MB + code {code:.1f} MB = {total:.0f} MB "
        f"(image limit {IMAGE_LIMIT_MB} MB; as a zip with its layer the limit is {ZIP_LIMIT_MB} MB)"
    )


if __name__ == "__main__":
    main()
