"""The needs model (mapping/needs.py) reproduces the seed's Tables 1 and 2 and follows its parameters."""
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from mapping.models import NeedsModelSettings
from mapping.needs import (
    ATTACHMENT_OVER_100, SEED_VALUES, NeedsParameters, OverrideError, needs_estimate, parameters_with_overrides,
)
from mapping.selectors import district_list, needs_parameters_get

# The seed's Table 2: district, population under two, practitioners for specialised support.
TABLE_2 = [
    ("Edgbaston", 2419, "3.7"), ("Erdington", 2936, "4.5"), ("Hall Green", 3324, "5.1"),
    ("Hodge Hill", 4208, "6.4"), ("Ladywood", 4058, "6.2"), ("Northfield", 2740, "4.2"),
    ("Perry Barr", 3056, "4.7"), ("Selly Oak", 2560, "3.9"), ("Yardley", 3435, "5.3"),
    ("Sutton Coldfield", 1935, "3.0"),
]
POPULATIONS = [(name, name.lower().replace(" ", "-"), population) for name, population, _ in TABLE_2]
SEED = NeedsParameters(**SEED_VALUES)


def test_it_reproduces_table_2_exactly_with_the_seed_parameters():
    estimate = needs_estimate(populations=POPULATIONS, parameters=SEED)
    assert [(a.name, a.population_under_2, f"{a.practitioners}") for a in estimate.districts] == TABLE_2
    assert estimate.total.population_under_2 == 30671
    assert estimate.total.practitioners == 47


def test_it_reproduces_the_seeds_intermediate_figures():
    total = needs_estimate(populations=POPULATIONS, parameters=SEED).total
    assert round(total.disorganised) == 6134
    assert round(total.insecure) == 9201
    assert total.secure == Decimal("15335.5")  # Table 1: 50%, what is left after 30% and 20%
    assert round(total.demand) == 2760
    # The seed rounds as it goes (2,760 - 340 = 2,420); unrounded it is 2,420.86.
    assert Decimal("2420") < total.families < Decimal("2421")


@pytest.mark.django_db
def test_it_reproduces_table_2_from_the_database_and_the_saved_parameters():
    parameters, settings = needs_parameters_get()
    assert settings is not None and parameters == SEED
    populations = [(d.name, d.slug, d.population_under_2) for d in district_list()]
    estimate = needs_estimate(populations=populations, parameters=parameters)
    assert sorted((a.name, a.population_under_2, f"{a.practitioners}") for a in estimate.districts) == sorted(TABLE_2)
    assert estimate.total.practitioners == 47


def test_it_recomputes_for_a_caseload_of_40():
    parameters, overridden = parameters_with_overrides(SEED, QueryDict("caseload=40"))
    assert overridden == ["caseload"]
    estimate = needs_estimate(populations=POPULATIONS, parameters=parameters)
    assert estimate.total.practitioners == 61  # 2,420.86 / 40 = 60.5, rounded up
    edgbaston = estimate.districts[0]
    assert f"{edgbaston.practitioners}" == "4.8"  # 2419 / 30671 x 61 = 4.81


def test_it_recomputes_when_the_rates_change():
    parameters, _ = parameters_with_overrides(SEED, QueryDict("disorganised_percent=15&already_seen_percent=0"))
    total = needs_estimate(populations=POPULATIONS, parameters=parameters).total
    # 30,671 x 15% x 45% = 2,070.3 families; / 52 = 39.8 -> 40
    assert round(total.families, 1) == Decimal("2070.3")
    assert total.practitioners == 40


