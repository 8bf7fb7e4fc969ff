"""The library other hosts import: `profilephoto.local()`, `aws()`, `memory()`, `asgi_app()`."""
