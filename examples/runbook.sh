#!/usr/bin/env bash
# Runbook: quarantine the things that violated an ML Detect behavior in the last hours.
#
#   examples/runbook.sh SECURITY_PROFILE BEHAVIOR [SINCE]     (SINCE: 90m, 6h, 1d; default 1h)
#
# The task id is derived from the profile, the behavior and the hour, so running the runbook
# again in the same hour waits for the task the first run started instead of starting another.
# The region, credentials and endpoint come from the environment (AWS_REGION, AWS_PROFILE,
# AWS_ENDPOINT_URL, ...), as for the AWS CLI. Its exit status is the command's.
set -euo pipefail

profile=$1 behavior=$2 since=${3:-1h}
task_id=$(printf 'runbook-%s-%s-%s' "$profile" "$behavior" "$(date -u +%Y%m%dT%H)" | tr -c 'a-zA-Z0-9_-' '-')
result=${RESULT_FILE:-$task_id.json}

if ! iot-detect-mitigation describe "$task_id" > /dev/null 2>&1; then
    iot-detect-mitigation start --task-id "$task_id" --security-profile "$profile" \
        --behavior "$behavior" --action quarantine --since "$since" > /dev/null
fi

status=0
iot-detect-mitigation wait "$task_id" --timeout 900 > "$result" || status=$?
case $status in
    0) echo "$task_id: every violating thing is in quarantine ($result)" >&2 ;;
    10) iot-detect-mitigation executions "$task_id" --status FAILED > "$result.failed"
        echo "$task_id: some mitigations FAILED; which things, and why: $result.failed" >&2 ;;
    11) echo "$task_id: someone canceled the task ($result)" >&2 ;;
    12) echo "$task_id: still running after 15 minutes; run this again to keep waiting" >&2 ;;
esac
exit $status
