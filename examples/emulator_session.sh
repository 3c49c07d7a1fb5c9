#!/usr/bin/env bash
# The emulator from a shell, with curl and the AWS CLI: docs/testing.md shows this session and
# tests/test_emulator_awscli.py runs it.
set -euo pipefail

# snippet-start: session
# Start the emulator on a free port; the first line it prints is its URL.
python -m iot_detect_mitigation.testing --port 0 > emulator.url &
trap 'kill %1' EXIT
while [ ! -s emulator.url ] && kill -0 %1 2>/dev/null; do sleep 0.1; done
ENDPOINT=$(head -n 1 emulator.url)

# Point the AWS CLI at it, with fake credentials.
export AWS_ENDPOINT_URL=$ENDPOINT AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing

# Seed the violation ML Detect would have raised.
curl -sS -X POST "$ENDPOINT/_emulator/violations?region=us-east-1" -d '{
  "violationId": "violation-1", "thingName": "pump-1",
  "securityProfileName": "pumps-ml", "behaviorName": "authorization-failures",
  "at": "2026-01-01T12:00:00Z"}'
echo

# The thing, the quarantine group and the mitigation action, with the ordinary IoT API.
aws iot create-thing --thing-name pump-1 > /dev/null
aws iot create-thing-group --thing-group-name quarantine > /dev/null
aws iot create-mitigation-action --action-name quarantine \
  --role-arn arn:aws:iam::123456789012:role/mitigation \
  --action-params '{"addThingsToThingGroupParams": {"thingGroupNames": ["quarantine"]}}' \
  > /dev/null

# Start a task, and wait for it to end.
aws iot start-detect-mitigation-actions-task --task-id task-1 \
  --target '{"violationIds": ["violation-1"]}' --actions quarantine \
  --client-request-token token-1
while STATUS=$(aws iot describe-detect-mitigation-actions-task --task-id task-1 \
    --query taskSummary.taskStatus --output text) && [ "$STATUS" = IN_PROGRESS ]; do
  sleep 1
done
echo "task-1: $STATUS"

# The violating thing is in the quarantine group.
aws iot list-things-in-thing-group --thing-group-name quarantine --query things --output text

# What the emulator saw, then a clean slate for the next test.
curl -sS "$ENDPOINT/_emulator/state?region=us-east-1"
echo
curl -sS -X POST "$ENDPOINT/_emulator/reset?region=us-east-1"
echo
# snippet-end: session
