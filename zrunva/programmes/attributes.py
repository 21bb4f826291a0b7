"""What programme rules may read: the catalogue of household and person attributes.

Each attribute has a type in the rule language, a Georgian and an English label for the rule
editor, and a description of where its value comes from. The values themselves are gathered by
the eligibility run from the registry (and the rating score from the assessment app); this module
only names them, so rules can be checked when they are saved, long before any run.

Text attributes with a closed set of values list them (`values`), for the editor's hints.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zrunva.core.models import in_language
from zrunva.core.validators import largest_value
from zrunva.programmes.expressions import Interval, Level, Schema, Type
from zrunva.registry.choices import DisabilityDegree, PensionKind, Sex
from zrunva.registry.models import Household, IncomeSource


def _column(model, name: str, whole: bool = False) -> Interval:
    """From 0 to the largest value the column accepts (its validator or its digits)."""
    high = largest_value(model._meta.get_field(name))
    return Interval(0, int(high) if whole else float(high), whole)


@dataclass(frozen=True)
class Attribute:
    name: str
    level: Level
    type: Type
    label_ka: str
    label_en: str
    source: Promise | str  # where the value comes from
    values: tuple[str, ...] = ()  # the possible values of a text attribute, if a closed set
    # Not a circumstance anyone would change to qualify (the explanation's "nearest change"
    # does not vary it).
    fixed: bool = False
    # A number attribute's published bounds: what the registry's data entry accepts (or, where
    # it sets none, what any real household stays within). A programme's formula is refused on
    # save if it could give more than a decision can hold with attributes within them; data
    # beyond them is caught by the run's guard (`DecisionStatus.ERROR`).
    bounds: Interval | None = None
    # How a sentence to the applicant names it ("your household's rating score", "your age"):
    # the noun in each language, and the unit its values are written in ("GEL": as money).
    noun_ka: str = ""
    noun_en: str = ""
    unit: str = ""

    @property
    def label(self) -> str:
        return in_language(self.label_ka, self.label_en)

    @property
    def reference(self) -> str:
        """How a rule names it: `household.size`, `person.age`."""
        return f"{self.level}.{self.name}"


HOUSEHOLD_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "rating_score",
        Level.HOUSEHOLD,
        Type.NUMBER,
        "სარეიტინგო ქულა",
        "Rating score",
        _(
            "The score of the household's latest assessment (proxy means test); empty if the "
            "household has not been assessed."
        ),
        # Assessment.score is a PostgreSQL integer (SQLite's would take 2**63 - 1).
        bounds=Interval(0, 2**31 - 1, True),
        noun_ka="სარეიტინგო ქულა",
        noun_en="rating score",
    ),
    Attribute(
        "size",
        Level.HOUSEHOLD,
        Type.NUMBER,
        "ოჯახის წევრების რაოდენობა",
        "Household size",
        _("The number of the household's current members."),
        bounds=Interval(0, 100, True),
        noun_ka="წევრების რაოდენობა",
        noun_en="number of members",
    ),
    Attribute(
        "municipality",
        Level.HOUSEHOLD,
        Type.TEXT,
        "მუნიციპალიტეტი",
        "Municipality",
        _('The code of the household\'s municipality, e.g. "kutaisi".'),
        fixed=True,
        noun_ka="მუნიციპალიტეტი",
        noun_en="municipality",
    ),
    Attribute(
        "is_highland",
        Level.HOUSEHOLD,
        Type.BOOLEAN,
        "მაღალმთიანი დასახლება",
        "Highland settlement",
        _(
            "Whether the household's settlement has highland status (law on the development of "
            "high mountainous regions); no if no settlement is recorded."
        ),
        noun_ka="მაღალმთიანი დასახლება",
        noun_en="highland settlement",
    ),
    Attribute(
        "monthly_utility_spending",
        Level.HOUSEHOLD,
        Type.NUMBER,
        "კომუნალური ხარჯი თვეში, ლარი",
        "Monthly utility spending, GEL",
        _("The household's monthly utility spending in GEL, as declared."),
        bounds=_column(Household, "monthly_utility_spending"),
        noun_ka="თვიური კომუნალური ხარჯი",
        noun_en="monthly utility spending",
        unit="GEL",
    ),
    Attribute(
        "agricultural_land_ha",
        Level.HOUSEHOLD,
        Type.NUMBER,
        "სასოფლო-სამეურნეო მიწა, ჰა",
        "Agricultural land, ha",
        _("The agricultural land the household holds, in hectares, as declared."),
        bounds=_column(Household, "agricultural_land_ha"),
        noun_ka="სასოფლო-სამეურნეო მიწა, ჰექტარი",
        noun_en="agricultural land in hectares",
        unit="ha",
    ),
    Attribute(
        "cattle",
        Level.HOUSEHOLD,
        Type.NUMBER,
        "მსხვილფეხა რქოსანი პირუტყვი",
        "Cattle",
        _("The number of cattle the household keeps, as declared."),
        bounds=_column(Household, "cattle", whole=True),
        noun_ka="მსხვილფეხა რქოსანი პირუტყვის რაოდენობა",
        noun_en="number of cattle",
    ),
    Attribute(
        "cars",
        Level.HOUSEHOLD,
        Type.NUMBER,
        "ავტომობილები",
        "Cars",
        _("The number of cars the household owns, as declared."),
        bounds=_column(Household, "cars", whole=True),
        noun_ka="ავტომობილების რაოდენობა",
        noun_en="number of cars",
    ),
    Attribute(
        "is_idp_household",
        Level.HOUSEHOLD,
        Type.BOOLEAN,
        "დევნილი ოჯახი",
        "IDP household",
        _("Whether any current member of the household is an internally displaced person."),
        noun_ka="დევნილი ოჯახის სტატუსი",
        noun_en="IDP household status",
    ),
)

PERSON_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "age",
        Level.PERSON,
        Type.NUMBER,
        "ასაკი",
        "Age",
        _("Completed years of age on the evaluation date, from the birth date."),
        bounds=Interval(0, 150, True),
        noun_ka="ასაკი",
        noun_en="age",
    ),
    Attribute(
        "sex",
        Level.PERSON,
        Type.TEXT,
        "სქესი",
        "Sex",
        _('The sex recorded in the registry: "F" or "M".'),
        tuple(Sex.values),
        fixed=True,
        noun_ka="სქესი",
        noun_en="sex",
    ),
    Attribute(
        "disability_degree",
        Level.PERSON,
        Type.TEXT,
        "შეზღუდული შესაძლებლობის ხარისხი",
        "Disability status",
        _(
            'The degree of disability status from medical-social expertise: "none", '
            '"moderate", "significant" or "severe". Special-category data.'
        ),
        tuple(DisabilityDegree.values),
        noun_ka="შეზღუდული შესაძლებლობის სტატუსი",
        noun_en="disability status",
    ),
    Attribute(
        "is_idp",
        Level.PERSON,
        Type.BOOLEAN,
        "დევნილი",
        "Internally displaced person",
        _("Whether the person has the status of an internally displaced person."),
        noun_ka="დევნილის სტატუსი",
        noun_en="internally displaced person status",
    ),
    Attribute(
        "pension_kind",
        Level.PERSON,
        Type.TEXT,
        "პენსიის სახე",
        "Pension kind",
        _(
            'The pension the person receives: "none", "old_age", "survivor", "service" or "foreign".'
        ),
        tuple(PensionKind.values),
        noun_ka="პენსიის სახე",
        noun_en="pension kind",
    ),
    Attribute(
        "monthly_income",
        Level.PERSON,
        Type.NUMBER,
        "თვიური შემოსავალი, ლარი",
        "Monthly income, GEL",
        _(
            "The sum of the monthly amounts of the person's income sources in the registry; "
            "pensions and benefits are not included."
        ),
        bounds=_column(IncomeSource, "monthly_amount"),
        noun_ka="თვიური შემოსავალი",
        noun_en="monthly income",
        unit="GEL",
    ),
    Attribute(
        "is_child",
        Level.PERSON,
        Type.BOOLEAN,
        "ბავშვი (18 წლამდე)",
        "Child (under 18)",
        _("Whether the person is under 18 on the evaluation date."),
        noun_ka="ბავშვი (18 წლამდე)",
        noun_en="child (under 18)",
    ),
)

# The registry's choices behind closed-set text attributes, for showing values by their labels.
CHOICES = {
    "person.sex": Sex,
    "person.disability_degree": DisabilityDegree,
    "person.pension_kind": PensionKind,
}

ATTRIBUTES: dict[str, Attribute] = {
    a.reference: a for a in HOUSEHOLD_ATTRIBUTES + PERSON_ATTRIBUTES
}


def attribute_bounds() -> dict[str, Interval]:
    """The bounds of the number attributes, by reference ("household.size")."""
    return {a.reference: a.bounds for a in ATTRIBUTES.values() if a.bounds is not None}


def schema(params: Iterable[str]) -> Schema:
    """The rule schema: every attribute of the catalogue and the parameters named (all numbers:
    parameter values are amounts, scores, ages and shares)."""
    return Schema(
        household={a.name: a.type for a in HOUSEHOLD_ATTRIBUTES},
        person={a.name: a.type for a in PERSON_ATTRIBUTES},
        params=dict.fromkeys(sorted(params), Type.NUMBER),
        values={a.reference: a.values for a in ATTRIBUTES.values() if a.values},
    )
