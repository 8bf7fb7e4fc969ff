"""Webhook deliveries: Standard Webhooks signing and the HTTP sender with its SSRF guard."""
