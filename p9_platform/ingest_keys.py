"""Landing key convention: the settlement run a file belongs to, named by its first folder.

Most meter data formats do not say which settlement run their values come from, so the run is
given by where the file lands::

    landing/<run>/<anything>      e.g. landing/R1/lcl/MAC000002.csv holds R1 reads
    landing/<anything else>       the file's own run, which is SF for formats without one

The folder name must be one of :data:`p9_platform.reads.SETTLEMENT_RUNS`, in upper case, so a
folder such as ``landing/lcl/`` is never mistaken for a run.
"""

from __future__ import annotations

from p9_platform.reads import SETTLEMENT_RUNS


def settlement_run_from_key(key: str, landing_prefix: str) -> str | None:
    """Return the settlement run named by the first folder under ``landing_prefix``, or None.

    ``key`` is the full object key and ``landing_prefix`` ends with ``/`` (``landing/``). A key
    outside the prefix, or a file directly under it, names no run.
    """
    if not key.startswith(landing_prefix):
        return None
    folder, separator, _ = key[len(landing_prefix) :].partition("/")
    if not separator or folder not in SETTLEMENT_RUNS:
        return None
    return folder
