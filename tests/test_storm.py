"""examples/sqs_storm_handler.py: a batch of SQS messages in, one mitigate_violations call, a
partial batch response out; and an alarm storm through moto's SNS and SQS into concurrent
invocations that share the account's 5 task slots on the emulator (in-process). Tasks last
seconds of a simulated clock: nothing really waits."""

from __future__ import annotations

import json
import queue
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from iot_detect_mitigation import (
    DetectMitigationActionsTaskTarget,
    DetectMitigationClient,
    MitigationResult,
    MitigationTimeoutError,
)
from iot_detect_mitigation.testing import DetectMitigationEmulator, Execution, Violation

from .fake_time import SharedTime
from .fleet import most_in_progress_at_once, quarantine_action, quarantined, seed

EXAMPLES = Path(__file__).parent.parent / "examples"

DEVICES = 300
TASK_SECONDS = 5.0
LAMBDA_TIMEOUT = 60.0
MAXIMUM_CONCURRENCY = 3
RECEIVES_PER_BATCH = 5
"""A batching window: each invocation gets what this many receive calls (of 10) return."""
MAX_RECEIVE_COUNT = 4
"""The queue's redrive policy: after this many deliveries, a message goes to the dead letters."""


@pytest.fixture
def storm_handler(detect_mitigation_emulator: DetectMitigationEmulator) -> ModuleType:
    from examples import sqs_storm_handler  # builds its module-level client: needs the region

    return sqs_storm_handler


@pytest.fixture
def iot(detect_mitigation_emulator: DetectMitigationEmulator) -> Any:
    iot = boto3.client("iot", region_name="us-east-1")
    quarantine_action(iot)
    return iot


@pytest.fixture
def time(detect_mitigation_emulator: DetectMitigationEmulator) -> SharedTime:
    detect_mitigation_emulator.set_task_duration(seconds=TASK_SECONDS)
    return SharedTime(detect_mitigation_emulator)


@dataclass
class Context:
    """Lambda's context for one invocation, on the shared clock."""

    time: SharedTime
    deadline: float

    def get_remaining_time_in_millis(self) -> int:
        return int((self.deadline - self.time.clock()) * 1000)


class ReportingClient(DetectMitigationClient):
    """Keeps the id of every task a handler's ``mitigate_violations`` reported, ended or not."""

    def __init__(self, reported: list[str], time: SharedTime) -> None:
        super().__init__(region_name="us-east-1", sleep=time.sleep, clock=time.clock)
        self.reported = reported

    def mitigate_violations(self, *args: Any, **kwargs: Any) -> MitigationResult:
        try:
            result = super().mitigate_violations(*args, **kwargs)
        except MitigationTimeoutError as error:
            self.reported += [task.task_id or "" for task in error.result.tasks]
            raise
        self.reported += [task.task_id or "" for task in result.tasks]
        return result


def alarm(violation: Violation, event_type: str, at: int) -> str:
    return json.dumps(
        {
            "violationId": violation.violation_id,
            "violationEventType": event_type,
            "violationEventTime": at,
            "thingName": violation.thing_name,
            "securityProfileName": violation.security_profile_name,
            "behavior": {"name": violation.behavior_name, "metric": "aws:num-messages-sent"},
            "metricValue": {"count": 912},
        }
    )


def unwrapped(body: str) -> str:
    """The message SNS published, whether the queue got it raw or in SNS's envelope."""
    try:
        envelope = json.loads(body)
    except ValueError:
        return body
    message: str = envelope.get("Message", body)
    return message


