"""The needs model (DESIGN.md "The needs model"; the seed's Tables 1 and 2).

For each district: babies under two x disorganised rate = disorganised
attachment (x insecure rate = insecure attachment; what is left is secure
attachment, as in the seed's Table 1: 50% + 30% + 20%); x take-up share = families
needing specialised support; less the share already seen by the perinatal
mental health service. Practitioners needed = city-wide families / caseload,
rounded UP to a whole practitioner, then split by each district's share of
under-twos and shown to one decimal place. With the seed's parameters this
gives Table 2 exactly (Edgbaston 3.7 ... Sutton Coldfield 3.0, total 47).

Arithmetic is in Decimal, and nothing is rounded until it is shown, so the
numbers do not drift with the order of the steps.
"""
from dataclasses import dataclass, fields
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from directory.core.numbers import decimal_number

HUNDRED = Decimal(100)

# The parameters, in the order they are applied, with the GET names used for what-if overrides
# (the same as the NeedsModelSettings field names) and plain-words labels.
PARAMETERS = [
    ("disorganised_percent", "Disorganised attachment", "% of babies under two"),
    ("insecure_percent", "Insecure attachment", "% of babies under two"),
    ("demand_percent", "Families likely to take up specialised support", "% of those with disorganised attachment"),
    ("already_seen_percent", "Already seen by the perinatal mental health service", "% of those families"),
    ("caseload", "Families per practitioner per year", "families"),
]

# The seed's Table 1, quoted: (pattern, row, reference population, Birmingham). Its column headings are
# TABLE_1_COLUMNS. The Birmingham figures in use come from the parameters; these are the source's words.
TABLE_1_CAPTION = "Attachment pattern distribution adjusted for high adversity/ trauma rates in Birmingham"
TABLE_1_COLUMNS = (
    "Reference, non-clinical low-average adversity population",
    "Birmingham region: Mixed socio-economic status population facing moderate to high levels of adversity",
)
TABLE_1 = [
    ("secure", "Secure attachments", "55-60%", "Reduced to 50%"),
    ("insecure", "Insecure attachments", "25-30%", "Increased to 30%"),
    ("disorganised", "Disorganised attachments", "15%", "Increased to 20%"),
]

# The seed's values; used if the settings row is missing (e.g. a flushed test database).
SEED_VALUES = {
    "disorganised_percent": Decimal("20"),
    "insecure_percent": Decimal("30"),
    "demand_percent": Decimal("45"),
    "already_seen_percent": Decimal("12.3"),
    "caseload": Decimal("52"),
}


@dataclass(frozen=True)
class NeedsParameters:
    disorganised_percent: Decimal
    insecure_percent: Decimal
    demand_percent: Decimal
    already_seen_percent: Decimal
    caseload: Decimal

    @classmethod
    def from_settings(cls, settings):
        return cls(**{f.name: Decimal(getattr(settings, f.name)) for f in fields(cls)})

    @property
    def secure_percent(self):
        """What is left after insecure and disorganised attachment; None if they add up to more than 100%."""
        secure = HUNDRED - self.insecure_percent - self.disorganised_percent
        return secure if secure >= 0 else None

    def replace(self, **changes):
        return NeedsParameters(**{**{f.name: getattr(self, f.name) for f in fields(self)}, **changes})


@dataclass(frozen=True)
class AreaNeed:
    """Modelled need in one district, or the city (name 'Birmingham')."""

    name: str
    slug: str
    population_under_2: int
    share: Decimal  # of the city's under-twos, 0..1
    secure: object  # Decimal, or None when the insecure and disorganised rates add up to more than 100%
    insecure: Decimal
    disorganised: Decimal
    demand: Decimal  # families needing specialised support, before the perinatal service's share
    families: Decimal  # ... after it: the families a specialised team would see
    practitioners: Decimal  # to one decimal place for a district; a whole number for the city


