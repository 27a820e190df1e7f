"""The embedded S3: a moto server on 127.0.0.1 that the project starts, seeds and stops."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

from moto.server import ThreadedMotoServer

from resources.s3 import MeterBucket

DEFAULT_PORT = 9555


def _free_port(preferred: int) -> int:
    """Return ``preferred`` when nothing listens there, else (or for 0) any free port."""
    with socket.socket() as probe:
        if preferred and probe.connect_ex(("127.0.0.1", preferred)) != 0:
            return preferred
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        return int(spare.getsockname()[1])


@contextlib.contextmanager
def local_s3(port: int = DEFAULT_PORT) -> Iterator[str]:
    """Serve S3 from memory on 127.0.0.1 for the duration of the block; yield its URL.

    Uses ``port`` when it is free and any free port otherwise, so two checkouts can run side
    by side. Everything stored is gone when the block ends.
    """
    chosen = _free_port(port)
    # moto's web server logs every request; keep a run's log about the pipeline.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=chosen, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{chosen}"
    finally:
        server.stop()


def upload_demo_files(bucket: MeterBucket, demo_dir: Path) -> list[str]:
    """Create the bucket and upload every demo meter file under the landing prefix.

    Files keep their folder below ``demo_dir/meter_files``; returns the keys written.
    """
    client = bucket.client()
    existing = {item["Name"] for item in client.list_buckets().get("Buckets", [])}
    if bucket.bucket not in existing:
        client.create_bucket(
            Bucket=bucket.bucket,
            CreateBucketConfiguration={"LocationConstraint": bucket.region_name},
        )
    keys = []
    source = demo_dir / "meter_files"
    for path in sorted(source.rglob("*")):
        if path.is_file():
            key = bucket.landing_prefix + path.relative_to(source).as_posix()
            client.put_object(Bucket=bucket.bucket, Key=key, Body=path.read_bytes())
            keys.append(key)
    return keys
