"""docs/embedding.md's examples run as they are written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from profilephoto.adapters.webhooks.secret import new_secret
from tests.photos import portrait_jpeg

DOC = Path(__file__).parents[2] / "docs" / "embedding.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def blocks() -> list[str]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_embedding_example_is_short_and_touches_nothing_private() -> None:
    first = blocks()[0]
    assert len(first.strip().splitlines()) <= 10
    for block in blocks():
        # Only the package's own names: no module path inside it, no underscore attribute.
        assert not re.search(r"profilephoto\.[a-z_]+\.", block), block
        assert not re.search(r"\._[a-z]", block), block
        assert "from profilephoto" not in block


def test_every_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("PROFILEPHOTO_DATA_DIR", raising=False)
    monkeypatch.setenv("WEBHOOK_SECRET", new_secret())  # the webhook example's shell export
    (tmp_path / "me.jpg").write_bytes(portrait_jpeg())
    namespace: dict[str, object] = {"__name__": "embedding_doc"}
    for number, block in enumerate(blocks()):
        exec(compile(block, f"{DOC.name}[{number}]", "exec"), namespace)

    assert (tmp_path / "portrait.png").read_bytes()[:4] == b"\x89PNG"
    printed = capsys.readouterr().out
    assert "unknown_style - " in printed
    assert "job.completed True" in printed  # the webhook example's receiver verified it
    assert "'used': 2" in printed  # alice's jobs of the examples, seen through the mount