class EventSourceMapping:
    """What Lambda's SQS poller does: batches of messages in, partial batch responses out."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.deliveries = 0

    def receive(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for _ in range(RECEIVES_PER_BATCH):
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                VisibilityTimeout=600,  # in flight until the invocation answers
            ).get("Messages", [])
            if not messages:
                break
            records += [
                {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": message["Attributes"],
                    "messageAttributes": {},
                    "md5OfBody": message["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "awsRegion": "us-east-1",
                }
                for message in messages
            ]
        self.deliveries += len(records)
        return records

    def answer(self, records: list[dict[str, Any]], response: dict[str, Any]) -> None:
        """Delete what succeeded; what failed is visible again at once, as after its timeout."""
        assert set(response) == {"batchItemFailures"}
        failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
        assert failed <= {record["messageId"] for record in records}
        for first in range(0, len(records), 10):
            chunk = records[first : first + 10]
            entries = [
                {"Id": str(n), "ReceiptHandle": record["receiptHandle"]}
                for n, record in enumerate(chunk)
            ]
            done = [e for e, r in zip(entries, chunk, strict=True) if r["messageId"] not in failed]
            again = [
                {**e, "VisibilityTimeout": 0}
                for e, r in zip(entries, chunk, strict=True)
                if r["messageId"] in failed
            ]
            if done:
                self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=done)
            if again:
                self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=again)


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Any:
    from moto.sqs.models import SQSBackend

    # For each message it hands out, moto recomputes every attribute of the queue, scanning all
    # its messages, only to read the retention period (4 days; this test lasts seconds). That
    # was most of the storm's run time.
    monkeypatch.setattr(SQSBackend, "is_message_valid_based_on_retention_period", lambda *_: True)
    return boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def alarm_queue(sqs: Any) -> tuple[str, str]:
    """The queue the alarm topics feed, and its dead-letter queue."""
    dead = sqs.create_queue(QueueName="alarms-dead-letters")["QueueUrl"]
    policy = {"deadLetterTargetArn": arn_of(sqs, dead), "maxReceiveCount": MAX_RECEIVE_COUNT}
    url = sqs.create_queue(QueueName="alarms", Attributes={"RedrivePolicy": json.dumps(policy)})
    return url["QueueUrl"], dead


def arn_of(sqs: Any, queue_url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    arn: str = attributes["Attributes"]["QueueArn"]
    return arn


class AlarmTopics:
    """Two security profiles alert on two topics, and one queue takes both: one subscription
    with raw message delivery, one with SNS's envelope."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self.sns = boto3.client("sns", region_name="us-east-1")
        self.topics = [self.sns.create_topic(Name=name)["TopicArn"] for name in ("a", "b")]
        for topic, raw in zip(self.topics, ("false", "true"), strict=True):
            self.sns.subscribe(
                TopicArn=topic,
                Protocol="sqs",
                Endpoint=arn_of(sqs, queue_url),
                Attributes={"RawMessageDelivery": raw},
            )

    def publish(self, messages: list[str]) -> None:
        """Alternate messages between the topics, ten to a call."""
        for first in range(0, len(messages), 20):
            chunk = messages[first : first + 20]
            for topic, share in zip(self.topics, (chunk[::2], chunk[1::2]), strict=True):
                if share:
                    entries = [{"Id": str(n), "Message": body} for n, body in enumerate(share)]
                    self.sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)


def storm(violations: list[Violation], rng: random.Random) -> list[str]:
    """Each device alarms two to four times (SNS delivers at least once) and a quarter of them
    clear, in random order."""
    messages: list[str] = []
    for n, violation in enumerate(violations):
        messages += [alarm(violation, "in-alarm", 1795218900000)] * rng.choice([2, 3, 3, 4, 4])
        if n % 4 == 0:
            messages.append(alarm(violation, "alarm-cleared", 1795219900000))
    rng.shuffle(messages)
    return messages


