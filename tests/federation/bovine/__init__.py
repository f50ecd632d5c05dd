"""bovine-herd as a loopback federation peer for tests; see README.md."""
