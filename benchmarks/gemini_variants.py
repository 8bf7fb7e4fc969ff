"""Wall time of `count` concurrent Gemini calls vs one, through the real SDK to a slow fake."""

from __future__ import annotations

import io
import os
import time
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from profilephoto.adapters.gemini import GeminiImageGenerator
from profilephoto.domain.models import ImageData
from profilephoto.domain.styles import StyleCatalog
from tests.integration.fake_gemini import FakeGemini, Reply, image_reply

MODEL_SECONDS = 1.0  # a fake model call that takes one second, as the figure asks
TARGET_RATIO = 1.3


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 150, 120)).save(out, "PNG")
    return out.getvalue()


def _wall(generator: GeminiImageGenerator, photo: ImageData, count: int) -> float:
    style = StyleCatalog().get("professional")
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=count) as pool:
        list(pool.map(lambda _: generator.generate([photo], style), range(count)))
    return time.perf_counter() - started


def main() -> None:
    answer = image_reply(_png())
    fake = FakeGemini(default=Reply(body=answer.body, delay=MODEL_SECONDS)).start()
    saved = {name: os.environ.get(name) for name in ("GOOGLE_GEMINI_BASE_URL", "NO_PROXY")}
    os.environ.update(GOOGLE_GEMINI_BASE_URL=fake.url, NO_PROXY="127.0.0.1")
    try:
        generator = GeminiImageGenerator(api_key="bench-key", timeout_seconds=30)
        photo = ImageData(data=_png(), content_type="image/png", media_resolution="high")
        _wall(generator, photo, 1)  # warm the client and its connection pool
        one = _wall(generator, photo, 1)
        four = _wall(generator, photo, 4)
    finally:
        fake.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    ratio = four / one
    verdict = "ok" if ratio <= TARGET_RATIO else "MISSED"
    print(
        f"model call {MODEL_SECONDS:.1f} s: count=1 {one:.2f} s, count=4 concurrent {four:.2f} s, "
        f"ratio {ratio:.2f} (target <= {TARGET_RATIO}): {verdict}"
    )
