"""In-memory fakes of every port: small, thread-safe, inspectable, and told when to fail."""

from profilephoto.adapters.memory.basics import FixedClock, SequentialIds
from profilephoto.adapters.memory.faces import InMemoryFaceMatcher
from profilephoto.adapters.memory.generator import PassthroughImageProcessor, ScriptedImageGenerator
from profilephoto.adapters.memory.labels import RecordingLabeler
from profilephoto.adapters.memory.messaging import InMemoryJobQueue, RecordingNotifier
from profilephoto.adapters.memory.objects import InMemoryObjectStore
from profilephoto.adapters.memory.pauses import InMemoryPauseRecord
from profilephoto.adapters.memory.photos import InMemoryPhotoInspector
from profilephoto.adapters.memory.store import InMemoryUnitOfWork

__all__ = [
    "FixedClock",
    "InMemoryFaceMatcher",
    "InMemoryJobQueue",
    "InMemoryObjectStore",
    "InMemoryPauseRecord",
    "InMemoryPhotoInspector",
    "InMemoryUnitOfWork",
    "PassthroughImageProcessor",
    "RecordingLabeler",
    "RecordingNotifier",
    "ScriptedImageGenerator",
    "SequentialIds",
]
