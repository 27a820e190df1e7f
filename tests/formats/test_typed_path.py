"""The typed pyarrow path of each reader gives exactly what its line-by-line path gives."""

import pandas as pd
import pytest

from benchmarks.readers import FORMATS, mpans
from p9_platform.formats.typed_csv import NeedsLineReader

# 90 UTC days from 1 January 2025 include the 46-period day of 30 March 2025.
DAYS = 90

CASES = [pytest.param(module, build, id=module.FORMAT_NAME) for module, build, _ in FORMATS]


def _typed_reader(module):
    # The DTC module names its typed path after the one flow it reads that way.
    return getattr(module, "_read_typed", None) or module._read_typed_d0379


@pytest.mark.parametrize(("module", "build"), CASES)
def test_typed_path_matches_line_path(module, build) -> None:
    content = build(mpans(2), DAYS)
    typed = _typed_reader(module)(content, "landing/bench")
    by_line = module._read_by_line(content, "landing/bench")
    assert len(typed) > 0
    pd.testing.assert_frame_equal(typed, by_line)


@pytest.mark.parametrize(("module", "build"), CASES)
def test_typed_path_on_damaged_line(module, build) -> None:
    # An x at the start of a middle line breaks most layouts; where it does not (an LCL meter
    # id may be any text), both paths must still agree.
    content = build(mpans(2), DAYS)
    middle = content.index(b"\n", len(content) // 2) + 1
    damaged = content[:middle] + b"x" + content[middle:]
    try:
        typed = _typed_reader(module)(damaged, "landing/bench")
    except NeedsLineReader:
        return
    pd.testing.assert_frame_equal(typed, module._read_by_line(damaged, "landing/bench"))
