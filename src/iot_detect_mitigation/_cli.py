"""The ``iot-detect-mitigation`` command: the public API, for runbooks written in shell.

``python -m iot_detect_mitigation`` runs the same ``main``. Nothing imports this module but
those two entry points, so ``import iot_detect_mitigation`` does not pay for it.

- Results go to stdout as JSON, shaped and spaced as the AWS CLI (v2) prints the same answer:
  AWS member names, 4-space indents, timestamps in ISO 8601 in the machine's zone (botocore's
  ``tzlocal``, as ``cli_timestamp_format = iso8601``). Nothing else goes to stdout.
- Progress goes to stderr, and only when stderr is a terminal; so do messages and warnings.
- Exit statuses are the AWS CLI's, plus three for a waited-for task (``EXIT_STATUSES``).
- Bad input exits 252 before any call, with the model's message and the option it came from.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn, TextIO, TypeVar

import boto3
from botocore.exceptions import ProfileNotFound
from pydantic import ValidationError

from ._client import DetectMitigationClient
from ._errors import (
    ConfigurationError,
    DetectMitigationError,
    MitigationTimeoutError,
    ServiceError,
    TaskCanceledError,
    TaskFailedError,
    WaitError,
    WaitTimeoutError,
)
from ._models import (
    DescribeDetectMitigationActionsTaskRequest,
    DetectMitigationActionExecutionStatus,
    DetectMitigationActionsTaskStatus,
    DetectMitigationActionsTaskSummary,
    MitigationResult,
    StartDetectMitigationActionsTaskRequest,
)

PROG = "iot-detect-mitigation"

T = TypeVar("T")

SUCCESS = 0
TASK_FAILED = 10
TASK_CANCELED = 11
WAIT_TIMED_OUT = 12
INTERRUPTED = 130
BAD_PARAMETERS = 252
BAD_ENVIRONMENT = 253
SERVICE_ERROR = 254
OTHER_ERROR = 255

EXIT_STATUSES: Mapping[int, str] = {
    SUCCESS: "success",
    TASK_FAILED: "a waited-for task ended FAILED (mitigate: or an execution failed)",
    TASK_CANCELED: "a waited-for task ended CANCELED",
    WAIT_TIMED_OUT: "the wait timed out; the tasks go on",
    INTERRUPTED: "interrupted (Ctrl-C)",
    BAD_PARAMETERS: "bad parameters: rejected before any call",
    BAD_ENVIRONMENT: "no region, unknown profile, no credentials, or the testing extra missing",
    SERVICE_ERROR: "AWS answered with an error",
    OTHER_ERROR: "any other failure, such as no answer from the endpoint",
}
"""Every exit status the command uses, and what it means; ``--help`` and docs/cli.md show it."""

# Where a request field comes from on the command line, for error messages.
_START_OPTIONS = {
    "task_id": "--task-id",
    "target": "--violation-id/--security-profile",
    "violation_ids": "--violation-id",
    "security_profile_name": "--security-profile",
    "behavior_name": "--behavior",
    "actions": "--action",
    "violation_event_occurrence_range": "--start-time/--end-time",
    "start_time": "--start-time",
    "end_time": "--end-time",
    "client_request_token": "--client-request-token",
}
_TASK_ID_ARGUMENT = {"task_id": "TASK_ID"}
_MITIGATE_OPTIONS = {
    "violation_ids": "VIOLATION_ID",
    "actions": "--action",
    "task_id_prefix": "--task-id-prefix",
    "max_concurrent_tasks": "--max-concurrent-tasks",
    "timeout": "--timeout",
}

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class _BadParameter(Exception):
    """Input the command refuses before any call (exit 252)."""


class _Parser(argparse.ArgumentParser):
    """argparse, exiting 252 on bad parameters as the AWS CLI does (argparse's own is 2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(BAD_PARAMETERS, f"{self.prog}: error: {message}\n")


def _duration(text: str) -> timedelta:
    """``90m``, ``2h``, ``1d``, ``1h30m``: a window that ends now."""
    parts = _DURATION.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 90m, 2h or 1d")
    seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if seconds <= 0:
        raise argparse.ArgumentTypeError("the duration must be more than 0")
    try:
        duration = timedelta(seconds=seconds)
        datetime.now(UTC) - duration  # the window's start must be a date
    except (OverflowError, ValueError):
        raise argparse.ArgumentTypeError(f"{text!r} reaches back before year 1") from None
    return duration


def _timestamp(text: str) -> datetime:
    """ISO 8601 (``2026-11-22T10:00:00Z``) or epoch seconds, as the AWS CLI takes them."""
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    except OverflowError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range") from error
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time such as 2026-11-22T10:00:00Z"
        ) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError("must be a number of seconds more than 0")
    return value


