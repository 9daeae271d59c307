"""Test tooling shipped with the package: the fake WeChat API server and helpers to sign requests."""
