"""The chaos harness (issue 6): a fleet with flapping links, hubs killed with kill -9, the broker
and PostgreSQL restarted; then it checks that nothing was lost or doubled. `python -m bench.chaos`."""