def _global_options(*, in_subcommand: bool) -> _Parser:
    """The options every command takes, before or after the subcommand, as in the AWS CLI."""
    options = _Parser(add_help=False)
    # In a subcommand, an option left out must not override one given before the subcommand.
    default = argparse.SUPPRESS if in_subcommand else None
    options.add_argument(
        "--region", default=default, help="AWS region (default: from the environment or profile)"
    )
    options.add_argument(
        "--endpoint-url", default=default, help="another endpoint, such as the local emulator"
    )
    options.add_argument("--profile", default=default, help="a named profile of your AWS config")
    return options


def _add_actions(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--action",
        dest="actions",
        action="append",
        required=True,
        metavar="NAME",
        help="a mitigation action to apply; repeat for up to 5",
    )


def _epilog() -> str:
    statuses = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_STATUSES.items())
    return f"exit statuses:\n{statuses}"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Start, describe, wait for, list and cancel AWS IoT Device Defender ML Detect\n"
        "mitigation actions tasks, or mitigate many violations at once. Results go to stdout\n"
        "as JSON, as the AWS CLI prints them; progress goes to stderr when it is a terminal.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_global_options(in_subcommand=False)],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = [_global_options(in_subcommand=True)]

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=_epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=common,
        )

    describe = command(
        "describe",
        "Print the task's state as `aws iot describe-detect-mitigation-actions-task` does.",
    )
    describe.add_argument("task_id", metavar="TASK_ID")
    describe.set_defaults(run=_describe)

    start = command(
        "start",
        'Start a task and print {"taskId": ...}; with --wait, wait and print its final state.',
    )
    start.add_argument("--task-id", required=True, help="unique id; it makes a re-run safe")
    target = start.add_argument_group("target (--violation-id, or --security-profile)")
    target.add_argument(
        "--violation-id",
        dest="violation_ids",
        action="append",
        metavar="ID",
        help="a violation to mitigate; repeat for up to 25",
    )
    target.add_argument("--security-profile", help="mitigate the violations of this profile")
    target.add_argument("--behavior", help="only those of this behavior of the profile")
    _add_actions(start)
    window = start.add_argument_group("window (--since, or --start-time and --end-time)")
    window.add_argument(
        "--since", type=_duration, metavar="DURATION", help="the last 90m, 2h, 1d, ..."
    )
    window.add_argument("--start-time", type=_timestamp, metavar="TIME", help="ISO 8601")
    window.add_argument("--end-time", type=_timestamp, metavar="TIME", help="ISO 8601")
    start.add_argument(
        "--only-active", action="store_true", help="only violations that are still active"
    )
    start.add_argument(
        "--include-suppressed", action="store_true", help="also violations with suppressed alerts"
    )
    start.add_argument(
        "--client-request-token", metavar="TOKEN", help="idempotency token (default: a uuid4)"
    )
    start.add_argument("--wait", action="store_true", help="wait for the task to end")
    start.add_argument(
        "--timeout", type=_seconds, metavar="SECONDS", help="with --wait: give up after (600)"
    )
    start.add_argument(
        "--capacity-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="when the account's concurrent tasks are all taken, wait this long for a slot",
    )
    start.set_defaults(run=_start)

    wait = command("wait", "Wait for a task to end and print its final state.")
    wait.add_argument("task_id", metavar="TASK_ID")
    wait.add_argument(
        "--timeout", type=_seconds, default=600.0, metavar="SECONDS", help="give up after (600)"
    )
    wait.set_defaults(run=_wait)

    executions = command(
        "executions",
        "Print the task's executions (every page) as "
        "`aws iot list-detect-mitigation-actions-executions` does.",
    )
    executions.add_argument("task_id", metavar="TASK_ID")
    executions.add_argument(
        "--status",
        choices=[status.value for status in DetectMitigationActionExecutionStatus],
        help="only the executions with this status",
    )
    executions.set_defaults(run=_executions)

    cancel = command("cancel", "Cancel a task in progress; prints nothing, as the AWS CLI does.")
    cancel.add_argument("task_id", metavar="TASK_ID")
    cancel.set_defaults(run=_cancel)

    mitigate = command(
        "mitigate",
        "Mitigate many violations in as few tasks as possible, wait for them, and print every "
        "task and execution.",
    )
    mitigate.add_argument(
        "violation_ids",
        nargs="+",
        metavar="VIOLATION_ID",
        help="violation ids; - reads them from stdin, one per line",
    )
    _add_actions(mitigate)
    mitigate.add_argument(
        "--task-id-prefix", required=True, help="task ids are PREFIX-DIGEST; a re-run adopts them"
    )
    mitigate.add_argument(
        "--timeout", type=_seconds, default=600.0, metavar="SECONDS", help="give up after (600)"
    )
    mitigate.add_argument(
        "--max-concurrent-tasks", type=int, default=5, metavar="N", help="tasks at once (5)"
    )
    mitigate.set_defaults(run=_mitigate)

    # Its options and help are the emulator's own (python -m iot_detect_mitigation.testing):
    # main() hands it the arguments it does not know, so moto loads only for this command.
    emulator = commands.add_parser(
        "emulator",
        add_help=False,
        help="Serve the local emulator of the API until interrupted (needs the testing extra); "
        "--help for its options.",
    )
    emulator.set_defaults(run=_emulator)
    return parser