@pytest.mark.parametrize("query, name, words", [
    ("caseload=0", "caseload", "between 1 and 1,000"),
    ("caseload=-5", "caseload", "between 1 and 1,000"),
    ("caseload=0.5", "caseload", "between 1 and 1,000"),
    ("caseload=1001", "caseload", "between 1 and 1,000"),
    ("caseload=1e-30", "caseload", "at most 2 decimal places"),
    ("caseload=1e-999999", "caseload", "at most 2 decimal places"),
    ("insecure_percent=1e-999999", "insecure_percent", "at most 2 decimal places"),
    ("caseload=1e999999", "caseload", "between 1 and 1,000"),
    ("caseload=abc", "caseload", "must be a number"),
    ("caseload=NaN", "caseload", "must be a number"),
    ("caseload=Infinity", "caseload", "must be a number"),
    ("insecure_percent=-1", "insecure_percent", "between 0 and 100"),
    ("disorganised_percent=101", "disorganised_percent", "between 0 and 100"),
    ("already_seen_percent=ten", "already_seen_percent", "must be a number"),
    ("disorganised_percent=abc", "disorganised_percent", "must be a number, like 20."),
    ("already_seen_percent=x", "already_seen_percent", "must be a number, like 12.3."),
])
def test_it_refuses_bad_overrides_with_a_clear_message(query, name, words):
    with pytest.raises(OverrideError) as caught:
        parameters_with_overrides(SEED, QueryDict(query))
    assert list(caught.value.messages) == [name]
    assert words in caught.value.messages[name]


def test_it_ignores_empty_overrides():
    parameters, overridden = parameters_with_overrides(SEED, QueryDict("caseload=&insecure_percent="))
    assert parameters == SEED and overridden == []


def test_it_copes_with_no_babies():
    estimate = needs_estimate(populations=[], parameters=SEED)
    assert estimate.districts == [] and estimate.total.practitioners == 0


@pytest.mark.django_db
def test_it_falls_back_to_the_seed_values_if_the_settings_row_is_missing():
    NeedsModelSettings.objects.all().delete()
    parameters, settings = needs_parameters_get()
    assert parameters == SEED and settings is None


@pytest.mark.django_db
def test_it_puts_in_the_seed_defaults_with_their_sources():
    settings = NeedsModelSettings.objects.get()
    assert settings.caseload == 52 and settings.already_seen_percent == Decimal("12.3")
    for name in ["disorganised", "insecure", "demand", "already_seen", "caseload"]:
        assert "needs assessment" in getattr(settings, f"{name}_source")


@pytest.mark.django_db
def test_it_refuses_impossible_saved_values():
    settings = NeedsModelSettings.objects.get()
    settings.caseload = 0
    settings.insecure_percent = Decimal("-1")
    with pytest.raises(ValidationError) as caught:
        settings.full_clean()
    assert {"caseload", "insecure_percent"} <= set(caught.value.message_dict)


def test_it_works_out_secure_attachment_as_what_is_left():
    assert SEED.secure_percent == Decimal("50")  # the seed's Table 1: "Reduced to 50%"
    parameters, _ = parameters_with_overrides(SEED, QueryDict("insecure_percent=25&disorganised_percent=15"))
    assert parameters.secure_percent == Decimal("60")
    assert needs_estimate(populations=POPULATIONS, parameters=parameters).districts[0].secure == Decimal("1451.4")


@pytest.mark.parametrize("query, name", [
    ("insecure_percent=85", "insecure_percent"),
    ("disorganised_percent=71", "disorganised_percent"),
    ("insecure_percent=60&disorganised_percent=60", "insecure_percent"),
])
def test_it_refuses_rates_that_leave_no_room_for_secure_attachment(query, name):
    with pytest.raises(OverrideError) as caught:
        parameters_with_overrides(SEED, QueryDict(query))
    assert caught.value.messages == {name: ATTACHMENT_OVER_100}


def test_it_has_no_secure_figure_if_saved_rates_add_up_to_more_than_100():
    parameters = SEED.replace(insecure_percent=Decimal("90"))
    assert parameters.secure_percent is None
    assert needs_estimate(populations=POPULATIONS, parameters=parameters).total.secure is None


@pytest.mark.django_db
def test_it_refuses_saved_rates_that_leave_no_room_for_secure_attachment():
    settings = NeedsModelSettings.objects.get()
    settings.insecure_percent = Decimal("81")
    with pytest.raises(ValidationError) as caught:
        settings.full_clean()
    assert caught.value.message_dict == {"insecure_percent": [ATTACHMENT_OVER_100]}
