#!/usr/bin/env bash
# Give a partner Kafka credentials that can read only its own inbox and write only to
# events.inbound (validated there like HTTP). Run inside the kafka container:
#   docker compose -f infra/compose.yaml exec kafka \
#     /opt/tandem-kafka/grant-partner.sh kingston-foodbank 'a long random password'
# The partner then connects to the PARTNERS listener (port 9094) with SASL SCRAM-SHA-512, as
# user = its partner id, and consumes `partner.<id>.inbox` in a group named `partner.<id>.<anything>`.
set -euo pipefail
partner="${1:?usage: grant-partner.sh PARTNER_ID PASSWORD}"
password="${2:?usage: grant-partner.sh PARTNER_ID PASSWORD}"
prefix="${TANDEM_TOPIC_PREFIX:-}"
bin=/opt/kafka/bin
server=localhost:9092

"$bin/kafka-configs.sh" --bootstrap-server "$server" --alter --entity-type users \
  --entity-name "$partner" --add-config "SCRAM-SHA-512=[iterations=8192,password=${password}]"

acl() { "$bin/kafka-acls.sh" --bootstrap-server "$server" --add --allow-principal "User:${partner}" "$@"; }
acl --operation Read --operation Describe --topic "${prefix}partner.${partner}.inbox"
acl --operation Read --group "partner.${partner}." --resource-pattern-type prefixed
acl --operation Write --operation Describe --topic "${prefix}events.inbound"
echo "partner ${partner}: may read ${prefix}partner.${partner}.inbox and write ${prefix}events.inbound"