def _version() -> str:
    from . import __version__

    return __version__


# Output


def _as_aws_cli_prints(value: object) -> object:
    """How the AWS CLI's JSON output writes a timestamp: ISO 8601 in the machine's zone."""
    if isinstance(value, datetime):
        return value.astimezone().isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _print_json(document: object, out: TextIO) -> None:
    json.dump(document, out, indent=4, ensure_ascii=False, default=_as_aws_cli_prints)
    out.write("\n")
    out.flush()


def _describe_document(summary: DetectMitigationActionsTaskSummary) -> dict[str, Any]:
    """The describe answer as AWS sent it: only the members it sent, under ``taskSummary``."""
    return {"taskSummary": summary.model_dump(exclude_unset=True, exclude_none=True)}


class _Progress:
    """The task's progress on one redrawn line of ``stream``, only if it is a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._drawn = False
        self.enabled = stream.isatty()

    def __call__(self, summary: DetectMitigationActionsTaskSummary) -> None:
        if not self.enabled:
            return
        stats = summary.task_statistics
        self._stream.write(
            f"\r{summary.task_id}: {summary.task_status}, executed {stats.actions_executed or 0},"
            f" skipped {stats.actions_skipped or 0}, failed {stats.actions_failed or 0}\x1b[K"
        )
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False


# Input


def _validated(build: Callable[[], T], options: Mapping[str, str]) -> T:
    """What ``build`` builds, or ``_BadParameter`` saying which option holds a bad value."""
    try:
        return build()
    except ValidationError as error:
        raise _BadParameter(_explain(error, options)) from error


def _explain(error: ValidationError, options: Mapping[str, str]) -> str:
    """pydantic's messages, each naming the command-line option the value came from."""
    lines = []
    for problem in error.errors(include_url=False):
        names = [part for part in problem["loc"] if isinstance(part, str)]
        option = next((options[name] for name in reversed(names) if name in options), None)
        message = _renamed(problem["msg"].removeprefix("Value error, "), options)
        given = problem.get("input")
        got = f" (got {given!r})" if isinstance(given, str | int | float) else ""
        lines.append(f"{option}: {message}{got}" if option else f"{message}{got}")
    return "; ".join(lines)


