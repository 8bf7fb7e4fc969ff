"""What marks a result as made by AI (EU AI Act Art. 50(2)): IPTC source types, found labels."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

IPTC_SOURCE_TYPES = "http://cv.iptc.org/newscodes/digitalsourcetype/"


class DigitalSourceType(StrEnum):
    """IPTC's digital source types (cv.iptc.org/newscodes/digitalsourcetype) we write."""

    # A trained model made it (Gemini).
    TRAINED_ALGORITHMIC_MEDIA = IPTC_SOURCE_TYPES + "trainedAlgorithmicMedia"
    # An algorithm that learned nothing made it (the offline stylizer's filters).
    ALGORITHMIC_MEDIA = IPTC_SOURCE_TYPES + "algorithmicMedia"

    @property
    def term(self) -> str:
        """The code without its vocabulary, as people read it: `trainedAlgorithmicMedia`."""
        return self.value.removeprefix(IPTC_SOURCE_TYPES)


@dataclass(frozen=True)
class FoundLabel:
    """The label a file carries, as read back from its bytes.

    `signed` when it holds a C2PA manifest; `intact` is False when that manifest does not
    validate (the bytes changed after signing); `signer` names who signed it.
    """

    source_type: DigitalSourceType
    model: str | None
    signed: bool
    intact: bool
    signer: str | None = None
