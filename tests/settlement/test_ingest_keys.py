import pytest

from p9_platform.ingest_keys import settlement_run_from_key


@pytest.mark.parametrize(
    ("key", "run"),
    [
        ("landing/R1/lcl/MAC000002.csv", "R1"),
        ("landing/DF/a.csv", "DF"),
        ("landing/lcl/MAC000002.csv", None),
        ("landing/r1/a.csv", None),  # run folders are upper case only
        ("landing/R1.csv", None),  # a file, not a folder
        ("archive/R1/a.csv", None),  # outside the landing prefix
    ],
)
def test_run_from_landing_key(key: str, run: str | None) -> None:
    assert settlement_run_from_key(key, "landing/") == run
