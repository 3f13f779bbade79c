from __future__ import annotations

from pprof_testlib import utc

__all__ = ["utc"]
