"""Development tooling: the Slack emulator, payload builders, the demo, the text renderer.

No product module imports this package; the CLI's `demo` and `emulator` commands load it."""