def test_an_alarm_storm_is_mitigated_within_the_quota(
    iot: Any,
    sqs: Any,
    alarm_queue: tuple[str, str],
    detect_mitigation_emulator: DetectMitigationEmulator,
    time: SharedTime,
    storm_handler: ModuleType,
) -> None:
    emulator = detect_mitigation_emulator
    seed(iot, emulator, DEVICES)
    emulator.set_rate_limit(10)  # AWS's limit for each operation, besides the 5 tasks
    queue_url, dead_letters = alarm_queue
    topics = AlarmTopics(sqs, queue_url)
    messages = storm(list(emulator.violations.values()), random.Random(12))
    bad_id = {**json.loads(messages[0]), "violationId": "no spaces, please"}
    unusable = ["not json", json.dumps(bad_id)]
    messages[60:60] = unusable
    assert len(messages) >= 1000
    # A few devices are offline when their first mitigation runs, early in the storm.
    offline = {json.loads(m)["thingName"] for m in messages[:10]}

    def offline_once(execution: Execution) -> bool:
        if execution.thing_name not in offline:
            return False
        offline.remove(execution.thing_name)
        return True

    emulator.fail_executions(predicate=offline_once, error_code="Offline")
    first_offline = set(offline)

    reported: list[str] = []
    clients: queue.Queue[ReportingClient] = queue.Queue()
    for _ in range(MAXIMUM_CONCURRENCY):  # one execution environment per concurrent invocation
        clients.put(ReportingClient(reported, time))

    def invoke(records: list[dict[str, Any]]) -> dict[str, Any]:
        client = clients.get()
        try:
            context = Context(time, time.clock() + LAMBDA_TIMEOUT)
            response: dict[str, Any] = storm_handler.handler({"Records": records}, context, client)
            return response
        finally:
            clients.put(client)
            time.stop()

    poller = EventSourceMapping(sqs, queue_url)
    invocations = 0
    wave = MAXIMUM_CONCURRENCY * RECEIVES_PER_BATCH * 10
    with ThreadPoolExecutor(MAXIMUM_CONCURRENCY) as pool:
        # Rounds: the storm goes on arriving, the poller gathers a batch for each invocation,
        # and the invocations run at the same time on the shared clock.
        for round_number in range(60):
            topics.publish(messages[round_number * wave : (round_number + 1) * wave])
            batches: list[list[dict[str, Any]]] = []
            while len(batches) < MAXIMUM_CONCURRENCY and (records := poller.receive()):
                batches.append(records)
            if not batches:
                break
            for _ in batches:
                time.start()
            running = [pool.submit(invoke, batch) for batch in batches]
            for batch, invocation in zip(batches, running, strict=True):
                # A LimitExceededError, or any error, reaching the handler fails the test here.
                poller.answer(batch, invocation.result(timeout=120))
            invocations += len(batches)
        else:
            pytest.fail("the queue did not drain in 60 rounds")

    # Every violating device is quarantined, the offline ones on a redelivery, and only the
    # unusable messages were given up on.
    assert quarantined(iot) == {v.thing_name for v in emulator.violations.values()}
    assert first_offline and not offline  # each offline device failed once
    given_up = sqs.receive_message(QueueUrl=dead_letters, MaxNumberOfMessages=10)["Messages"]
    assert sorted(unwrapped(m["Body"]) for m in given_up) == sorted(unusable)
    assert poller.deliveries > len(messages)  # SQS delivered some messages again
    # No task was started twice, and none was lost track of: the tasks the emulator ran are
    # the tasks the invocations reported.
    tasks = emulator.tasks
    assert set(reported) == set(tasks)
    contents = {(t.target.violation_ids, tuple(a.name for a in t.actions)) for t in tasks.values()}
    assert len(contents) == len(tasks)
    assert len(tasks) <= invocations * 2  # at most 50 messages, 2 tasks of 25, per batch
    assert {task.status for task in tasks.values()} == {"SUCCESSFUL", "FAILED"}
    # At most 5 tasks were ever in progress, though invocations wanted more at once.
    assert most_in_progress_at_once(emulator) <= 5
    assert emulator.call_counts["StartDetectMitigationActionsTask"] > len(tasks)


# One batch at a time


@pytest.fixture
def sample_event() -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EXAMPLES / "sample_sqs_event.json").read_text())
    return event


@pytest.fixture
def client(time: SharedTime) -> DetectMitigationClient:
    return DetectMitigationClient(region_name="us-east-1", sleep=time.sleep, clock=time.clock)


Invoke = Callable[..., list[str]]


@pytest.fixture
def invoke(storm_handler: ModuleType, client: DetectMitigationClient, time: SharedTime) -> Invoke:
    """One invocation with these records and this many seconds; the ids of its failed messages."""

    def invoke(records: list[dict[str, Any]], seconds: float = 60.0) -> list[str]:
        context = Context(time, time.clock() + seconds)
        response = storm_handler.handler({"Records": records}, context, client)
        assert set(response) == {"batchItemFailures"}
        return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]

    return invoke


def lights(iot: Any, emulator: DetectMitigationEmulator, event: dict[str, Any]) -> None:
    """The things and violations the event's alarms name."""
    alarms = [json.loads(record["body"]) for record in event["Records"]]
    for thing in {alarm["thingName"] for alarm in alarms}:
        iot.create_thing(thingName=thing)
    for alarm in alarms:
        emulator.add_violation(
            alarm["violationId"],
            thing_name=alarm["thingName"],
            security_profile_name=alarm["securityProfileName"],
            behavior_name=alarm["behavior"]["name"],
        )


