"""The composition root: one dependency-injector container per runtime over shared services."""
