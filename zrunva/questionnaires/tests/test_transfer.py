"""A form out and back in: Zrunva's JSON document and XLSForm workbooks (ODK, KoBoToolbox),
round trips for every kind, a workbook as KoBo writes it, and refusals naming every row."""

import copy
import io
import json

import pytest
import xlsxwriter
from pyxform.xls2xform import convert

from zrunva.questionnaires import definition, transfer
from zrunva.questionnaires.models import Form, FormVersion
from zrunva.questionnaires.tests.factories import FORM, NEEDS, YES_NO, q

# Every kind, both languages, help texts, conditions, bounds, a section of its own for the
# repeated group; the single question with yes/no choices stays single.
EVERY_KIND = {
    "sections": [
        {
            "title_ka": "ოჯახი",
            "title_en": "Household",
            "questions": [
                q("head", "person", required=True, help_ka="პირადი ნომერი", help_en="ID"),
                q("age", "number", required=True, min=0, max=120, integer=True),
                q("income", "number", min=0.5, max=9999.75),
                q("rooms", "number", min=1),
                q("lives_alone", "single", choices=YES_NO, required=True),
                q("needs", "multiple", choices=NEEDS, show_if="${age} >= 60"),
                q(
                    "transport_note",
                    "text",
                    max_length=50,
                    show_if="selected(${needs}, 'transport') and not(${lives_alone} = 'no')",
                ),
                q("comment", "text"),
                q("visited", "date", min="2020-01-01", max="2030-12-31"),
                q("born", "date", max="2026-01-01"),
                q("satisfied", "scale", min=0, max=10),
                q("consent", "yes_no", required=True),
            ],
        },
        {
            "title_ka": "წევრები",
            "title_en": "Members",
            "questions": [
                q(
                    "members",
                    "group",
                    min_repeats=1,
                    max_repeats=12,
                    show_if="${consent} = 'yes'",
                    questions=[
                        q("m_age", "number", required=True, min=0, max=120, integer=True),
                        q("m_school", "yes_no", show_if="${m_age} < 18"),
                        q("m_needs", "multiple", choices=NEEDS),
                    ],
                ),
            ],
        },
    ]
}


def a_form(questions=EVERY_KIND, **more) -> tuple[Form, FormVersion]:
    form = Form(
        pk=7,
        code="household-needs",
        name_ka="ოჯახის საჭიროებები",
        name_en="Household needs",
        description_ka="აღწერა",
        description_en="A description",
        source_ka="წყარო",
        source_en="A source",
        illustrative=True,
        **more,
    )
    return form, FormVersion(form=form, number=3, definition=questions)


