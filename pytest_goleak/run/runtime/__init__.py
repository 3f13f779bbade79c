"""Where a fixture runs: a Docker container or a local process, behind one interface (base.py)."""
