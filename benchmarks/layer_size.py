"""The Lambda layer's unzipped size on arm64, summed from the wheels of layer/requirements.lock."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT_MB = 250  # a function and its layers, unzipped (AWS Lambda quotas)
# The wheels the SAM build would install for an arm64 function (template.yaml).
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64")


def python_version() -> str:
    """The layer's Python, from the template's Runtime (e.g. python3.12 -> 3.12)."""
    match = re.search(r"Runtime:\s*python(3\.\d+)", (ROOT / "template.yaml").read_text())
    return match.group(1) if match else "3.12"


def download(into: Path) -> list[Path]:
    """The wheels pip resolves for the layer on Linux arm64 (pip's own cache makes reruns fast)."""
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"),
            *("--only-binary=:all:", "--python-version", python_version(), *platforms),
            *("-r", str(ROOT / "layer" / "requirements.lock"), "-d", str(into)),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return sorted(into.glob("*.whl"))


def unzipped(wheel: Path) -> int:
    with zipfile.ZipFile(wheel) as archive:
        return sum(info.file_size for info in archive.infolist())


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="layer-") as temp:
        try:
            wheels = download(Path(temp))
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            print(f"layer size: skipped, the package index is out of reach ({error})")
            return
        sizes = sorted(((unzipped(w), w.name.split("-")[0]) for w in wheels), reverse=True)
    total = sum(size for size, _ in sizes) / 1e6
    print(f"layer on linux arm64, python {python_version()}: {len(sizes)} wheels")
    for size, name in sizes[:8]:
        print(f"  {name:<28}{size / 1e6:>8.1f} MB")
    verdict = "ok" if total < LIMIT_MB else "MISSED"
    print(f"layer unzipped: {total:.0f} MB (limit {LIMIT_MB} MB with the function): {verdict}")


if __name__ == "__main__":
    main()
