"""Open the Dagster UI on the embedded default: ``make dev``.

Starts the embedded S3 and SQS on 127.0.0.1, uploads the demo meter files so that
rematerializing from the UI works, connects the bucket's event notifications to the landing
queue, then runs ``dagster dev`` on the same SQLite instance and DuckDB warehouse that
``make demo`` wrote. Stopping the UI (Ctrl-C) stops the S3 server too.
"""

from __future__ import annotations

import os
import subprocess
import sys

from jobs.demo import DEMO_DIR, PROJECT_ROOT, prepare_home
from resources.local_s3 import local_s3, upload_demo_files


def main() -> int:
    """Serve the UI until interrupted; return dagster dev's exit code."""
    prepare_home()
    os.environ.setdefault("P9_DEPLOYMENT", "embedded")
    os.environ.setdefault("P9_WAREHOUSE", str(PROJECT_ROOT / "var" / "warehouse.duckdb"))
    with local_s3() as endpoint:
        os.environ["P9_S3_ENDPOINT"] = endpoint
        from resources import LandingQueue, MeterBucket, build_resources
        from resources.sqs import connect_bucket_events

        resources = build_resources()
        bucket = resources["meter_bucket"]
        queue = resources["landing_queue"]
        assert isinstance(bucket, MeterBucket)
        assert isinstance(queue, LandingQueue)
        upload_demo_files(bucket, DEMO_DIR)
        # Files uploaded from here on also reach the SQS sensor as S3 event notifications.
        connect_bucket_events(queue, bucket)
        port = os.environ.get("P9_UI_PORT", "3000")
        command = [
            sys.executable,
            "-m",
            "dagster",
            "dev",
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            port,
        ]
        print(f"S3 at {endpoint}; UI at http://127.0.0.1:{port} (Ctrl-C stops both)", flush=True)
        try:
            return subprocess.call(command, cwd=PROJECT_ROOT)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
