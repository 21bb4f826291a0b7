"""One illustrative rights-based standard, published as version 1, so that services can be
assessed out of the box. Written for this project, not an official text: its sources are
noted on it. Administrators add standards and new versions in the admin."""

import datetime

from django.db import migrations

CODE = "rights-based-illustrative"

NAME = (
    "უფლებებზე დაფუძნებული სოციალური მომსახურების სტანდარტი (საილუსტრაციო)",
    "Rights-based social service standard (illustrative)",
)

SOURCE = (
    "საილუსტრაციო: შედგენილია ამ სისტემისთვის, ოფიციალური სტანდარტი არ არის. ეფუძნება გაეროს "
    "კონვენციას შეზღუდული შესაძლებლობის მქონე პირთა უფლებების შესახებ: მუხლი 9 "
    "(ხელმისაწვდომობა), მუხლი 12 (კანონის წინაშე თანასწორობა: მხარდაჭერით გადაწყვეტილების "
    "მიღება), მუხლი 16 (ექსპლუატაციისგან, ძალადობისა და არასათანადო მოპყრობისგან "
    "თავისუფლება), მუხლი 19 (დამოუკიდებელი ცხოვრება და საზოგადოებაში ჩართულობა), მუხლი 21 "
    "(აზრისა და გამოხატვის თავისუფლება და ინფორმაციის ხელმისაწვდომობა). შესადარებლად, "
    "სახელმწიფოს მიერ დამტკიცებული სტანდარტები: საქართველოს მთავრობის 2014 წლის 15 იანვრის "
    "№66 დადგენილება „ტექნიკური რეგლამენტი – ბავშვზე ზრუნვის სტანდარტების დამტკიცების "
    "შესახებ“ (matsne.gov.ge, დოკუმენტი 2198153); ეს ჩამონათვალი მას არ იმეორებს.",
    "Illustrative: written for this system, not an official standard. Based on the UN "
    "Convention on the Rights of Persons with Disabilities: article 9 (accessibility), article 12 "
    "(equal recognition before the law: supported decision-making), article 16 (freedom from "
    "exploitation, violence and abuse), article 19 (living independently and being included in "
    "the community), article 21 (freedom of expression and opinion, and access to information). "
    "For comparison, the standards the state has approved: Government of Georgia Resolution "
    "No. 66 of 15 January 2014, \"Technical regulation on approving child care standards\" "
    "(matsne.gov.ge, document 2198153); this checklist does not reproduce it.",
)

SERVICE_TYPES = [
    "day_care", "home_care", "rehabilitation", "community_living", "personal_assistant",
    "respite_care",
]  # fmt: skip
TARGET_GROUPS = [
    "children_physical", "children_sensory", "children_intellectual", "children_psychosocial",
    "adults_physical", "adults_sensory", "adults_intellectual", "adults_psychosocial", "elderly",
]  # fmt: skip

