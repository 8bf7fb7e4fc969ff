"""The use cases: what a user, a worker or an operator does, over the domain's ports."""
