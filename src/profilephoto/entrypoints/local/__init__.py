"""The local server: plays API Gateway over the Lambda handlers, serves objects and a page."""
