"""pytest-goleak: gate merges on Go memory and goroutine growth, measured in Docker under load."""

__version__ = "0.1.0"
