"""In-memory fakes of every port: small, thread-safe, inspectable, and told when to fail."""

from profilephoto.adapters.memory.basics import FixedClock, SequentialIds
from profilephoto.adapters.memory.faces import InMemoryFaceMatcher
from profilephoto.adapters.memory.generator import PassthroughImageProcessor, ScriptedImageGenerator
from profilephoto.adapters.memory.labels import RecordingLabeler
from profilephoto.adapters.memory.messaging import (
    InMemoryJobQueue,
    InMemoryWebhookOutbox,
    RecordingNotifier,
)
from profilephoto.adapters.memory.objects import InMemoryObjectStore
from profilephoto.adapters.memory.pauses import InMemoryPauseRecord
from profilephoto.adapters.memory.photos import InMemoryPhotoInspector
from profilephoto.adapters.memory.store import InMemoryUnitOfWork
from profilephoto.adapters.memory.webhooks import (
    TEST_SECRET,
    RecordingWebhookSender,
    SentWebhook,
    StaticResolver,
)

__all__ = [
    "TEST_SECRET",
    "FixedClock",
    "InMemoryFaceMatcher",
    "InMemoryJobQueue",
    "InMemoryObjectStore",
    "InMemoryPauseRecord",
    "InMemoryPhotoInspector",
    "InMemoryUnitOfWork",
    "InMemoryWebhookOutbox",
    "PassthroughImageProcessor",
    "RecordingLabeler",
    "RecordingNotifier",
    "RecordingWebhookSender",
    "ScriptedImageGenerator",
    "SentWebhook",
    "SequentialIds",
    "StaticResolver",
]