def workbook(survey: list[list], choices: list[list] = (), settings: list[list] = ()) -> bytes:
    """A workbook as a person or KoBoToolbox writes it: rows of cells, the header first."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    for title, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        if rows:
            sheet = book.add_worksheet(title)
            for r, row in enumerate(rows):
                sheet.write_row(r, 0, row)
    book.close()
    return out.getvalue()


def refusal(call, *args) -> list[str]:
    with pytest.raises(transfer.TransferError) as error:
        call(*args)
    return error.value.messages


def test_the_example_covers_every_kind_and_is_valid():
    assert definition.check(EVERY_KIND) == []
    kinds = {question["kind"] for _p, question, _g in definition.questions(EVERY_KIND)}
    assert kinds == set(definition.KIND_LABELS)


# JSON ------------------------------------------------------------------------------------------


def test_the_json_document_is_stable_and_reads_back():
    form, version = a_form()
    document = form_document = transfer.form_json(form, version)
    assert list(form_document)[:3] == ["format", "format_version", "code"]
    assert document["format"] == "zrunva-form" and document["format_version"] == 1
    assert document["version"] == 3 and document["illustrative"] is True
    for given in (document, json.dumps(document), json.dumps(document).encode("utf-8-sig")):
        imported = transfer.read_json(given)
        assert imported.definition == EVERY_KIND
        assert imported.form_fields() == {
            "code": "household-needs",
            "name_ka": "ოჯახის საჭიროებები",
            "name_en": "Household needs",
            "description_ka": "აღწერა",
            "description_en": "A description",
            "source_ka": "წყარო",
            "source_en": "A source",
            "illustrative": True,
        }


def test_bad_json_is_refused_at_its_line_and_column():
    text = '{\n  "format": "zrunva-form",\n  "code": "x",,\n}'
    assert refusal(transfer.read_json, text) == [
        "The file is not JSON: at line 3, column 15: Expecting property name enclosed in "
        "double quotes."
    ]
    assert refusal(transfer.read_json, b"\xff\xfe{") == ["The file is not text in UTF-8."]


def test_a_json_document_is_refused_with_every_fault():
    form, version = a_form()
    assert "is not a Zrunva form" in refusal(transfer.read_json, {"format": "xlsform"})[0]
    later = {**transfer.form_json(form, version), "format_version": 2}
    assert refusal(transfer.read_json, later) == [
        "This form is in format version 2; Zrunva reads version 1."
    ]
    broken = copy.deepcopy(transfer.form_json(form, version))
    broken.update(code="household needs!", name_en="", illustrative="yes")
    broken["definition"]["sections"][0]["questions"][1]["min"] = 500
    assert refusal(transfer.read_json, broken) == [
        "The code “household needs!” may hold only Latin letters, digits, - and _.",
        "Give the form's name in Georgian and English.",
        "“illustrative” is true or false.",
        "Section 1, question 2 (age): the lowest value is above the highest.",
    ]


# XLSForm out and back in -----------------------------------------------------------------------


@pytest.mark.parametrize("questions", [EVERY_KIND, FORM], ids=["every kind", "the example"])
def test_an_xlsform_reads_back_to_the_same_form(questions):
    form, version = a_form(questions)
    imported = transfer.read_xlsform(transfer.xlsform(form, version))
    assert imported.definition == questions
    assert imported.form_fields() == {
        "code": "household-needs",
        "name_ka": "ოჯახის საჭიროებები",
        "name_en": "Household needs",
        "description_ka": "აღწერა",
        "description_en": "A description",
        "source_ka": "წყარო",
        "source_en": "A source",
        "illustrative": True,
    }
    assert imported.notes == []


def test_the_exported_workbook_is_a_form_pyxform_converts():
    # A person is asked as text there, as anywhere outside Zrunva.
    form, version = a_form()
    warnings: list[str] = []
    result = convert(transfer.xlsform(form, version), warnings=warnings, file_type=".xlsx")
    xform = result.xform
    assert 'lang="Georgian (ka)" default="true()"' in xform and 'lang="English (en)"' in xform
    assert "<h:title>ოჯახის საჭიროებები</h:title>" in xform
    assert 'id="household-needs" version="3"' in xform
    assert (
        'nodeset="/data/section_1/age" type="int" required="true()" constraint=". &gt;= 0 and'
        in xform
    )
    assert 'nodeset="/data/section_1/visited" type="date"' in xform
    assert "<range " in xform and 'start="0"' in xform and 'end="10"' in xform
    assert "<select " in xform and "<select1 " in xform and "<repeat " in xform
    assert 'relevant=" /data/section_1/age  &gt;= 60"' in xform
    assert "ოჯახი" in xform and "Household" in xform
    assert warnings == []


def test_a_workbook_written_as_kobotoolbox_writes_it_is_brought_in():
    survey = [
        [
            "type",
            "name",
            "label::English (en)",
            "label::Georgian (ka)",
            "hint::English (en)",
            "required",
            "relevant",
            "constraint",
            "appearance",
            "$kuid",
        ],
        ["start", "start", "", "", "", "", "", "", "", "a1"],
        ["end", "end", "", "", "", "", "", "", "", "a2"],
        ["integer", "age", "Age", "ასაკი", "In full years", "true", "", ". >= 18", "", "a3"],
        ["select_one yn", "alone", "Lives alone?", "ცხოვრობს მარტო?", "", "TRUE", "", "", "", ""],
        [
            "begin_group",
            "health",
            "Health",
            "ჯანმრთელობა",
            "",
            "",
            "${age} > 60",
            "",
            "field-list",
            "",
        ],
        [
            "select_multiple aids",
            "aids",
            "Aids used",
            "დამხმარე საშუალებები",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        ["begin_repeat", "visits", "Visits", "ვიზიტები", "", "", "", "", "", ""],
        ["date", "visit_day", "Day", "დღე", "", "yes", "", "", "", ""],
        ["end_repeat", "", "", "", "", "", "", "", "", ""],
        ["end_group", "", "", "", "", "", "", "", "", ""],
        ["text", "notes", "Notes", "შენიშვნები", "", "", "${alone} = 'yes'", "", "multiline", ""],
    ]
    choices = [
        ["list_name", "name", "label::English (en)", "label::Georgian (ka)"],
        ["yn", "yes", "Yes", "დიახ"],
        ["yn", "no", "No", "არა"],
        ["aids", "cane", "Cane", "ხელჯოხი"],
        ["aids", "wheelchair", "Wheelchair", "ეტლი"],
    ]
    settings = [["form_title", "form_id"], ["Elderly needs", "elderly_needs"]]
    imported = transfer.read_xlsform(io.BytesIO(workbook(survey, choices, settings)))
    assert (imported.code, imported.name_ka, imported.name_en) == (
        "elderly_needs",
        "Elderly needs",
        "Elderly needs",
    )
    assert imported.notes == [
        "Sheet survey, row 2 (start): recorded by the device, not asked; left out.",
        "Sheet survey, row 3 (end): recorded by the device, not asked; left out.",
    ]
    # Questions outside a group make a section of their own, titled with the form's name.
    assert imported.definition == {
        "sections": [
            {
                "title_ka": "Elderly needs",
                "title_en": "Elderly needs",
                "questions": [
                    {"key": "age", "kind": "number", "label_ka": "ასაკი", "label_en": "Age",
                     "help_en": "In full years", "required": True, "integer": True, "min": 18},
                    {"key": "alone", "kind": "yes_no", "label_ka": "ცხოვრობს მარტო?",
                     "label_en": "Lives alone?", "required": True},
                ],
            },
            {
                "title_ka": "ჯანმრთელობა",
                "title_en": "Health",
                "questions": [
                    # The group's condition goes to each question in it.
                    {"key": "aids", "kind": "multiple", "label_ka": "დამხმარე საშუალებები",
                     "label_en": "Aids used", "show_if": "${age} > 60",
                     "choices": [
                         {"value": "cane", "label_ka": "ხელჯოხი", "label_en": "Cane"},
                         {"value": "wheelchair", "label_ka": "ეტლი", "label_en": "Wheelchair"},
                     ]},
                    {"key": "visits", "kind": "group", "label_ka": "ვიზიტები",
                     "label_en": "Visits", "show_if": "${age} > 60",
                     "questions": [
                         {"key": "visit_day", "kind": "date", "label_ka": "დღე",
                          "label_en": "Day", "required": True},
                     ]},
                ],
            },
            {
                "title_ka": "Elderly needs",
                "title_en": "Elderly needs",
                "questions": [
                    {"key": "notes", "kind": "text", "label_ka": "შენიშვნები",
                     "label_en": "Notes", "show_if": "${alone} = 'yes'"},
                ],
            },
        ]
    }  # fmt: skip


def test_short_language_columns_plain_labels_and_a_repeat_count():
    survey = [
        ["type", "name", "label", "label::ka", "repeat_count", "parameters"],
        ["begin_repeat", "kids", "Children", "ბავშვები", "4", ""],
        ["range", "mood", "Mood", "განწყობა", "", "start=1;end=7"],
        ["end_repeat", "", "", "", "", ""],
    ]
    settings = [["form_title", "form_id"], ["Kids", "kids"]]
    imported = transfer.read_xlsform(workbook(survey, settings=settings))
    group = imported.definition["sections"][0]["questions"][0]
    assert group["max_repeats"] == 4 and group["label_ka"] == "ბავშვები"
    assert group["questions"] == [
        {"key": "mood", "kind": "scale", "label_ka": "განწყობა", "label_en": "Mood", "min": 1,
         "max": 7}
    ]  # fmt: skip


def test_a_workbook_is_refused_naming_every_row_at_once():
    survey = [
        ["type", "name", "label::English (en)", "label::Georgian (ka)", "relevant", "calculation"],
        ["text", "name_given", "Name", "სახელი", "", ""],
        ["geopoint", "where", "Where", "სად", "", ""],
        ["image", "photo", "Photo", "ფოტო", "", ""],
        ["integer", "age", "Age", "ასაკი", "${name_given} = ", ""],
        ["select_one colours", "colour", "Colour", "ფერი", "", ""],
        ["calculate", "twice", "", "", "", "${age} * 2"],
        ["note", "thanks", "Thanks", "მადლობა", "", ""],
        ["begin_group", "a", "A", "ა", "", ""],
        ["begin_group", "b", "B", "ბ", "", ""],
        ["end_group", "", "", "", "", ""],
    ]
    choices = [["list_name", "name", "label::English (en)"], ["yn", "yes", "Yes"], ["", "no", "No"]]
    settings = [["form_title", "form_id"], ["Broken", "broken"]]
    messages = refusal(transfer.read_xlsform, workbook(survey, choices, settings))
    kinds = (
        "a Zrunva form asks choices, numbers, dates, texts, yes or no, scales and repeated groups."
    )
    assert messages == [
        f"Sheet survey, row 3 (where): a “geopoint” question cannot be brought in: {kinds}",
        f"Sheet survey, row 4 (photo): a “image” question cannot be brought in: {kinds}",
        "Sheet survey, row 5 (age): the condition “${name_given} =” cannot be read at character "
        "16: Expected a number or a quoted value.",
        "Sheet survey, row 6 (colour): the choice list “colours” is not in the choices sheet.",
        "Sheet survey, row 7 (twice): the “calculation” column cannot be brought in; leave it "
        "empty.",
        f"Sheet survey, row 7 (twice): a “calculate” question cannot be brought in: {kinds}",
        f"Sheet survey, row 8 (thanks): a “note” question cannot be brought in: {kinds}",
        "Sheet survey, row 10 (b): a group inside a group cannot be brought in: a Zrunva form "
        "has sections of questions and repeated groups, one level deep.",
        "Sheet survey, row 9 (a): this “begin_group” has no “end_group”.",
        "Sheet choices, row 3 (no): a choice needs its list_name and its name.",
        # Then the definition's own faults: the group refused left its section empty.
        "Section 2 has no question.",
    ]


def test_bounds_and_kinds_zrunva_cannot_keep_are_named():
    survey = [
        ["type", "name", "label::en", "label::ka", "constraint", "required", "zrunva_kind"],
        ["integer", "n", "N", "ნ", ". > 3", "", ""],
        ["text", "t", "T", "ტ", "regex(., '^[0-9]+$')", "", ""],
        ["select_one yn", "yn", "Y", "დ", ". = 'yes'", "${n} > 3", ""],
        ["date", "d", "D", "დ", "", "", "person"],
        ["end_repeat", "", "", "", "", "", ""],
    ]
    choices = [["list_name", "name", "label::en", "label::ka"], ["yn", "yes", "Y", "ი"]]
    settings = [["form_title", "form_id"], ["Bounds", "bounds"]]
    messages = refusal(transfer.read_xlsform, workbook(survey, choices, settings))
    assert messages[:6] == [
        "Sheet survey, row 2 (n): the constraint “. > 3” cannot be brought in: Zrunva keeps only "
        "bounds, such as “. >= 0 and . <= 120”.",
        "Sheet survey, row 3 (t): the constraint “regex(., '^[0-9]+$')” cannot be brought in: "
        "Zrunva keeps only bounds, such as “string-length(.) <= 200”.",
        "Sheet survey, row 4 (yn): “required” is yes or no here; a condition (“${n} > 3”) cannot "
        "be brought in.",
        "Sheet survey, row 4 (yn): the constraint “. = 'yes'” cannot be brought in: this kind has "
        "no bounds.",
        "Sheet survey, row 5 (d): “zrunva_kind” person does not go with the type “date”.",
        "Sheet survey, row 6 (?): this “end_repeat” closes no “begin_repeat”.",
    ]
    # Then the definition's own faults, at the question's place: one choice is too few.
    assert messages[6:] == ["Section 1, question 3 (yn): give from 2 to 100 choices."]


def test_what_is_not_a_workbook_is_refused():
    assert refusal(transfer.read_xlsform, b"type,name\ntext,a\n") == [
        "This is not an Excel workbook (.xlsx or .xls)."
    ]
    assert refusal(transfer.read_xlsform, b"PK\x03\x04 not really a zip")[0].startswith(
        "The workbook cannot be read:"
    )
    no_survey = workbook([], settings=[["form_title"], ["X"]])
    assert refusal(transfer.read_xlsform, no_survey) == [
        "The workbook has no “survey” sheet, or it is empty."
    ]


def test_a_form_with_english_labels_only_is_refused_for_its_georgian():
    survey = [["type", "name", "label"], ["text", "name_given", "Name"]]
    messages = refusal(transfer.read_xlsform, workbook(survey, settings=[["form_id"], ["x"]]))
    assert messages == [
        "Give the form's name in Georgian and English.",
        "Section 1, question 1 (name_given): give “label” in Georgian and English.",
    ]


def test_a_version_is_carried_only_with_its_own_form():
    form, version = a_form()
    other = Form(pk=8, code="other", name_ka="სხვა", name_en="Other")
    for write in (transfer.form_json, transfer.xlsform):
        with pytest.raises(ValueError, match="not this form's"):
            write(other, version)
