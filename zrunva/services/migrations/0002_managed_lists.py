"""The managed lists' first entries: the service types and target groups the programme
documents name (administrators add more in the admin)."""

from django.db import migrations

SERVICE_TYPES = [
    ("day_care", "დღის ცენტრი", "Day care"),
    ("home_care", "შინ მოვლა", "Home care"),
    ("rehabilitation", "რეაბილიტაცია", "Rehabilitation"),
    ("early_intervention", "ადრეული ჩარევა", "Early intervention"),
    ("community_living", "მცირე საოჯახო ტიპის სახლი", "Community living (small group home)"),
    ("personal_assistant", "პერსონალური ასისტენტი", "Personal assistant"),
    ("transport", "ტრანსპორტი", "Transport"),
    ("psychological_support", "ფსიქოლოგიური დახმარება", "Psychological support"),
    ("legal_aid", "იურიდიული დახმარება", "Legal aid"),
    ("respite_care", "დროებითი შესვენების მომსახურება", "Respite care"),
    ("shelter", "თავშესაფარი", "Shelter"),
    ("soup_kitchen", "უფასო სასადილო", "Soup kitchen"),
]

TARGET_GROUPS = [
    ("children_physical", "შეზღუდული შესაძლებლობის მქონე ბავშვები: ფიზიკური", "Children with disabilities: physical"),
    ("children_sensory", "შეზღუდული შესაძლებლობის მქონე ბავშვები: სმენა ან მხედველობა", "Children with disabilities: hearing or sight"),
    ("children_intellectual", "შეზღუდული შესაძლებლობის მქონე ბავშვები: ინტელექტუალური", "Children with disabilities: intellectual"),
    ("children_psychosocial", "შეზღუდული შესაძლებლობის მქონე ბავშვები: ფსიქოსოციალური", "Children with disabilities: psychosocial"),
    ("adults_physical", "შეზღუდული შესაძლებლობის მქონე ზრდასრულები: ფიზიკური", "Adults with disabilities: physical"),
    ("adults_sensory", "შეზღუდული შესაძლებლობის მქონე ზრდასრულები: სმენა ან მხედველობა", "Adults with disabilities: hearing or sight"),
    ("adults_intellectual", "შეზღუდული შესაძლებლობის მქონე ზრდასრულები: ინტელექტუალური", "Adults with disabilities: intellectual"),
    ("adults_psychosocial", "შეზღუდული შესაძლებლობის მქონე ზრდასრულები: ფსიქოსოციალური", "Adults with disabilities: psychosocial"),
    ("elderly", "ხანდაზმულები", "The elderly"),
    ("families", "ოჯახები", "Families"),
    ("violence_survivors", "ძალადობის მსხვერპლები", "Survivors of violence"),
    ("trafficking_survivors", "ტრეფიკინგის მსხვერპლები", "Survivors of trafficking"),
    ("idps", "იძულებით გადაადგილებული პირები", "Internally displaced persons"),
    ("street", "ქუჩაში მცხოვრები ადამიანები", "People living on the street"),
]  # fmt: skip


def fill(apps, schema_editor):
    for model, rows in (("ServiceType", SERVICE_TYPES), ("TargetGroup", TARGET_GROUPS)):
        Model = apps.get_model("services", model)
        for code, ka, en in rows:
            Model.objects.update_or_create(code=code, defaults={"name_ka": ka, "name_en": en})


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
