#!/bin/bash
# Writes the super user's client settings to the file named by $1 (SASL/PLAIN, as the broker's
# listeners expect); the password comes from NCEFLOW_KAFKA_ADMIN_PASSWORD.
set -euo pipefail
: "${NCEFLOW_KAFKA_ADMIN_PASSWORD:?set by docker-compose.yml}"
cat > "$1" <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${NCEFLOW_KAFKA_ADMIN_PASSWORD}";
PROPERTIES
