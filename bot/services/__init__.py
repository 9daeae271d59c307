"""Use-case services: each function owns one transaction and returns plain dataclasses."""
