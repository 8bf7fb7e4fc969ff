import pytest

from profilephoto.domain.errors import UnknownStyle
from profilephoto.domain.styles import StyleCatalog


def test_the_catalog_has_at_least_six_distinct_styles_with_real_prompts():
    styles = StyleCatalog().all()
    assert len(styles) >= 6
    assert len({s.id for s in styles}) == len(styles)
    assert len({s.prompt for s in styles}) == len(styles)
    for style in styles:
        assert "identity" in style.prompt and "head-and-shoulders" in style.prompt
        assert "square" in style.prompt


@pytest.mark.parametrize("bad", ["nope", "", None, 3, ["professional"]])
def test_unknown_styles_list_the_valid_ones(bad):
    with pytest.raises(UnknownStyle) as raised:
        StyleCatalog().get(bad)
    assert "professional" in raised.value.to_body()["styles"]
