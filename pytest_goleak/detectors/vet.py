"""``go vet`` as a detector: the existing :mod:`pytest_goleak.vet` behind the Detector interface.

vet always runs; only its leak analyzers (lostcancel, httpresponse) count as flagging a leak.
"""

from __future__ import annotations

import time

from .. import vet
from .base import DetectorResult, Finding, Target, absent, errored
from .source import relate


class VetDetector:
    name = "vet"

    def detect(self, target: Target) -> DetectorResult:
        if target.source_dir is None:
            return absent(self.name, "no Go source to analyse (a dockerfile: or image: scenario)")
        t0 = time.monotonic()
        raw = vet.run_vet(target.source_dir)
        seconds = time.monotonic() - t0
        broken = [f for f in raw if f.get("error")]
        if broken:
            return errored(self.name, str(broken[0]["message"]), seconds)
        leaks = [Finding(str(f["file"]), int(f["line"]), str(f["message"]), check=str(f["analyzer"]))
                 for f in raw if f["analyzer"] in vet.LEAK_ANALYZERS]
        related = relate(leaks, target.culprits)
        why = f"{len(related)} {'/'.join(sorted({f.check or '' for f in related}))} finding(s)" if related \
            else f"no leak findings ({len(raw)} other)"
        return DetectorResult(self.name, "ran", flagged=bool(related), findings=related, reason=why, seconds=seconds)
