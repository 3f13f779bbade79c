"""Run stage: build the service, start it (runtime/), set it up, drive load, capture snapshots."""
