"""The API Gateway Management API stand-in, called by boto3 the way a WebSocket proxy calls it."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.harness.apigw_management import ManagementStandIn

pytestmark = pytest.mark.timeout(30)
_SESSION = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                 region_name="us-east-1")
CONNECTION = "L0SM9cOFvHcCIhw="


@pytest.fixture
def management() -> Iterator[ManagementStandIn]:
    with ManagementStandIn(max_payload_bytes=1024) as server:
        server.open_connection(CONNECTION, source_ip="192.0.2.10", user_agent="probe")
        yield server
    assert server.faults == [] and server.leaked_threads == []


def client(management: ManagementStandIn) -> Any:
    # The callback URL of a stage: the stand-in serves the operations under the stage path.
    return _SESSION.client("apigatewaymanagementapi", endpoint_url=management.stage_url("prod"),
                           config=Config(retries={"total_max_attempts": 1}))


def error_code(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_frames_are_recorded_in_order_with_their_arrival_time(management: ManagementStandIn) -> None:
    # WHEN a proxy posts two frames to an open connection
    before = time.monotonic()
    for data in (b'{"seq": 0}', b'{"seq": 1}'):
        client(management).post_to_connection(ConnectionId=CONNECTION, Data=data)
    # THEN both are recorded, in order, with the stage they were posted under and monotonic times
    frames = management.frames(CONNECTION)
    assert [f.json() for f in frames] == [{"seq": 0}, {"seq": 1}]
    assert all(f.stage == "prod" for f in frames)
    assert before <= frames[0].at <= frames[1].at


def test_get_connection_answers_the_modeled_fields(management: ManagementStandIn) -> None:
    # WHEN a proxy asks about the connection
    answer = client(management).get_connection(ConnectionId=CONNECTION)
    # THEN botocore parses its timestamps and identity
    assert isinstance(answer["ConnectedAt"], dt.datetime) and isinstance(answer["LastActiveAt"], dt.datetime)
    assert answer["Identity"] == {"SourceIp": "192.0.2.10", "UserAgent": "probe"}


def test_a_closed_connection_is_gone(management: ManagementStandIn) -> None:
    # GIVEN a connection whose client went away
    management.close_connection(CONNECTION)
    # WHEN a frame is posted to it, or an unknown connection, THEN API Gateway answers GoneException (410)
    for connection in (CONNECTION, "unknown="):
        with pytest.raises(ClientError) as raised:
            client(management).post_to_connection(ConnectionId=connection, Data=b"{}")
        assert error_code(raised) == ("GoneException", 410)
    assert management.frames() == []


def test_delete_connection_closes_it(management: ManagementStandIn) -> None:
    # WHEN a proxy deletes the connection
    client(management).delete_connection(ConnectionId=CONNECTION)
    # THEN it is recorded and closed, and deleting again is GoneException
    assert management.deleted == [CONNECTION] and not management.is_open(CONNECTION)
    with pytest.raises(ClientError) as raised:
        client(management).delete_connection(ConnectionId=CONNECTION)
    assert error_code(raised) == ("GoneException", 410)


def test_a_frame_above_the_message_size_and_scripted_limits_are_refused(management: ManagementStandIn) -> None:
    # WHEN a frame larger than the payload limit is posted, THEN it is PayloadTooLargeException (413)
    with pytest.raises(ClientError) as raised:
        client(management).post_to_connection(ConnectionId=CONNECTION, Data=b"x" * 1025)
    assert error_code(raised) == ("PayloadTooLargeException", 413)
    # WHEN API Gateway is scripted to throttle the next post, THEN it is LimitExceededException (429)
    management.fail_next_posts("LimitExceededException")
    with pytest.raises(ClientError) as raised:
        client(management).post_to_connection(ConnectionId=CONNECTION, Data=b"{}")
    assert error_code(raised) == ("LimitExceededException", 429)
    assert management.frames() == []
