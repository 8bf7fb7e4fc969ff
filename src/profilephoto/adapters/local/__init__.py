"""The embedded default: SQLite, filesystem, local queue, WebSocket hub and local auth."""
