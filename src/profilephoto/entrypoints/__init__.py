"""Thin hosts over the services: Lambda handlers, the local server, the command line."""
