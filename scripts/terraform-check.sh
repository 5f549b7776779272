#!/usr/bin/env bash
# terraform-check.sh — the offline checks of terraform/ (run by `make test`
# and CI): formatting, init from the local provider mirror, validate, the
# mocked `terraform test`, and a plan of every resource with a fake token.
# Needs no network and no Google credentials once the provider is built
# (scripts/terraform-provider-mirror.sh, which this calls).
#
# Usage: scripts/terraform-check.sh
#
# The plan sets every optional resource on (SASL, hence its secret), and its
# grants must be terraform/permissions/grants.json, which the permission test
# checks against the calls the components make.
#
# The plan uses build/ztfbridge and build/function-source.zip when they exist
# (`make build function-zip`), otherwise the small stand-ins of
# terraform/tests/fixtures; it never reads or writes terraform/'s own state.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/terraform

step() { printf '\n--- terraform-check: %s\n' "$*"; }

TF_CLI_CONFIG_FILE=$("$root/scripts/terraform-provider-mirror.sh")
export TF_CLI_CONFIG_FILE
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
# Any credentials of the caller are hidden: nothing here may reach Google.
unset GOOGLE_APPLICATION_CREDENTIALS GOOGLE_CREDENTIALS GOOGLE_OAUTH_ACCESS_TOKEN CLOUDSDK_CONFIG

if [[ ! -f $dir/schema/alerts.json ]]; then
	echo "terraform-check: terraform/schema/alerts.json is missing; it is generated from the code: ztfbridge schema > terraform/schema/alerts.json" >&2
	exit 1
fi

step "fmt"
terraform -chdir="$dir" fmt -check -recursive -diff

step "init (provider from the local mirror)"
# The lock file only records the hash of whichever local build was mirrored
# (it is not committed); start from a fresh one so a rebuilt provider is accepted.
rm -f "$dir/.terraform.lock.hcl"
terraform -chdir="$dir" init -input=false -no-color >/dev/null

step "validate"
terraform -chdir="$dir" validate -no-color

step "test (mocked google provider)"
terraform -chdir="$dir" test -no-color

step "plan (fake token, every resource)"
binary=$root/build/ztfbridge
zip=$root/build/function-source.zip
[[ -f $binary ]] || binary=$dir/tests/fixtures/ztfbridge
[[ -f $zip ]] || zip=$dir/tests/fixtures/function-source.zip
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# -state keeps the plan away from a real terraform.tfstate in terraform/.
GOOGLE_OAUTH_ACCESS_TOKEN=fake terraform -chdir="$dir" plan -no-color -input=false -lock=false \
	-state="$scratch/offline.tfstate" -out="$scratch/offline.tfplan" \
	-var project_id=ztfbridge-offline \
	-var 'ztf_kafka_brokers=["kafka.example.org:9092"]' \
	-var loader_image=us-central1-docker.pkg.dev/ztfbridge-offline/ztfbridge/ztfbridge@sha256:0000000000000000000000000000000000000000000000000000000000000000 \
	-var kafka_sasl_mechanism=SCRAM-SHA-512 -var kafka_sasl_user=ztfbridge \
	-var ztfbridge_binary="$binary" \
	-var function_source_zip="$zip" >"$scratch/plan.txt" 2>&1 || { cat "$scratch/plan.txt" >&2; exit 1; }
grep -E '^ +# .* will be (created|read during apply)' "$scratch/plan.txt" | sed -E 's/^ +# /  /'
summary=$(grep -E '^Plan: ' "$scratch/plan.txt")
echo "$summary"
[[ $summary =~ ^Plan:\ [0-9]+\ to\ add,\ 0\ to\ change,\ 0\ to\ destroy\.$ ]] || { echo "terraform-check: unexpected plan: $summary" >&2; exit 1; }

terraform -chdir="$dir" show -json "$scratch/offline.tfplan" >"$scratch/offline.json"

step "permissions: the grants of the plan are terraform/permissions/grants.json, and cover every call"
# grants.json is what the permission test (go test ./terraform/permissions)
# checks against calls.tsv and roles.json; it must be what terraform grants.
(cd "$root" && go run ./terraform/permissions/tfgrants "$scratch/offline.json") >"$scratch/grants.json"
if ! diff -u "$dir/permissions/grants.json" "$scratch/grants.json"; then
	echo "terraform-check: terraform/permissions/grants.json is not what the plan grants; update it:" >&2
	echo "  terraform show -json PLAN > plan.json && go run ./terraform/permissions/tfgrants plan.json > terraform/permissions/grants.json" >&2
	exit 1
fi
(cd "$root" && go test -count=1 ./terraform/permissions/...)

step "connector startup script parses (bash -n)"
if command -v jq >/dev/null; then
	jq -er '.planned_values.root_module.resources[] | select(.address == "google_compute_instance.connector") | .values.metadata_startup_script' \
		"$scratch/offline.json" >"$scratch/startup.sh"
	bash -n "$scratch/startup.sh"
	echo "$(wc -l <"$scratch/startup.sh") lines, syntax ok"
else
	echo "jq is not installed: the rendered startup script was not parsed" >&2
fi

step "ok"