# (Georgian name, English name, [(criterion ka, criterion en, guidance ka, guidance en)])
AREAS = [
    ("არჩევანი და კონტროლი", "Choice and control", [
        ("თითოეულ ადამიანს აქვს ინდივიდუალური გეგმა, რომელიც მასთან ერთად, მისთვის გასაგები "
         "ფორმით შედგა და რომელსაც ის ეთანხმება.",
         "Each person has an individual plan, made with them in a form they understand, which "
         "they agree to.",
         "წაიკითხეთ სამი გეგმა და ჰკითხეთ იმ ადამიანებს, ვისაც ეკუთვნის. 0: გეგმა არ არის; 1: "
         "შედგენილია ადამიანის მონაწილეობის გარეშე; 2: შედგენილია მასთან ერთად, მაგრამ არ "
         "განახლებულა; 3: შედგენილია მასთან ერთად და გადაიხედება ექვს თვეში ერთხელ მაინც.",
         "Read three plans and ask the people they belong to. 0: no plan; 1: made without the "
         "person; 2: made with them but not kept up to date; 3: made with them and reviewed at "
         "least every six months."),
        ("ადამიანები თავად ირჩევენ ყოველდღიურ საქმიანობას, კვებას, დროს და იმას, თუ ვინ "
         "დაეხმარება მათ.",
         "People choose their daily activities, meals and times, and who supports them.",
         "დააკვირდით დღის მიმდინარეობას და ჰკითხეთ ადამიანებს. 0: ყველასთვის ერთი და იგივე "
         "განრიგი; 3: არჩევანი ყოველდღე ეთავაზებათ და მას პატივს სცემენ.",
         "Watch how the day goes and ask people. 0: one fixed routine for everyone; 3: choices "
         "are offered every day and respected."),
        ("გადაწყვეტილებებს ადამიანები მხარდაჭერით იღებენ და არა სხვები მათ მაგივრად "
         "(კონვენციის მე-12 მუხლი).",
         "People make their decisions with support; others do not decide for them (CRPD "
         "article 12).",
         "ჰკითხეთ პერსონალს, როგორ იქნა მიღებული ბოლო მნიშვნელოვანი გადაწყვეტილება. 0: "
         "წყვეტს პერსონალი ან ოჯახი; 3: წყვიტა თავად ადამიანმა, იმ მხარდაჭერით, რომელიც მან "
         "ითხოვა.",
         "Ask staff how the last important decision was made. 0: staff or family decided; "
         "3: the person decided, with the support they asked for."),
    ]),
    ("ხელმისაწვდომობა", "Accessibility", [
        ("შენობით, საპირფარეშოთი და ეზოს ბილიკებით სარგებლობა შესაძლებელია საფეხურებისა და "
         "სხვისი დახმარების გარეშე (კონვენციის მე-9 მუხლი).",
         "The building, the toilet and the paths outside can be used without steps and without "
         "help (CRPD article 9).",
         "შეძლებისდაგვარად, ეტლით მოსარგებლესთან ერთად გაიარეთ შესასვლელი, ოთახები და "
         "საპირფარეშო. 0: მიუწვდომელია; 3: ყველაფერი ხელმისაწვდომია.",
         "If you can, go through the entrance, the rooms and the toilet with a wheelchair user. "
         "0: not accessible; 3: all of it accessible."),
        ("ინფორმაცია და კომუნიკაცია ხელმისაწვდომი ფორმით მიეწოდება: მარტივად საკითხავი "
         "ტექსტი, ჟესტური ენა, დიდი შრიფტი.",
         "Information and communication come in accessible forms: easy-read texts, sign "
         "language, large print.",
         "მოითხოვეთ სერვისის წესები და საინფორმაციო ბროშურა ხელმისაწვდომი ფორმით. 0: არ "
         "არსებობს; 3: არსებობს და გამოიყენება.",
         "Ask for the service's rules and leaflet in an accessible form. 0: there are none; "
         "3: they exist and are used."),
        ("ადამიანებს შეუძლიათ სერვისამდე მისვლა: საჭიროებისას ტრანსპორტი ან მგზავრობაში "
         "დახმარება უზრუნველყოფილია.",
         "People can reach the service: transport or help to travel is arranged where needed.",
         "ჰკითხეთ ადამიანებს, როგორ მოდიან და რა უჯდებათ. 0: ბევრს არ შეუძლია მოსვლა; 3: "
         "ტრანსპორტის არქონის გამო სერვისს არავინ აცდენს.",
         "Ask people how they come and what it costs them. 0: many cannot come; 3: no one "
         "misses the service for want of transport."),
    ]),
    ("ღირსება და უსაფრთხოება", "Dignity and safety", [
        ("პირადი ცხოვრება დაცულია: პირადი მოვლა დახურულ კარს მიღმა, საკუთარი ნივთები, "
         "პირადი საუბრები.",
         "Privacy is respected: personal care behind closed doors, one's own belongings, "
         "private conversations.",
         "დააკვირდით და იკითხეთ. 0: პირადი სივრცე არ არსებობს; 3: პირადი ცხოვრება ყველგან "
         "დაცულია.",
         "Watch and ask. 0: no privacy; 3: privacy respected everywhere."),
        ("პერსონალმა იცის, როგორ ამოიცნოს ძალადობა, არასათანადო მოპყრობა და უგულებელყოფა და "
         "როგორ შეატყობინოს; შეტყობინებებზე რეაგირება ხდება (კონვენციის მე-16 მუხლი).",
         "Staff know how to recognise and report violence, abuse and neglect, and reports are "
         "acted on (CRPD article 16).",
         "ჰკითხეთ პერსონალის ორ წევრს, რას გააკეთებდნენ; გაეცანით შეტყობინებების ჟურნალს. "
         "0: პროცედურა არ არსებობს; 3: პროცედურა ყველამ იცის და ყველა შეტყობინებას "
         "რეაგირება მოჰყვა.",
         "Ask two staff members what they would do; read the log of reports. 0: no procedure; "
         "3: everyone knows the procedure and every report was followed up."),
        ("ფიზიკური შეზღუდვა, იზოლირება ან იძულებითი მკურნალობა არ გამოიყენება.",
         "No restraint, seclusion or forced treatment is used.",
         "გაეცანით ინციდენტების ჩანაწერებს. 0: რეგულარულად გამოიყენება; 3: არასოდეს "
         "გამოიყენება და პერსონალი ალტერნატიულ მიდგომებში გადამზადებულია.",
         "Read the incident records. 0: used routinely; 3: never used, and staff are trained "
         "in other ways."),
    ]),
    ("მონაწილეობა და საზოგადოებაში ჩართულობა", "Participation and community", [
        ("ადამიანები მონაწილეობენ საზოგადოებრივ ცხოვრებაში სერვისის გარეთ: განათლება, "
         "დასაქმება, კულტურა, სპორტი (კონვენციის მე-19 მუხლი).",
         "People take part in community life outside the service: education, work, culture, "
         "sport (CRPD article 19).",
         "დათვალეთ ბოლო თვეში სერვისის გარეთ გამართული აქტივობები. 0: არცერთი; 3: ყველა, "
         "ვისაც სურს, რეგულარულად მონაწილეობს.",
         "Count the activities outside the service in the last month. 0: none; 3: everyone "
         "who wishes to takes part regularly."),
        ("ადამიანები და მათი ოჯახები მონაწილეობენ სერვისის მართვაში (საბჭო, შეხვედრები, "
         "გამოკითხვები).",
         "People and their families take part in running the service (a council, meetings, "
         "surveys).",
         "გაეცანით ბოლო შეხვედრების ოქმებს. 0: მონაწილეობა არ ხდება; 3: მათი წინადადებები "
         "ცვლის სერვისის მუშაობას.",
         "Read the minutes of the last meetings. 0: no participation; 3: their proposals "
         "change how the service works."),
    ]),
    ("ინფორმაცია და საჩივრები", "Information and complaints", [
        ("ადამიანებმა იციან თავიანთი უფლებები და სერვისის წესები, მათთვის გასაგებ ენაზე და "
         "ფორმით (კონვენციის 21-ე მუხლი).",
         "People know their rights and the service's rules, in a language and form they "
         "understand (CRPD article 21).",
         "ჰკითხეთ სამ ადამიანს. 0: არავინ იცის; 3: ყველამ იცის, ისიც, სად შეიძლება მათი "
         "წაკითხვა.",
         "Ask three people. 0: no one knows; 3: everyone knows, and where to read them."),
        ("საჩივრის შეტანა მარტივია, მათ შორის ანონიმურად და სერვისის გარეთ, და საჩივრებს "
         "დროულად პასუხობენ.",
         "Complaining is simple, anonymously and outside the service too, and complaints are "
         "answered in time.",
         "გაეცანით ბოლო წლის საჩივრების ჟურნალს. 0: საჩივრის შეტანის გზა არ არსებობს; 3: "
         "საჩივრები აღრიცხულია, პასუხგაცემულია და მათზე რეაგირება ხდება.",
         "Read the last year's log of complaints. 0: no way to complain; 3: complaints are "
         "recorded, answered and acted on."),
    ]),
]  # fmt: skip


