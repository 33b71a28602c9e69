#!/bin/bash
# Creates nceflow's topics and grants each service only what acls.txt says, as the super user.
set -euo pipefail
here=$(dirname "$0")
bin=${NCEFLOW_KAFKA_BIN:-/opt/kafka/bin}  # a test points it at stand-ins that print their arguments
config=$(mktemp)
"$here/admin-client.sh" "$config"
for topic in nce.checkout.order-events.v1 nce.fulfilment.order-events.v1 \
    nce.fulfilment.dead-letter.v1 nce.checkout.dead-letter.v1; do
  "$bin/kafka-topics.sh" --bootstrap-server kafka:9092 --command-config "$config" \
    --create --if-not-exists --topic "$topic" --partitions 8 --replication-factor 1
done
grep -v '^[[:space:]]*#' "$here/acls.txt" | while read -r principal operation type name pattern; do
  [ -n "$principal" ] || continue
  "$bin/kafka-acls.sh" --bootstrap-server kafka:9092 --command-config "$config" --add \
    --allow-principal "User:$principal" --operation "$operation" \
    "--$type" "$name" --resource-pattern-type "${pattern:-literal}"
done
