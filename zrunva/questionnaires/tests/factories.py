"""Builders of questionnaire tests: example definitions and answering in bulk."""

from zrunva.questionnaires import services


def q(key, kind, **more) -> dict:
    return {"key": key, "kind": kind, "label_ka": f"{key} (ka)", "label_en": key, **more}


YES_NO = [
    {"value": "yes", "label_ka": "დიახ", "label_en": "Yes"},
    {"value": "no", "label_ka": "არა", "label_en": "No"},
]
NEEDS = [
    {"value": "transport", "label_ka": "ტრანსპორტი", "label_en": "Transport"},
    {"value": "care", "label_ka": "მოვლა", "label_en": "Care"},
    {"value": "none", "label_ka": "არაფერი", "label_en": "None"},
]

FORM = {
    "sections": [
        {
            "title_ka": "თქვენ შესახებ",
            "title_en": "About you",
            "questions": [
                q("age", "number", required=True, min=0, max=120, integer=True),
                q("lives_alone", "single", choices=YES_NO, required=True),
                q("needs", "multiple", choices=NEEDS, show_if="${age} >= 60"),
                q(
                    "transport_note",
                    "text",
                    max_length=50,
                    required=True,
                    show_if="selected(${needs}, 'transport')",
                ),
                q("visited", "date", min="2020-01-01", max="2030-12-31"),
                q("satisfied", "scale", min=1, max=5),
                q("consent", "yes_no", required=True),
                q(
                    "members",
                    "group",
                    max_repeats=3,
                    questions=[
                        q("m_age", "number", required=True, min=0, max=120, integer=True),
                        q("m_school", "yes_no", required=True, show_if="${m_age} < 18"),
                    ],
                ),
            ],
        }
    ]
}


SMALL = {
    "sections": [
        {
            "title_ka": "ა",
            "title_en": "A",
            "questions": [
                q("alone", "single", choices=YES_NO, required=True),
                q("age", "number", min=0, max=120, integer=True),
                q(
                    "needs",
                    "multiple",
                    choices=[
                        {"value": "care", "label_ka": "მოვლა", "label_en": "Care"},
                        {"value": "ramp", "label_ka": "პანდუსი", "label_en": "Ramp"},
                    ],
                ),
            ],
        }
    ]
}


def answer(s, municipality, given, *, actor=None, submit=True):
    return services.response_save(
        actor=actor or s["interviewer"],
        version=s["version"],
        survey=s["survey"],
        municipality=municipality,
        given=given,
        submit=submit,
    )


def answer_many(s, municipality, n, given):
    for _ in range(n):
        answer(s, municipality, given)