def load(apps, schema_editor):
    Standard = apps.get_model("services", "Standard")
    StandardVersion = apps.get_model("services", "StandardVersion")
    Area = apps.get_model("services", "Area")
    Criterion = apps.get_model("services", "Criterion")
    if Standard.objects.filter(code=CODE).exists():
        return
    standard = Standard.objects.create(
        code=CODE, name_ka=NAME[0], name_en=NAME[1], source_ka=SOURCE[0], source_en=SOURCE[1]
    )
    standard.service_types.set(
        apps.get_model("services", "ServiceType").objects.filter(code__in=SERVICE_TYPES)
    )
    standard.target_groups.set(
        apps.get_model("services", "TargetGroup").objects.filter(code__in=TARGET_GROUPS)
    )
    version = StandardVersion.objects.create(
        standard=standard, number=1, valid_from=datetime.date(2026, 1, 1), published=True
    )
    for order, (ka, en, criteria) in enumerate(AREAS, start=1):
        area = Area.objects.create(version=version, order=order, name_ka=ka, name_en=en)
        for n, (text_ka, text_en, guidance_ka, guidance_en) in enumerate(criteria, start=1):
            Criterion.objects.create(
                area=area,
                order=n,
                text_ka=text_ka,
                text_en=text_en,
                guidance_ka=guidance_ka,
                guidance_en=guidance_en,
                max_score=3,
            )


class Migration(migrations.Migration):
    dependencies = [("services", "0003_standards_assessments")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
