"""The four levels of need, fixed by the seed's Table 3 (loaded by a data migration)."""

LEVELS = [
    # code, name, rank, plain-words description
    ("universal", "Universal", 1, "For all families."),
    ("targeted", "Targeted", 2, "For families who need some extra help, such as parenting support."),
    ("statutory", "Statutory", 3, "For families working with children's social care (safeguarding)."),
    ("specialist", "Specialist", 4, "Needs a specialist skill set or intervention, such as CAMHS."),
]
