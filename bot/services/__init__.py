"""Use cases: each module holds the rules of one capability and calls storage and Slack."""
