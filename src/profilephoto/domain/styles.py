"""The catalog of styles a user can pick, each with the prompt the model receives."""

from __future__ import annotations

from profilephoto.domain.errors import UnknownStyle
from profilephoto.domain.models import Style

_IDENTITY = (
    "Use the person in the attached photo as the only subject. Preserve their identity "
    "exactly: the same face shape, facial features, eye colour, skin tone, hairline, age, "
    "and any glasses, facial hair or distinguishing marks. Do not beautify, slim, whiten or "
    "change their ethnicity, expression or apparent gender. "
)
_FRAMING = (
    " Compose a square 1:1 head-and-shoulders portrait: the face centred, looking at the "
    "camera, eyes about one third from the top, shoulders visible, nothing cropped at the "
    "chin or forehead. One person only. No text, logos, watermarks, borders or frames."
)


def _style(style_id: str, name: str, description: str, look: str) -> Style:
    return Style(
        id=style_id, name=name, description=description, prompt=_IDENTITY + look + _FRAMING
    )


STYLES: tuple[Style, ...] = (
    _style(
        "professional",
        "Professional",
        "A polished corporate headshot for LinkedIn and company pages.",
        "Create a professional corporate headshot: dress them in a well-fitted dark blazer "
        "over a plain shirt, soft studio key light from the front left with gentle fill, a "
        "smooth neutral grey backdrop with subtle falloff, natural skin texture, sharp focus "
        "on the eyes, shallow depth of field, the look of an 85mm portrait lens.",
    ),
    _style(
        "casual",
        "Casual",
        "A relaxed, friendly photo in natural daylight.",
        "Create a relaxed casual portrait: a plain crew-neck top or open-collar shirt, warm "
        "natural daylight from a window, a softly blurred outdoor park or cafe background, "
        "an easy, friendly feel, true-to-life colours.",
    ),
    _style(
        "creative",
        "Creative",
        "A bold, colourful editorial portrait for designers and artists.",
        "Create a bold creative editorial portrait: vivid complementary colour gels (teal and "
        "magenta) as rim lights, a solid saturated backdrop, crisp contrast, the feel of a "
        "contemporary magazine cover, while the face stays naturally lit and recognisable.",
    ),
    _style(
        "studio_bw",
        "Studio black & white",
        "A timeless black-and-white studio portrait.",
        "Create a classic black-and-white studio portrait: rich tonal range from deep blacks "
        "to clean whites, Rembrandt lighting with a soft triangle of light on the shadow "
        "cheek, a dark seamless backdrop, fine film-like grain, dark simple clothing.",
    ),
    _style(
        "outdoor",
        "Outdoor golden hour",
        "Warm golden-hour light with a soft natural background.",
        "Create an outdoor golden-hour portrait: low warm sunlight behind the subject giving "
        "a gentle hair rim light, soft bounce light on the face, a creamy out-of-focus "
        "background of trees and sky, smart casual clothing, warm but natural skin tones.",
    ),
    _style(
        "tech",
        "Tech founder",
        "A modern startup look in a bright office.",
        "Create a modern tech-industry portrait: a plain quality t-shirt or sweater under an "
        "unstructured jacket, bright even lighting, a softly blurred modern open-plan office "
        "with plants and glass behind, clean contemporary colour grading.",
    ),
    _style(
        "academic",
        "Academic",
        "A warm, trustworthy portrait for faculty and speaker pages.",
        "Create a warm academic portrait: a collared shirt with a knit sweater or tweed "
        "jacket, soft window light, a softly blurred background of wooden bookshelves, a "
        "calm, approachable and trustworthy feel, muted natural colours.",
    ),
)


class StyleCatalog:
    """Looks styles up by id; the order is the order shown to users."""

    def __init__(self, styles: tuple[Style, ...] = STYLES) -> None:
        self._styles = {style.id: style for style in styles}

    def all(self) -> list[Style]:
        return list(self._styles.values())

    def ids(self) -> list[str]:
        return list(self._styles)

    def get(self, style_id: str) -> Style:
        """The style with this id; UnknownStyle (listing the valid ids) otherwise."""
        if isinstance(style_id, str) and style_id in self._styles:
            return self._styles[style_id]
        raise UnknownStyle(f"Unknown style {style_id!r}", styles=self.ids())
