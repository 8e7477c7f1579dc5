"""The frameworks that code of today builds on, against a real mockapi server."""
