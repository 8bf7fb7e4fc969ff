"""AWS Lambda handlers (CONTRACT §2): thin translations between events and the services."""