def _renamed(message: str, options: Mapping[str, str]) -> str:
    """The message with the field names in it (``violation_ids``) given as options."""
    for name, shown in options.items():
        if "_" in name:
            message = re.sub(rf"\b{name}\b", shown, message)
    return message


def _task_id(task_id: str) -> str:
    request = _validated(
        lambda: DescribeDetectMitigationActionsTaskRequest(task_id=task_id), _TASK_ID_ARGUMENT
    )
    return request.task_id


def _start_request(args: argparse.Namespace) -> StartDetectMitigationActionsTaskRequest:
    if args.since is not None and (args.start_time is not None or args.end_time is not None):
        raise _BadParameter("--since cannot be combined with --start-time or --end-time")
    if (args.start_time is None) != (args.end_time is None):
        raise _BadParameter("--start-time and --end-time go together")
    if args.timeout is not None and not args.wait:
        raise _BadParameter("--timeout needs --wait")
    window = None
    if args.since is not None:
        now = datetime.now(UTC)
        window = {"start_time": now - args.since, "end_time": now}
    elif args.start_time is not None:
        window = {"start_time": args.start_time, "end_time": args.end_time}
    target = {
        "violation_ids": args.violation_ids,
        "security_profile_name": args.security_profile,
        "behavior_name": args.behavior,
    }
    fields = {
        "task_id": args.task_id,
        "target": {name: value for name, value in target.items() if value is not None},
        "actions": args.actions,
        "violation_event_occurrence_range": window,
        "include_only_active_violations": args.only_active or None,
        "include_suppressed_alerts": args.include_suppressed or None,
        # Drawn here when not given, as start_task would: one token for every retry of this run.
        "client_request_token": args.client_request_token or str(uuid.uuid4()),
    }
    return _validated(
        lambda: StartDetectMitigationActionsTaskRequest.model_validate(fields), _START_OPTIONS
    )


# Commands


def _client(args: argparse.Namespace) -> DetectMitigationClient:
    session = boto3.Session(profile_name=args.profile) if args.profile else None
    # The AWS CLI reads AWS_REGION before AWS_DEFAULT_REGION; boto3 reads only the latter.
    region = args.region or os.environ.get("AWS_REGION") or None
    return DetectMitigationClient(
        region_name=region, endpoint_url=args.endpoint_url, session=session
    )