def test_a_batch_is_mitigated_in_one_call_and_bad_messages_fail_alone(
    iot: Any,
    detect_mitigation_emulator: DetectMitigationEmulator,
    sample_event: dict[str, Any],
    invoke: Invoke,
) -> None:
    emulator = detect_mitigation_emulator
    lights(iot, emulator, sample_event)
    raw = sample_event["Records"][1]
    enveloped = {  # the same alarm as SNS wraps it without raw message delivery
        **raw,
        "messageId": "enveloped",
        "body": json.dumps({"Type": "Notification", "MessageId": "m-1", "Message": raw["body"]}),
    }
    bad_id = {**json.loads(raw["body"]), "violationId": "not/an/id"}
    unusable = [
        {**raw, "messageId": "not-json", "body": "{"},
        {**raw, "messageId": "no-alarm", "body": json.dumps({"Type": "Notification"})},
        {**raw, "messageId": "bad-id", "body": json.dumps(bad_id)},
    ]

    failed = invoke([*sample_event["Records"], enveloped, *unusable])

    assert failed == ["not-json", "no-alarm", "bad-id"]
    assert quarantined(iot) == {"light-042", "light-013"}
    (task,) = emulator.tasks.values()  # two violations, four in-alarm messages: one task
    assert task.task_id.startswith("alarm-batch-")
    assert sorted(task.target.violation_ids or ()) == sorted(
        {json.loads(r["body"])["violationId"] for r in sample_event["Records"]}
    )
    assert emulator.call_counts["StartDetectMitigationActionsTask"] == 1


def test_cleared_alarms_alone_call_nothing(
    detect_mitigation_emulator: DetectMitigationEmulator,
    sample_event: dict[str, Any],
    invoke: Invoke,
) -> None:
    cleared = [r for r in sample_event["Records"] if "alarm-cleared" in r["body"]]
    assert cleared and invoke(cleared) == []
    assert dict(detect_mitigation_emulator.call_counts) == {}


def test_only_the_messages_of_a_device_not_mitigated_come_back(
    iot: Any,
    detect_mitigation_emulator: DetectMitigationEmulator,
    sample_event: dict[str, Any],
    invoke: Invoke,
) -> None:
    lights(iot, detect_mitigation_emulator, sample_event)
    detect_mitigation_emulator.fail_executions(thing_names=["light-042"], error_code="Offline")

    failed = invoke(sample_event["Records"])

    # light-042's alarm came twice (SNS delivers at least once); its cleared alarm is done.
    in_alarm_042 = [
        r["messageId"]
        for r in sample_event["Records"]
        if '"light-042"' in r["body"] and '"in-alarm"' in r["body"]
    ]
    assert len(in_alarm_042) == 2
    assert failed == in_alarm_042
    assert quarantined(iot) == {"light-013"}


def test_past_the_deadline_what_is_left_comes_back_and_the_same_batch_adopts_it(
    iot: Any,
    detect_mitigation_emulator: DetectMitigationEmulator,
    client: DetectMitigationClient,
    invoke: Invoke,
) -> None:
    emulator = detect_mitigation_emulator
    ids = seed(iot, emulator, 60)
    emulator.set_task_duration(seconds=600)  # someone else's tasks hold 4 slots for 10 minutes
    for n in range(4):
        client.start_task(
            task_id=f"theirs-{n}",
            target=DetectMitigationActionsTaskTarget(violation_ids=[ids[n]]),
            actions=["quarantine"],
        )
    emulator.set_task_duration(seconds=10)
    records = [
        {"messageId": f"m-{n}", "body": alarm(violation, "in-alarm", 1795218900000)}
        for n, violation in enumerate(emulator.violations.values())
    ]

    failed = invoke(records, seconds=30)  # 20 s to mitigate: one task ends, the next is running

    ours = [task for task in emulator.tasks.values() if not task.task_id.startswith("theirs")]
    assert sorted(task.status for task in ours) == ["IN_PROGRESS", "SUCCESSFUL"]
    (finished,) = [task for task in ours if task.status == "SUCCESSFUL"]
    done = set(finished.target.violation_ids or ())
    assert len(done) == 25
    assert failed == [
        r["messageId"] for r in records if json.loads(r["body"])["violationId"] not in done
    ]

    # The whole batch comes back (say the invocation had crashed): it adopts both tasks, starts
    # the third once there is room, and everything is mitigated.
    assert invoke(records, seconds=900) == []
    assert len(emulator.tasks) == 4 + 3
    assert quarantined(iot) == {v.thing_name for v in emulator.violations.values()}
