"""The kernel every layer above uses: settings, the runtime, the Slack client, logging, errors."""
