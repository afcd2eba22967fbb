"""Question sets: the rules a survey a team designs must keep, and SURVEYS_FILE's lines."""

from __future__ import annotations

import pytest

from bot.domain.question_sets import QuestionType, SetError, check_set
from bot.domain.survey_file import read
from bot.domain.survey_templates import TEMPLATES


def _text(n: int) -> list[dict[str, str]]:
    return [{"key": f"q{i}", "type": "text", "text": f"Question {i}?"} for i in range(n)]


def test_a_set_of_five_questions_is_taken() -> None:
    qset = check_set("s", {"trigger": "renewal", "metric": "ces", "questions": _text(4)})
    assert [q.key for q in qset.follow_ups] == ["q0", "q1", "q2", "q3"]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"trigger": "renewal", "metric": "ces", "questions": _text(5)}, "6 questions; at most 5"),
        ({"trigger": "renewal", "metric": ["nps", "csat"]}, "mixed scales nps, csat"),
        (
            {"trigger": "renewal", "metric": "nps", "questions": [{"key": "x", "type": "ces"}]},
            "mixed scales: a CES question in a NPS survey",
        ),
        (
            {
                "trigger": "renewal",
                "metric": "nps",
                "questions": [{"key": "x", "type": "choice", "text": "Why?", "options": []}],
            },
            "empty option list",
        ),
        (
            {
                "trigger": "renewal",
                "metric": "nps",
                "questions": [
                    {"key": "x", "type": "choice", "text": "Why?", "options": list("abcdefghi")}
                ],
            },
            "9 options; a choice has at most 8",
        ),
        ({"trigger": "birthday", "metric": "nps"}, "unknown trigger 'birthday'"),
        ({"trigger": "renewal", "metric": "nps", "template": "nope"}, "unknown template 'nope'"),
    ],
)
def test_a_broken_set_is_refused_with_one_line_naming_the_problem(
    raw: dict[str, object], problem: str
) -> None:
    with pytest.raises(SetError) as refused:
        check_set("s", raw)
    assert problem in str(refused.value)
    assert "\n" not in str(refused.value)


def test_onboarding_day_n_is_a_trigger() -> None:
    assert check_set("d30", {"trigger": "onboarding_day_30", "metric": "csat"}).trigger == (
        "onboarding_day_30"
    )


def test_every_template_is_a_valid_set_in_english_and_malay() -> None:
    for name in TEMPLATES:
        qset = check_set(name, {"trigger": "training", "template": name})
        for question in qset.follow_ups:
            assert set(question.text) == {"en", "ms"}
    ticket = check_set("t", {"trigger": "ticket_closed", "template": "ticket_closed"})
    assert [(q.words("en"), q.type) for q in ticket.follow_ups] == [
        ("Was your issue fully resolved?", QuestionType.YES_NO),
        ("What could we have done better?", QuestionType.TEXT),
    ]
    assert ticket.follow_ups[0].choices("ms") == (("yes", "Ya"), ("no", "Tidak"))


def test_a_set_reads_back_from_its_definition() -> None:
    qset = check_set("r", {"trigger": "renewal", "template": "renewal"})
    assert check_set("r", qset.definition()) == qset


BAD_YAML = """\
surveys:
  after_ticket:
    trigger: ticket_closed
    metric: csat
    questions:
      - key: resolved
        type: yes_no
        text: Resolved?
      - key: why
        type: choice
        text: Why?
        options: []
  renewal:
    trigger: renewal
    metric: ces
    questions:
      - {key: q1, type: text, text: "1"}
      - {key: q2, type: text, text: "2"}
      - {key: q3, type: text, text: "3"}
      - {key: q4, type: text, text: "4"}
      - {key: q5, type: text, text: "5"}
"""


def test_a_bad_yaml_file_names_each_problem_with_its_line() -> None:
    problems = [str(p) for p in read(BAD_YAML).problems]
    assert problems == [
        "line 9: survey after_ticket, question 2 (why): empty option list; a choice needs 1–8",
        "line 13: survey renewal: 6 questions; at most 5 (the CES score and up to 4 follow-ups)",
    ]


def test_unreadable_yaml_and_toml_name_their_line() -> None:
    assert str(read("surveys:\n  a: [1\n").problems[0]).startswith("line 3: not valid YAML")
    assert str(read("[surveys.a]\ntrigger = \n", toml=True).problems[0]).startswith(
        "line 2: not valid TOML"
    )


def test_a_toml_file_is_read_and_its_problems_lined() -> None:
    text = """\
[surveys.after_ticket]
trigger = "ticket_closed"
template = "ticket_closed"

[surveys.renewal]
trigger = "renewal"
metric = "ces"

[[surveys.renewal.questions]]
key = "driver"
type = "choice"
text = "What matters most?"
options = []
"""
    problems = [str(p) for p in read(text, toml=True).problems]
    assert problems == [
        "line 9: survey renewal, question 1 (driver): empty option list; a choice needs 1–8"
    ]
    good = read(text.replace("options = []", 'options = ["Price", "Support"]'), toml=True)
    assert [s.name for s in good.sets] == ["after_ticket", "renewal"]


def test_two_sets_for_one_trigger_are_refused() -> None:
    text = "surveys:\n  a: {trigger: renewal, metric: ces}\n  b: {trigger: renewal, metric: ces}\n"
    assert "both for renewal" in str(read(text).problems[0])
