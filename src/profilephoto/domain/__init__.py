"""The pure core of profilephoto: models, errors, policies, ports and use cases."""
