"""Run ``manage.py`` with the given arguments, then print this process's peak resident memory
as a last line ``peak-kib <n>``: the kernel's VmHWM, the high-water mark of this program
alone. ``ru_maxrss`` of a child process would not do: Linux carries the parent's mark over
to a child at exec, and the bench process is far bigger than the commands it measures."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def peak_kib() -> int:
    """This process's peak resident memory in KiB (Linux's VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    sys.argv = ["manage.py", *sys.argv[1:]]
    try:
        runpy.run_path("manage.py", run_name="__main__")
    finally:
        sys.stdout.flush()
        print(f"\npeak-kib {peak_kib()}", flush=True)


if __name__ == "__main__":
    main()
