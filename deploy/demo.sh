#!/usr/bin/env bash
# deploy/demo.sh — placeholder demo until the sandbox exists: validates the bundled examples.
set -euo pipefail
BIN=${1:-build/nfegress}
cd "$(dirname "$0")/.."
"$BIN" check deploy/examples
