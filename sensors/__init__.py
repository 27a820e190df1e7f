"""Sensors: new files in the bucket start ingestion; new reads rebuild their days and months."""

from sensors.landing import landing_files_sensor
from sensors.rebuild import RANGE_END_TAG, RANGE_START_TAG, new_reads_sensor, rebill_sensor
from sensors.sqs import landing_events_sensor

__all__ = ["RANGE_END_TAG", "RANGE_START_TAG"]

ALL_SENSORS = [landing_files_sensor, landing_events_sensor, new_reads_sensor, rebill_sensor]
