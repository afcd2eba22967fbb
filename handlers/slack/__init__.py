"""The Slack door: Bolt listeners, and the one place they are registered (`register`)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.core.runtime import Runtime
from handlers import context
from handlers.slack import (
    cases,
    errors,
    exit_survey,
    home,
    listeners,
    question_sets,
    requests,
    shared_surveys,
    surveys,
    voc_command,
)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Install the runtime middleware, every area's listeners and the error handler."""
    context.install(app, runtime)
    listeners.install(app, runtime)  # replayed view submissions dropped before any listener
    surveys.register(app)
    shared_surveys.register(app)
    cases.register(app)
    voc_command.register(app)
    home.register(app)
    requests.register(app)
    exit_survey.register(app)
    question_sets.register(app)
    errors.register(app)
