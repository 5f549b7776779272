#!/usr/bin/env bash
# terraform-provider-mirror.sh — build the google Terraform provider from the Go
# module proxy and lay it out as a local filesystem mirror, so that
# `terraform init` works offline from a clean checkout.
#
# Usage:  export TF_CLI_CONFIG_FILE="$(scripts/terraform-provider-mirror.sh)"
#
# Prints the path of a Terraform CLI configuration whose provider_installation
# uses only that mirror. Idempotent: when the binary of the pinned commit is
# already built it returns at once; otherwise `go install` builds it (about ten
# minutes on two cores with a cold Go build cache).
#
# Environment:
#   ZTFBRIDGE_TF_CACHE  where the binary, mirror and CLI config live
#                       (default: $(go env GOCACHE)/ztfbridge/terraform, beside
#                       the other tools the Makefile caches)
#   TF_PROVIDER_GOBIN   where `go install` puts the provider binary
#                       (default: $ZTFBRIDGE_TF_CACHE/bin); point it at an
#                       existing build to reuse it
#
# No .terraform.lock.hcl is committed: its hashes would only fit this local
# build. terraform/.gitignore ignores it and `terraform init` writes a fresh one.
set -euo pipefail

# The provider is not tagged as a Go module version, so it is pinned by commit
# (a pseudo-version). CHANGELOG.md at that commit opens with 8.0.0: that is the
# release the mirror advertises to Terraform.
readonly module=github.com/hashicorp/terraform-provider-google
readonly module_version=v1.20.1-0.20260828184646-f3721fb45fa3
readonly provider_version=8.0.0
readonly provider_address=registry.terraform.io/hashicorp/google

cache=${ZTFBRIDGE_TF_CACHE:-$(go env GOCACHE)/ztfbridge/terraform}
gobin=${TF_PROVIDER_GOBIN:-$cache/bin}
binary=$gobin/terraform-provider-google
platform=$(go env GOOS)_$(go env GOARCH)
mirror=$cache/mirror
cli_config=$cache/terraformrc

log() { printf 'terraform-provider-mirror: %s\n' "$*" >&2; }

# built_version prints the module version the binary was built from, if any.
built_version() {
	[[ -x $binary ]] || return 0
	go version -m "$binary" 2>/dev/null | awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }'
}

if [[ $(built_version) != "$module_version" ]]; then
	log "building $module@$module_version into $gobin (slow the first time)"
	mkdir -p "$gobin"
	GOBIN=$gobin go install "$module@$module_version"
	[[ $(built_version) == "$module_version" ]] || { log "go install did not produce $binary"; exit 1; }
fi

# Unpacked mirror layout: HOSTNAME/NAMESPACE/TYPE/VERSION/OS_ARCH/terraform-provider-TYPE_vVERSION.
dir=$mirror/$provider_address/$provider_version/$platform
target=$dir/terraform-provider-google_v$provider_version
if [[ $(readlink "$target" 2>/dev/null) != "$binary" ]]; then
	mkdir -p "$dir"
	ln -sfn "$binary" "$target"
fi

# Only the mirror: a provider that is not in it fails init instead of
# reaching for the network.
config=$(cat <<CONFIG
# Written by scripts/terraform-provider-mirror.sh; do not edit.
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["$provider_address"]
  }
}
CONFIG
)
if [[ ! -f $cli_config || $(cat "$cli_config") != "$config" ]]; then
	mkdir -p "$cache"
	printf '%s\n' "$config" >"$cli_config"
fi

printf '%s\n' "$cli_config"
