#!/usr/bin/env bash
# backfill.sh — re-ingest a past night's Kafka topic while ZTF still retains
# it, without duplicating what is stored: a wrapper of `ztfbridge backfill`
# (see docs/operating.md and internal/ops/backfill).
#
# Usage: scripts/backfill.sh YYYYMMDD [more ztfbridge backfill flags]
#
# ZTF's brokers only answer the connector VM's static address, so with
# CONNECTOR_VM and CONNECTOR_ZONE set (terraform output connector_vm) the
# backfill runs there, over IAP ssh, with the connector's own settings
# (/etc/ztfbridge/connect.env) and no metrics port, beside the nightly
# connector. Without them it runs `ztfbridge` here with the ZTFBRIDGE_*
# variables of this shell (the local stack: export what `ztfbridge-dev up` prints).
set -euo pipefail

day=${1:-}
if [[ ! $day =~ ^[0-9]{8}$ ]]; then
	echo "usage: $0 YYYYMMDD [ztfbridge backfill flags]" >&2
	exit 2
fi
shift

if [[ -n ${CONNECTOR_VM:-} ]]; then
	remote="set -a; . /etc/ztfbridge/connect.env; set +a; exec /usr/local/bin/ztfbridge backfill --night $day --metrics-addr=''"
	for arg in "$@"; do
		remote+=" $(printf '%q' "$arg")"
	done
	printf '+ on %s: %s\n' "$CONNECTOR_VM" "$remote" >&2
	exec gcloud compute ssh "$CONNECTOR_VM" --zone "${CONNECTOR_ZONE:?set CONNECTOR_ZONE too}" --tunnel-through-iap \
		--command "sudo bash -c $(printf '%q' "$remote")"
fi
printf '+ ztfbridge backfill --night %s %s\n' "$day" "$*" >&2
exec "${ZTFBRIDGE_BIN:-ztfbridge}" backfill --night "$day" "$@"