def _describe(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    task_id = _task_id(args.task_id)
    _print_json(_describe_document(_client(args).describe_task(task_id)), out)
    return SUCCESS


def _start(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    request = _start_request(args)
    client = _client(args)
    task_id = client.start_task(
        task_id=request.task_id,
        target=request.target,
        actions=request.actions,
        violation_event_occurrence_range=request.violation_event_occurrence_range,
        include_only_active_violations=request.include_only_active_violations,
        include_suppressed_alerts=request.include_suppressed_alerts,
        client_request_token=request.client_request_token,
        capacity_timeout=args.capacity_timeout,
    )
    if not args.wait:
        _print_json({"taskId": task_id}, out)
        return SUCCESS
    return _wait_and_print(client, task_id, args.timeout or 600.0, out, err)


def _wait(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    task_id = _task_id(args.task_id)
    return _wait_and_print(_client(args), task_id, args.timeout, out, err)


def _wait_and_print(
    client: DetectMitigationClient, task_id: str, timeout: float, out: TextIO, err: TextIO
) -> int:
    """Wait, print the final (or last seen) state, and say in the exit status how it ended."""
    progress = _Progress(err)
    try:
        summary = client.wait_for_completion(task_id, timeout=timeout, on_update=progress)
    except WaitError as error:
        progress.close()
        if error.summary is not None:
            _print_json(_describe_document(error.summary), out)
        raise
    finally:
        progress.close()
    _print_json(_describe_document(summary), out)
    return SUCCESS


def _executions(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    task_id = _task_id(args.task_id)
    executions = [
        execution.model_dump(exclude_unset=True, exclude_none=True)
        for execution in _client(args).list_executions(task_id=task_id)
        if args.status is None or execution.status == args.status
    ]
    _print_json({"actionsExecutions": executions}, out)
    return SUCCESS


def _cancel(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _client(args).cancel_task(_task_id(args.task_id))
    return SUCCESS


def _violation_ids(given: list[str], stdin: TextIO) -> list[str]:
    """The ids given, with ``-`` replaced by the lines of stdin."""
    ids: list[str] = []
    for given_id in given:
        if given_id == "-":
            ids.extend(line.strip() for line in stdin if line.strip())
        else:
            ids.append(given_id)
    if not ids:
        raise _BadParameter("no violation ids: stdin was empty")
    return ids


def _mitigate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    violation_ids = _violation_ids(args.violation_ids, sys.stdin)
    client = _client(args)
    try:
        result = client.mitigate_violations(
            violation_ids,
            actions=args.actions,
            task_id_prefix=args.task_id_prefix,
            max_concurrent_tasks=args.max_concurrent_tasks,
            timeout=args.timeout,
        )
    except MitigationTimeoutError as error:
        _print_json(_result_document(error.result), out)
        raise
    except ValidationError as error:
        raise _BadParameter(_explain(error, _MITIGATE_OPTIONS)) from error
    except ValueError as error:  # the arguments' own checks, made before any call
        raise _BadParameter(_renamed(str(error), _MITIGATE_OPTIONS)) from error
    _print_json(_result_document(result), out)
    if result.succeeded:
        return SUCCESS
    statuses = {summary.task_status for summary in result.tasks}
    if result.failed_executions or DetectMitigationActionsTaskStatus.FAILED in statuses:
        err.write(f"{PROG}: {len(result.failed_executions)} executions FAILED\n")
        return TASK_FAILED
    err.write(f"{PROG}: a task was CANCELED\n")
    return TASK_CANCELED


def _result_document(result: MitigationResult) -> dict[str, Any]:
    return result.model_dump(exclude_none=True)


def _emulator(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        from .testing.__main__ import main as serve
    except ImportError as error:
        raise _MissingExtra(
            f"the emulator needs the testing extra: pip install 'iot-detect-mitigation[testing]'"
            f" ({error})"
        ) from error
    try:
        status = serve(args.emulator_arguments, prog=f"{PROG} emulator")
    except SystemExit as stop:  # the emulator's own parser: 2 for bad options, 0 for --help
        return BAD_PARAMETERS if stop.code == 2 else int(stop.code or 0)
    return OTHER_ERROR if status else SUCCESS  # it could not listen


class _MissingExtra(Exception):
    """An optional dependency is not installed (exit 253)."""


def exit_status(error: BaseException) -> int:
    """The exit status for an error that ended a command."""
    statuses: list[tuple[type[BaseException] | tuple[type[BaseException], ...], int]] = [
        ((_BadParameter, ValidationError), BAD_PARAMETERS),
        ((ConfigurationError, ProfileNotFound, _MissingExtra), BAD_ENVIRONMENT),
        (ServiceError, SERVICE_ERROR),
        (TaskFailedError, TASK_FAILED),
        (TaskCanceledError, TASK_CANCELED),
        (WaitTimeoutError, WAIT_TIMED_OUT),
        (KeyboardInterrupt, INTERRUPTED),
    ]
    return next((code for kind, code in statuses if isinstance(error, kind)), OTHER_ERROR)


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command and return its exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if args.command == "emulator":
        args.emulator_arguments = unknown
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    # The library's warnings (retries, polls that failed) are logs: stderr.
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
    logger = logging.getLogger("iot_detect_mitigation")
    logger.addHandler(handler)
    try:
        status: int = args.run(args, out, err)
        return status
    except _BadParameter as error:
        err.write(f"{PROG} {args.command}: error: {error}\n")
        return BAD_PARAMETERS
    except (DetectMitigationError, ProfileNotFound, _MissingExtra) as error:
        err.write(f"{PROG}: {error}\n")
        return exit_status(error)
    except KeyboardInterrupt:
        err.write(f"\n{PROG}: interrupted; a task already started goes on\n")
        return INTERRUPTED
    except Exception as error:  # no traceback for an operator; the message says what broke
        err.write(f"{PROG}: {type(error).__name__}: {error}\n")
        return OTHER_ERROR
    finally:
        logger.removeHandler(handler)
