"""The inbound service: CloudEvents that partners produce straight to Kafka, on
`events.inbound`, validated as the gateway validates HTTP and stored in the same event store;
what is refused becomes a dead letter with its reasons. `python -m services.inbound`."""
