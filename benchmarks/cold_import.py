"""CPU time of a fresh process importing each Lambda handler, against `import boto3`."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys

RUNS = 15
HANDLERS = {
    "api": "profilephoto.entrypoints.aws_lambda.api",
    "file_transfer": "profilephoto.entrypoints.aws_lambda.file_transfer",
    "websocket": "profilephoto.entrypoints.aws_lambda.websocket",
}
# What template.yaml sets for every function and that changes import work.
DEPLOYED = {"PYDANTIC_DISABLE_PLUGINS": "__all__"}


def cpu_seconds(module: str, env: dict[str, str]) -> float:
    """Median user+system CPU of `python -c 'import module'` (the whole process)."""
    runs = []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        runs.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(runs)


def main() -> None:
    for label, extra in (("as deployed (template.yaml env)", DEPLOYED), ("bare environment", {})):
        env = {**os.environ, **extra}
        baseline = cpu_seconds("boto3", env)
        print(f"\ncold import, {label}: median CPU of {RUNS} fresh processes")
        print(f"{'module':<16}{'CPU s':>8}{'x boto3':>10}")
        print(f"{'boto3':<16}{baseline:>8.3f}{1.0:>10.2f}")
        for name, module in HANDLERS.items():
            spent = cpu_seconds(module, env)
            print(f"{name:<16}{spent:>8.3f}{spent / baseline:>10.2f}")
    print("target: the api handler at most 1.30 x boto3 as deployed")


if __name__ == "__main__":
    main()
