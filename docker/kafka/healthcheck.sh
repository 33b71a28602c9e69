#!/bin/bash
# Healthy once the broker answers an authenticated client.
set -euo pipefail
config=$(mktemp)
"$(dirname "$0")/admin-client.sh" "$config"
/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092 \
  --command-config "$config" >/dev/null
