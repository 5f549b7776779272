#!/bin/sh
# Builds the Cloud Function's source archive, the zip terraform uploads.
#   scripts/build-function-zip.sh [OUT]   (default build/function-source.zip)
# Deploy it with runtime go126 and entry point StoreAlert (docs/function.md).
set -eu
cd "$(dirname "$0")/.."
exec go run ./functions/cmd/function-zip -o "${1:-build/function-source.zip}"
