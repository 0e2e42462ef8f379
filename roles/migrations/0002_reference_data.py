"""Reference data every ICS uses: the ten priority functions (SEL ICS pack, Aug 2021, section 3),
the spatial levels (the same pack, "a spatial view"), and the professions a role may be open to
(a clinician is a doctor, nurse, pharmacist, psychologist or allied health professional)."""

from django.db import migrations

FUNCTIONS = [
    ("population-health", "Population health outcomes / inequalities",
     "The effective use of information to build a learning health and care system that allocates resources "
     "fairly and optimally and delivers better and more equitable outcomes."),
    ("care-pathway-transformation", "Care pathway transformation / innovation",
     "The codesign of new models of care with care service commissioners, managers and service users."),
    ("system-strategy", "System-wide clinical and care strategy",
     "The setting out and clear communication of how the system will provide the best possible health and care outcomes."),
    ("workforce-resilience", "Workforce resilience",
     "The creation of conditions that prioritise equality, diversity and inclusion and support colleagues' wellbeing."),
    ("quality-safety", "Quality assurance and safety",
     "Continuous improvement of patient safety and care quality to meet statutory requirements."),
    ("patient-public-engagement", "Patient and public engagement",
     "Championing patient and public engagement so that its insights inform work to improve and transform services."),
    ("continuous-improvement", "Continuous improvement and innovation",
     "The systematic, sustainable and ongoing improvement of care processes and outcomes."),
    ("professional-leadership", "Professional leadership support and development",
     "Approaches that equip colleagues with the knowledge, skills, perspectives and agency to deliver and improve care."),
    ("research-evidence", "Leadership in research and evidence",
     "A culture of innovation that encourages research and evidence generation, creation, discovery and spread."),
    ("care-standards", "Care standards",
     "The development and implementation of agreed care standards, with benchmarking to reduce variation."),
]

SPATIAL_LEVELS = [
    ("ics", "ICS body", "The ICS NHS body (ICB) and its system-wide roles, e.g. clinical network leads (0.4 WTE)."),
    ("provider-collaborative", "Provider collaborative", "Acute, mental health, community and primary care collaboratives (0.2 WTE each)."),
    ("place", "Place (LCP)", "A borough's Local Care Partnership (0.2 WTE per LCP)."),
    ("leadership-group", "Leadership group (C&CPLG / CPLG)", "The clinical and care professional leadership group."),
    ("organisation", "Partner organisation", "Organisational leadership, e.g. a Primary Care Network."),
]

PROFESSIONS = [
    ("gp", "Doctor: general practitioner", True),
    ("doctor", "Doctor: other", True),
    ("nurse", "Nurse", True),
    ("pharmacist", "Pharmacist", True),
    ("psychologist", "Psychologist", True),
    ("ahp", "Allied health professional", True),
    ("social-care", "Social care professional", False),
    ("public-health", "Public health professional", False),
    ("voluntary-sector", "Voluntary and community sector", False),
    ("care-provider", "Care provider (e.g. care homes)", False),
    ("other-care", "Other care professional", False),
]


def create(apps, schema_editor):
    Function = apps.get_model("roles", "Function")
    SpatialLevel = apps.get_model("roles", "SpatialLevel")
    Profession = apps.get_model("roles", "Profession")
    for order, (slug, name, description) in enumerate(FUNCTIONS, start=1):
        Function.objects.update_or_create(slug=slug, defaults={"name": name, "description": description, "order": order})
    for order, (slug, name, description) in enumerate(SPATIAL_LEVELS, start=1):
        SpatialLevel.objects.update_or_create(slug=slug, defaults={"name": name, "description": description, "order": order})
    for order, (slug, name, clinical) in enumerate(PROFESSIONS, start=1):
        Profession.objects.update_or_create(slug=slug, defaults={"name": name, "is_clinical": clinical, "order": order})


class Migration(migrations.Migration):
    dependencies = [("roles", "0001_catalogue")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
