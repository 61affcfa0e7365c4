#!/usr/bin/env bash
# Creates what s.yaml expects to exist, with the `aliyun` CLI (configured: `aliyun configure`):
#   1. the function role (trusted by fc.aliyuncs.com) and its policy (deploy/ram-policy.json, filled in), attached;
#   2. the MNS queue for failed invocations, and for CPFS_TRIGGER_MODE=mns-batch (or mns) the event queue and
#      its dead-letter queue;
#   3. the SLS project and logstore of the function logs;
#   4. the bucket tag cpfs-dataflow=true (data flows need it).
# It reads the same variables as s.yaml (run `npm run deploy:check` first). `--dry-run` prints the commands
# instead of running them (no `aliyun` needed; the account id prints as <account-id> unless
# CPFS_ACCOUNT_ID is set). Re-running is safe: "already exists" answers are reported and skipped.
#
# Not done here: the data flow itself, the OSS event notification rule of mns-batch (OSS console or
# `aliyun oss`), EventBridge activation, and AliyunOSSEventNotificationRole (authorised once in the console).
# UNVERIFIED (docs/platform.md §5): the `aliyun` CLI command names and flags below follow each product's
# OpenAPI (RAM, MNS 2022-01-19 "mns-open", SLS, OSS via ossutil's `bucket-tagging`); none was run from here.
# NOTE: `bucket-tagging --method put` replaces the bucket's whole tag set: with other tags, add this one
# in the console instead (CPFS_SKIP_BUCKET_TAG=1 skips the step).
set -euo pipefail

DRY_RUN=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY_RUN=1 ;;
    -h|--help)
      sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
      exit 0 ;;
    *) echo "prerequisites.sh: unknown argument $arg (use --dry-run or --help)" >&2; exit 2 ;;
  esac
done

here="$(cd "$(dirname "$0")" && pwd)"
missing=()
for name in OSS_BUCKET CPFS_FILE_SYSTEM_ID CPFS_LOG_PROJECT CPFS_LOG_STORE; do
  [ -n "${!name:-}" ] || missing+=("$name")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "prerequisites.sh: set ${missing[*]} (the same variables as s.yaml; npm run deploy:check lists every problem)" >&2
  exit 2
fi

region="${CPFS_REGION:-cn-hangzhou}"
role="${CPFS_FC_ROLE_NAME:-cpfs-ingest-fc}"
policy="$role"
mode="${CPFS_TRIGGER_MODE:-oss}"
failure_queue="${CPFS_FAILURE_QUEUE:-cpfs-ingest-failures}"
event_queue="${CPFS_MNS_QUEUE:-cpfs-ingest-oss-events}"
dead_letter_queue="${CPFS_MNS_DEAD_LETTER_QUEUE:-cpfs-ingest-dead-letters}"
case "$mode" in
  oss|mns-batch|mns) ;;
  *) echo "prerequisites.sh: CPFS_TRIGGER_MODE must be oss or mns-batch (alias mns)" >&2; exit 2 ;;
esac

# Prints a command as a shell-quoted line (dry run), or runs it; an "already exists" answer is not an error.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    local out=""
    for word in "$@"; do out+="$(printf '%q' "$word") "; done
    echo "${out% }"
    return 0
  fi
  local output
  if output="$("$@" 2>&1)"; then
    echo "ok: $1 $2 $3"
  elif echo "$output" | grep -qiE 'AlreadyExist|already exists|EntityAlreadyExists'; then
    echo "exists: $1 $2 $3 (left as it is)"
  else
    echo "$output" >&2
    echo "prerequisites.sh: failed: $1 $2 $3" >&2
    return 1
  fi
}

if [ -n "${CPFS_ACCOUNT_ID:-}" ]; then
  account="$CPFS_ACCOUNT_ID"
elif [ "$DRY_RUN" = 1 ]; then
  account="<account-id>"
else
  account="$(aliyun sts GetCallerIdentity | sed -n 's/.*"AccountId": *"\([0-9]*\)".*/\1/p')"
  [ -n "$account" ] || { echo "prerequisites.sh: cannot read the account id (aliyun sts GetCallerIdentity); set CPFS_ACCOUNT_ID" >&2; exit 1; }
fi

# 1. The function role: FC assumes it (trust policy), and it holds deploy/ram-policy.json.
trust='{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["fc.aliyuncs.com"]}}]}'
document="$(sed -e "s/<region>/$region/g" -e "s/<account-id>/$account/g" \
  -e "s/<file-system-id>/$CPFS_FILE_SYSTEM_ID/g" -e "s/<bucket>/$OSS_BUCKET/g" \
  -e "s/<failure-queue>/$failure_queue/g" -e "s/<log-project>/$CPFS_LOG_PROJECT/g" \
  -e "s/<log-store>/$CPFS_LOG_STORE/g" "$here/ram-policy.json" | tr -d '\n' | tr -s ' ')"
run aliyun ram CreateRole --RoleName "$role" --AssumeRolePolicyDocument "$trust" --Description "cpfs-ingest functions (oss-stream-import, reconcile)"
run aliyun ram CreatePolicy --PolicyName "$policy" --PolicyDocument "$document" --Description "cpfs-ingest function role (deploy/ram-policy.json)"
run aliyun ram AttachPolicyToRole --PolicyType Custom --PolicyName "$policy" --RoleName "$role"

# 2. MNS queues: failed async invocations always; the event queue and its dead letters for mns-batch.
run aliyun mns-open CreateQueue --region "$region" --QueueName "$failure_queue"
if [ "$mode" != oss ]; then
  run aliyun mns-open CreateQueue --region "$region" --QueueName "$event_queue"
  run aliyun mns-open CreateQueue --region "$region" --QueueName "$dead_letter_queue"
fi

# 3. SLS project and logstore for the function logs (30 days; the metric lines are charted from here).
run aliyun sls CreateProject --region "$region" --body "{\"projectName\":\"$CPFS_LOG_PROJECT\",\"description\":\"cpfs-ingest function logs\"}"
run aliyun sls CreateLogStore --region "$region" --project "$CPFS_LOG_PROJECT" --body "{\"logstoreName\":\"$CPFS_LOG_STORE\",\"ttl\":30,\"shardCount\":2}"

# 4. The tag data flows require on their bucket.
if [ -z "${CPFS_SKIP_BUCKET_TAG:-}" ]; then
  run aliyun oss bucket-tagging --method put "oss://$OSS_BUCKET" "cpfs-dataflow#true"
fi

if [ "$DRY_RUN" = 1 ]; then
  echo "# dry run: nothing was created. Without --dry-run these run in order; then npm run deploy:check && npx s deploy -y"
fi
