"""The doors people come in through: `slack/` (Bolt listeners and the `/voc` router) and
`web/` (the request gate, `/hooks/*`, the email survey page, monitoring). `context.py`,
shared by both, is how a listener or an endpoint reaches the runtime."""
