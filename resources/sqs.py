"""The landing queue: an SQS queue that receives the meter bucket's S3 event notifications."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import boto3
import dagster as dg
from pydantic import Field

from resources.s3 import MeterBucket

# SQS returns at most 10 messages per ReceiveMessage and deletes at most 10 per batch call.
SQS_BATCH_LIMIT = 10


class QueueNotFoundError(Exception):
    """The configured queue does not exist (yet)."""


@dataclasses.dataclass(frozen=True)
class QueueMessage:
    """One received message: its id, the receipt handle that deletes it, and its body."""

    message_id: str
    receipt_handle: str
    body: str


class LandingQueue(dg.ConfigurableResource):
    """The SQS queue that S3 sends ``ObjectCreated`` notifications of the landing prefix to."""

    queue_url: str = Field(description="URL of the SQS queue that receives the bucket's events.")
    endpoint_url: str | None = Field(default=None, description="Leave empty for real SQS.")
    region_name: str = "eu-west-2"
    access_key_id: str | None = None
    secret_access_key: str | None = None
    wait_time_seconds: int = Field(
        default=1,
        ge=0,
        le=20,
        description="Seconds each receive waits for a message (long polling), 0 to 20.",
    )
    visibility_timeout_seconds: int = Field(
        default=300,
        ge=0,
        le=43200,
        description=(
            "Seconds a received message stays hidden. The sensor deletes messages on its next"
            " tick, so keep this longer than the interval between ticks."
        ),
    )

    def client(self) -> Any:
        """Return a boto3 SQS client for this queue's endpoint."""
        return boto3.client(
            "sqs",
            endpoint_url=self.endpoint_url,
            region_name=self.region_name,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )

    def receive(self, client: Any | None = None) -> list[QueueMessage]:
        """Receive up to 10 messages; raise QueueNotFoundError when the queue does not exist."""
        client = client or self.client()
        try:
            response = client.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=SQS_BATCH_LIMIT,
                WaitTimeSeconds=self.wait_time_seconds,
                VisibilityTimeout=self.visibility_timeout_seconds,
            )
        except client.exceptions.QueueDoesNotExist as error:
            raise QueueNotFoundError(f"SQS queue {self.queue_url} does not exist") from error
        return [
            QueueMessage(
                message_id=message["MessageId"],
                receipt_handle=message["ReceiptHandle"],
                body=message["Body"],
            )
            for message in response.get("Messages", [])
        ]

    def delete(self, receipt_handles: Sequence[str], client: Any | None = None) -> list[str]:
        """Delete messages by receipt handle, 10 per call; return the error of each failure.

        A handle whose message was received again since is accepted by SQS without deleting
        the message, so that message comes back once more.
        """
        client = client or self.client()
        errors: list[str] = []
        for start in range(0, len(receipt_handles), SQS_BATCH_LIMIT):
            chunk = receipt_handles[start : start + SQS_BATCH_LIMIT]
            try:
                response = client.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(number), "ReceiptHandle": handle}
                        for number, handle in enumerate(chunk)
                    ],
                )
            except client.exceptions.QueueDoesNotExist as error:
                raise QueueNotFoundError(f"SQS queue {self.queue_url} does not exist") from error
            errors.extend(
                f"{failure.get('Code')}: {failure.get('Message')}"
                for failure in response.get("Failed", [])
            )
        return errors

    def queue_name(self) -> str:
        """Return the queue name, the last segment of the queue URL."""
        return self.queue_url.rstrip("/").rsplit("/", 1)[-1]


def connect_bucket_events(queue: LandingQueue, bucket: MeterBucket) -> str:
    """Create the queue and have the bucket notify it of objects created under the landing
    prefix; return the queue ARN.

    For the embedded moto server and tests. It replaces the bucket's whole notification
    configuration, and S3 then sends one ``s3:TestEvent`` message to the queue.
    """
    client = queue.client()
    client.create_queue(QueueName=queue.queue_name())
    arn = client.get_queue_attributes(QueueUrl=queue.queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    bucket.client().put_bucket_notification_configuration(
        Bucket=bucket.bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {"FilterRules": [{"Name": "prefix", "Value": bucket.landing_prefix}]}
                    },
                }
            ]
        },
    )
    return str(arn)
