"""A worker outlives the broker going away (config.broker): the state kombu leaves a
worker's channel in after Redis dropped mid-task fails as a connection error, which Celery
recovers from, not as an AttributeError, which made Celery stop the whole worker.

The cluster tests (Redis stopped while a worker holds tasks) show the worker living
through it; the moment itself is a race, so it is set up here as kombu leaves it."""

import pytest

from config.celery_app import app

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_a_channel_whose_connection_was_collected_fails_as_a_connection_error(real_stack):
    connection = app.connection_for_read()
    try:
        channel = connection.default_channel
        # After Redis went away: the channel's pool discarded, its connection collected.
        channel._pool = None
        connection.transport.client = None

        with pytest.raises(connection.connection_errors):
            channel.qos.ack("a-delivery-tag")  # what a finished task's acknowledgement does
    finally:
        connection.transport.client = connection
        connection.release()
