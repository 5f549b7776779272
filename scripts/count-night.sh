#!/usr/bin/env bash
# count-night.sh — count one ZTF night at every stage by hand, with the
# Google Cloud CLIs and kcat: what `ztfbridge count --night DAY` computes,
# spelt out as the commands an operator can run one at a time.
#
# Usage: scripts/count-night.sh YYYYMMDD
#
# Configuration, from the environment (the same ZTFBRIDGE_* variables as the
# flags of `ztfbridge count`; a stage whose setting is empty prints n/a):
#   ZTFBRIDGE_BUCKET     alert bucket (terraform output alert_bucket)       -> Pub/Sub record, Avros in GCS
#   ZTFBRIDGE_PROJECT    BigQuery project (terraform output project_id)     -> BigQuery rows, distinct candids
#   ZTFBRIDGE_DATASET    BigQuery dataset (default ztf)
#   ZTFBRIDGE_TABLE      table or view counted (default alerts: one row per candid)
#   ZTFBRIDGE_BROKERS    Kafka brokers, host:port,...; needs kcat           -> alerts in Kafka
#   COUNT_LS             gcloud (default: gcloud storage ls) or gsutil (gsutil ls)
#
# On GCP the CLIs use your gcloud login. On the local stack, export what
# `ztfbridge-dev up` prints: CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE (gcloud storage),
# BOTO_CONFIG (gsutil), CLOUDSDK_API_ENDPOINT_OVERRIDES_BIGQUERY (bq),
# CLOUDSDK_AUTH_ACCESS_TOKEN=fake and CLOUDSDK_CORE_PROJECT.
#
# Output: each command on stderr as it runs ("+ ..."), then on stdout one
# "name value" line per figure, value a number or n/a:
#   night, alerts_in_kafka, pubsub_messages, avros_in_gcs, bigquery_rows, distinct_candids
# Exit status 3 (as `ztfbridge count`) when a configured stage could not be
# read; its figures are then "error".
set -euo pipefail
status=0

day=${1:-}
if [[ ! $day =~ ^[0-9]{8}$ ]]; then
	echo "usage: $0 YYYYMMDD" >&2
	exit 2
fi
topic=ztf_${day}_programid1
date_sql=${day:0:4}-${day:4:2}-${day:6:2}
bucket=${ZTFBRIDGE_BUCKET:-}
project=${ZTFBRIDGE_PROJECT:-}
dataset=${ZTFBRIDGE_DATASET:-ztf}
table=${ZTFBRIDGE_TABLE:-alerts}
brokers=${ZTFBRIDGE_BROKERS:-}

# run shows a command on stderr, then runs it; run_quiet also hides the
# command's own stderr (a missing object or no match is not an error here).
run() {
	printf '+ %s\n' "$*" >&2
	"$@"
}
run_quiet() {
	printf '+ %s\n' "$*" >&2
	"$@" 2>/dev/null
}

# Kafka: the messages a topic retains, newest minus oldest offset summed over
# its partitions (kcat -Q: -1 is the end, -2 the beginning of a partition).
kafka=n/a
if [[ -n $brokers ]] && command -v kcat >/dev/null; then
	partitions=$(run kcat -b "$brokers" -L -t "$topic" | sed -n 's/^ *partition \([0-9]*\),.*/\1/p')
	if [[ -n $partitions ]]; then
		kafka=0
		for p in $partitions; do
			newest=$(run kcat -b "$brokers" -Q -t "$topic:$p:-1" | awk '{print $NF}')
			oldest=$(run kcat -b "$brokers" -Q -t "$topic:$p:-2" | awk '{print $NF}')
			kafka=$((kafka + newest - oldest))
		done
	fi
fi

pubsub=n/a
gcs=n/a
if [[ -n $bucket ]]; then
	if [[ ${COUNT_LS:-gcloud} == gsutil ]]; then
		ls=(gsutil ls)
		cat=(gsutil cat)
	else
		ls=(gcloud storage ls)
		cat=(gcloud storage cat)
	fi
	# Pub/Sub: the connector's own record of what Pub/Sub acknowledged.
	if record=$(run_quiet "${cat[@]}" "gs://$bucket/_ztfbridge/connector/$topic.json"); then
		pubsub=$(sed -n 's/.*"published": *\([0-9]*\).*/\1/p' <<<"$record")
	fi
	# GCS: one object per alert, written once.
	gcs=$({ run_quiet "${ls[@]}" "gs://$bucket/${topic}_*.avro" || true; } | grep -c '\.avro$' || true)
fi

rows=n/a
candids=n/a
if [[ -n $project ]]; then
	# BigQuery: rows and distinct candids of the night (the alerts view has one row per candid).
	if csv=$(run bq --project_id="$project" --format=csv query --nouse_legacy_sql --quiet \
		"SELECT COUNT(*) AS n_rows, COUNT(DISTINCT candid) AS candids FROM \`$project.$dataset.$table\` WHERE night = DATE '$date_sql'"); then
		IFS=, read -r rows candids <<<"$(tail -n 1 <<<"$csv")"
	else
		printf 'count-night: the BigQuery query failed (wrong ZTFBRIDGE_DATASET or ZTFBRIDGE_TABLE? no loader yet?):\n%s\n' "$csv" >&2
		rows=error candids=error status=3
	fi
fi

printf 'night %s\nalerts_in_kafka %s\npubsub_messages %s\navros_in_gcs %s\nbigquery_rows %s\ndistinct_candids %s\n' \
	"$day" "$kafka" "$pubsub" "$gcs" "$rows" "$candids"
exit $status
