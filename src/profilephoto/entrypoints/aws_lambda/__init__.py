"""AWS Lambda handlers (docs/api.md §2): thin translations between events and the services."""