@dataclass(frozen=True)
class NeedsEstimate:
    parameters: NeedsParameters
    districts: list
    total: AreaNeed


def one_decimal(value):
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def whole(value):
    """Rounded to a whole number as people round by hand: 1,030.5 babies -> 1,031."""
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def _area(name, slug, population, share, params, practitioners):
    disorganised = population * params.disorganised_percent / HUNDRED
    demand = disorganised * params.demand_percent / HUNDRED
    secure_percent = params.secure_percent
    return AreaNeed(
        name=name,
        slug=slug,
        population_under_2=population,
        share=share,
        secure=None if secure_percent is None else population * secure_percent / HUNDRED,
        insecure=population * params.insecure_percent / HUNDRED,
        disorganised=disorganised,
        demand=demand,
        families=demand * (HUNDRED - params.already_seen_percent) / HUNDRED,
        practitioners=practitioners,
    )


def needs_estimate(*, populations, parameters):
    """`populations` is [(name, slug, population under two), ...] for the ten districts."""
    city_population = sum(population for _, _, population in populations)
    if city_population == 0:
        zero = Decimal(0)
        return NeedsEstimate(parameters, [], _area("Birmingham", "", 0, zero, parameters, zero))
    city = _area("Birmingham", "", city_population, Decimal(1), parameters, Decimal(0))
    # Whole practitioners city-wide (the seed's 46.6 -> 47), then split by share of under-twos.
    practitioners = (city.families / parameters.caseload).to_integral_value(rounding=ROUND_CEILING)
    city = _area("Birmingham", "", city_population, Decimal(1), parameters, practitioners)
    districts = []
    for name, slug, population in populations:
        share = Decimal(population) / Decimal(city_population)
        districts.append(_area(name, slug, population, share, parameters, one_decimal(share * practitioners)))
    return NeedsEstimate(parameters, districts, city)


MAX_DECIMAL_PLACES = 2
# Secure attachment is what is left, so it cannot go below zero.
ATTACHMENT_OVER_100 = "Insecure and disorganised attachment together must not be more than 100% of babies."


def _plain(value):
    """20 -> '20', 12.3 -> '12.3' (Decimal.normalize() would say '2E+1')."""
    return f"{value.normalize():f}"


class OverrideError(ValueError):
    """A what-if override that cannot be used; `messages` maps GET name -> plain words."""

    def __init__(self, messages):
        super().__init__("; ".join(messages.values()))
        self.messages = messages


def parameters_with_overrides(parameters, data):
    """Apply GET overrides (e.g. ?caseload=40) to saved parameters, without saving them.

    Returns (parameters, overridden names). Raises OverrideError with a message per bad value.
    """
    changes, messages = {}, {}
    for name, label, unit in PARAMETERS:
        raw = data.get(name)
        if raw is None or str(raw).strip() == "":
            continue
        raw = str(raw).strip()[:20]
        value = decimal_number(raw)
        if value is None:
            messages[name] = f"{label} must be a number, like {_plain(SEED_VALUES[name])}. You entered '{raw}'."
        elif value.as_tuple().exponent < -MAX_DECIMAL_PLACES:
            # Also keeps the arithmetic away from Decimal's limits (e.g. 1e-999999).
            messages[name] = f"{label} can have at most {MAX_DECIMAL_PLACES} decimal places."
        elif name == "caseload" and not (1 <= value <= 1000):
            messages[name] = f"{label} must be between 1 and 1,000: a practitioner sees at least one family a year."
        elif name != "caseload" and not (0 <= value <= 100):
            messages[name] = f"{label} must be a percentage between 0 and 100."
        else:
            changes[name] = value
    if messages:
        raise OverrideError(messages)
    parameters = parameters.replace(**changes)
    if parameters.secure_percent is None:
        name = "insecure_percent" if "insecure_percent" in changes else "disorganised_percent"
        raise OverrideError({name: ATTACHMENT_OVER_100})
    return parameters, list(changes)

