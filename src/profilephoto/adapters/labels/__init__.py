"""The ContentLabeler adapter: XMP and a signed C2PA manifest on every result."""
