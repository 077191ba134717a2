"""Peak memory of decoding one response, in a fresh process.

Run by the benchmark as ``python -m tests.benchmarks.memory {ours,lxml} VERSION FILE``;
prints one JSON object. The figure is the growth of the resident set size
(RSS) from just before the call to its peak during the call, so it counts
libxml2's tree as well as Python objects (``tracemalloc`` sees only the
latter). On Linux the peak is reset first through ``/proc/self/clear_refs``;
where that is not possible the process-lifetime peak is used, which can only
overstate the figure.
"""

from __future__ import annotations

import gc
import json
import re
import sys
from pathlib import Path
from typing import Any

from .paths import GENERATED_DIR

if str(GENERATED_DIR) not in sys.path:
    sys.path.insert(0, str(GENERATED_DIR))

STATUS = Path("/proc/self/status")


def _status_kib(field: str) -> int | None:
    try:
        text = STATUS.read_text()
    except OSError:
        return None
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _max_rss_kib() -> int:
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def measure(mode: str, version: str, data: bytes) -> dict[str, Any]:
    import importlib

    from . import payloads

    module = importlib.import_module(f"plesk_mail.v{version.replace('.', '_')}")
    decode = module.decode_response if mode == "ours" else payloads.lxml_dicts
    small = payloads.get_info_response(module, 2)
    decode(small)  # import and warm up everything the call needs
    del small
    gc.collect()
    exact = _reset_peak()
    before = _status_kib("VmRSS")
    if before is None:  # not Linux: ru_maxrss is all there is
        before, exact = _max_rss_kib(), False
    result = decode(data)
    peak = _status_kib("VmHWM") if exact else _max_rss_kib()
    assert peak is not None
    del result
    return {"mode": mode, "peak_kib": peak - before, "exact": exact}


def main(argv: list[str]) -> int:
    mode, version, path = argv
    if mode not in ("ours", "lxml"):
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps(measure(mode, version, Path(path).read_bytes())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
