"""Metadata the Dagster UI shows: previews, plots and failing rows."""

from __future__ import annotations

import base64
import io

import dagster as dg
import matplotlib
import pandas as pd
import pandera.pandas as pa

from p9_platform.schemas import validate

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen before pyplot loads)

PREVIEW_ROWS = 10


def markdown_table(frame: pd.DataFrame, rows: int = PREVIEW_ROWS) -> dg.MetadataValue:
    """Return the first ``rows`` rows of ``frame`` as a Markdown table."""
    if frame.empty:
        return dg.MetadataValue.md("_no rows_")
    return dg.MetadataValue.md(frame.head(rows).to_markdown(index=False))


def failing_rows(cases: pd.DataFrame, rows: pd.DataFrame, limit: int = 20) -> dg.MetadataValue:
    """Show schema failure cases next to the rows that failed, as Markdown."""
    if cases.empty:
        return dg.MetadataValue.md("_every row passed_")
    summary = cases.loc[:, ["column", "check", "failure_case", "index"]].head(limit)
    text = "**Failure cases**\n\n" + summary.to_markdown(index=False)
    if not rows.empty:
        text += "\n\n**Failing rows**\n\n" + rows.head(limit).to_markdown(index=False)
    return dg.MetadataValue.md(text)


def bar_chart(series: pd.Series, title: str, ylabel: str) -> dg.MetadataValue:
    """Render a bar chart of ``series`` as an inline PNG in Markdown."""
    figure, axis = plt.subplots(figsize=(8, 3))
    series.plot.bar(ax=axis, color="#3b6ea8")
    axis.set_title(title)
    axis.set_ylabel(ylabel)
    axis.set_xlabel("")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return dg.MetadataValue.md(f"![{title}](data:image/png;base64,{encoded})")


def run_scope(context: dg.AssetExecutionContext) -> dict[str, dg.MetadataValue]:
    """Say which partitions a run covered, because a single-run backfill attaches the same
    metadata to every partition in its range."""
    keys = context.partition_keys
    if len(keys) == 1:
        text = f"partition {keys[0]}"
    else:
        text = f"{len(keys)} partitions, {keys[0]} to {keys[-1]}; counts are for all of them"
    return {"run_covers": dg.MetadataValue.text(text)}


def schema_check(
    asset_key: str, check_name: str, frame: pd.DataFrame, schema: pa.DataFrameSchema
) -> dg.AssetCheckResult:
    """Validate ``frame`` against ``schema`` and report it as a check showing failing rows.

    An empty frame passes, because a month or table with no rows has nothing to get wrong.
    """
    if frame.empty:
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=check_name,
            passed=True,
            metadata={"failures": dg.MetadataValue.md("_no rows_")},
        )
    checked = validate(frame, schema)
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=checked.passed,
        metadata={"failures": failing_rows(checked.failure_cases, checked.invalid)},
    )
