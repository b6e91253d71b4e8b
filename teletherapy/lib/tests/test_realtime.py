"""Real-time messages from services wait for the commit; a rolled-back change sends nothing."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from teletherapy.lib.realtime import send_after_commit


@pytest.mark.django_db(transaction=True)
def test_sent_after_commit_and_never_after_a_rollback() -> None:
    layer = get_channel_layer()
    assert layer is not None
    channel = async_to_sync(layer.new_channel)()

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        send_after_commit(channel, {"type": "test.message", "n": 1})
        raise Rollback
    with transaction.atomic():
        send_after_commit(channel, {"type": "test.message", "n": 2})
    assert async_to_sync(layer.receive)(channel) == {"type": "test.message", "n": 2}
