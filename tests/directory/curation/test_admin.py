"""IMHSG curation: every admin page loads for a curator with pinned query counts,
and a curator can add a service with two referral routes and a venue."""
import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from directory.curation.roles import IMHSG_EDITORS
from directory.models import Need, Organisation, ReferralRoute, Service, ServiceAtLocation, ServiceCapacity, Venue
from mapping.models import District, Postcode

pytestmark = pytest.mark.django_db

ADMIN_MODELS = ["directory.service", "directory.organisation", "directory.need", "directory.intervention",
                "directory.deliverymode", "directory.language", "directory.level", "directory.venue",
                "mapping.district", "mapping.ward", "mapping.postcode"]


def url(name, *args):
    return reverse(f"admin:{name}", args=args)


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_each_list_page_loads(curator_client, model):
    app, name = model.split(".")
    assert curator_client.get(url(f"{app}_{name}_changelist")).status_code == 200


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_each_change_page_loads(curator_client, model):
    from django.apps import apps

    app, name = model.split(".")
    obj = apps.get_model(app, name).objects.first()
    assert curator_client.get(url(f"{app}_{name}_change", obj.pk)).status_code == 200


def test_the_service_add_page_loads_with_plain_help(curator_client):
    response = curator_client.get(url("directory_service_add"))
    assert response.status_code == 200
    assert b"A specialist service need not be specialised" in response.content


def test_the_imhsg_editors_group_has_the_directory_permissions_but_no_deletion():
    group = Group.objects.get(name=IMHSG_EDITORS)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"add_service", "change_service", "publish_service", "moderate_service", "change_district"} <= codenames
    # Routes, venues and the private check-in contact leave a service as part of editing it, and a
    # session's changed date leaves the session (issue 23); records themselves are deleted by superusers only.
    assert {c for c in codenames if c.startswith("delete_")} == {"delete_referralroute", "delete_serviceatlocation",
                                                                 "delete_checkincontact", "delete_sessionexception"}


def add_services(count):
    organisation = Organisation.objects.first()
    need = Need.objects.first()
    district = District.objects.first()
    venue = Venue.objects.first()
    for i in range(count):
        service = Service.objects.create(organisation=organisation, name=f"Extra {i}", slug=f"extra-{i}",
                                         focus="additional", summary="x", status="draft",
                                         coverage_type="districts")
        service.levels.set([1, 2])
        service.needs.set([need])
        service.coverage_districts.set([district])
        ReferralRoute.objects.create(service=service, referrer="self")
        ServiceAtLocation.objects.create(service=service, venue=venue)


# Session, user, then the page's own queries; constant whatever the number of rows.
LIST_QUERIES = 12


@pytest.mark.parametrize("extra", [0, 30])
def test_the_service_list_runs_a_fixed_number_of_queries(curator_client, django_assert_num_queries, extra):
    add_services(extra)
    with django_assert_num_queries(LIST_QUERIES):
        response = curator_client.get(url("directory_service_changelist"))
    assert response.status_code == 200
    assert b"Community Perinatal Mental Health Team" in response.content


@pytest.mark.parametrize("query", ["review=overdue", "levels__id__exact=4",
                                   "focus=specialised", "focus_confirmed__exact=0", "status__exact=published"])
def test_the_service_list_filters_keep_the_same_query_count(curator_client, django_assert_num_queries, query):
    Service.objects.filter(name__startswith="B").update(next_review_due="2020-01-01")  # so 'overdue' lists some
    with django_assert_num_queries(LIST_QUERIES):
        assert curator_client.get(url("directory_service_changelist") + "?" + query).status_code == 200


@pytest.mark.parametrize("words, queries", [("perinatal", 1), ("perinatal health", 2)])
def test_a_search_adds_one_query_per_word_to_find_organisations_by_name(curator_client, django_assert_num_queries,
                                                                        words, queries):
    with django_assert_num_queries(LIST_QUERIES + queries):
        assert curator_client.get(url("directory_service_changelist"), {"q": words}).status_code == 200


def test_the_district_filter_adds_one_query_to_find_the_district(curator_client, django_assert_num_queries):
    with django_assert_num_queries(LIST_QUERIES + 1):
        assert curator_client.get(url("directory_service_changelist") + "?district=hodge-hill").status_code == 200


def test_the_district_filter_uses_the_in_district_rule(curator_client):
    response = curator_client.get(url("directory_service_changelist") + "?district=northfield")
    names = {s.name for s in response.context["cl"].result_list}
    assert "Social and Emotional Mental Health Pathfinder: Roots project" in names  # lists Northfield
    assert "Acacia" in names  # city-wide
    assert "All Saints Youth Project" not in names  # Kings Heath, in Hall Green
    response = curator_client.get(url("directory_service_changelist") + "?district=sutton-coldfield")
    assert "Neonatal Unit psychological support" in {s.name for s in response.context["cl"].result_list}


def test_the_review_filters_and_the_dashboard_agree_at_the_edges(curator_client):
    """Found by a deliberate mistake (issue 19): ReviewFilter reading "overdue" as before today
    left a service due today in neither list, while the dashboard counted it overdue."""
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    Service.objects.update(next_review_due=today + timedelta(days=200))
    due = {"acacia": today, "new-baby-network": today + timedelta(days=1),
           "anawim-birmingham-centre-for-women": today + timedelta(days=30),
           "breaking-the-cycle": today + timedelta(days=31), "community-perinatal-mental-health-team": None}
    for slug, date in due.items():
        Service.objects.filter(slug=slug).update(next_review_due=date)
    listed = {}
    for review in ("overdue", "soon", "unscheduled"):
        response = curator_client.get(url("directory_service_changelist") + f"?review={review}")
        listed[review] = {service.slug for service in response.context["cl"].result_list}
    assert listed == {"overdue": {"acacia"}, "soon": {"new-baby-network", "anawim-birmingham-centre-for-women"},
                      "unscheduled": {"community-perinatal-mental-health-team"}}
    counts = {c.label: c.count for c in curator_client.get(reverse("curation-dashboard")).context["counts"]}
    assert (counts["Overdue for review"], counts["Due for review in the next 30 days"]) == (1, 2)


def test_a_forged_district_in_the_filter_lists_nothing_rather_than_failing(curator_client):
    response = curator_client.get(url("directory_service_changelist") + "?district=atlantis")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0 and list(response.context["cl"].result_list) == []


CHANGE_QUERIES = 27  # 20, plus one counting the facts whose sources the page links to, one for proposed changes,
# one listing the curators who may own the service, one reading the owner's e-mail, one for the check-in contact,
# and the capacity rows and the district list their rows share (issue 22)


@pytest.mark.parametrize("rows", [1, 4])
def test_the_service_change_page_runs_a_fixed_number_of_queries(curator_client, django_assert_num_queries, rows):
    service = Service.objects.get(slug="acacia")
    service.referral_routes.all().delete()
    districts = list(District.objects.order_by("name"))
    for i, venue in enumerate(Venue.objects.bulk_create(
            Venue(name=f"Venue {i}", postcode="B4 6NH") for i in range(rows))):
        ServiceAtLocation.objects.create(service=service, venue=venue)
        ReferralRoute.objects.create(service=service, referrer="professional", professions=f"Profession {i}")
        ServiceCapacity.objects.create(service=service, district=districts[i], practitioner_wte=f"0.{i + 1}")
    ContentType.objects.clear_cache()  # the admin reads content types through a process-wide cache
    with django_assert_num_queries(CHANGE_QUERIES):
        response = curator_client.get(url("directory_service_change", service.pk))
    assert response.status_code == 200
    assert f"Venue {rows - 1}".encode() in response.content
    assert f"Profession {rows - 1}".encode() in response.content
    assert f'value="0.{rows}0"'.encode() in response.content  # the last capacity row's practitioner time


def management_form(prefix, total, initial=0):
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}


def new_service_post(**overrides):
    organisation = Organisation.objects.get(name="Acacia Family Support")
    venue = Venue.objects.get(name="Heartlands Hospital")
    data = {
        "name": "Test parent-infant service", "slug": "test-parent-infant-service",
        "organisation": organisation.pk, "status": "published",
        "summary": "A test service for parents and babies.", "description": "",
        "levels": ["2", "4"], "focus": "specialised", "age_range": "range",
        "age_from_months": "-3", "age_to_months": "23", "audience": "everyone", "cost": "free",
        "coverage_type": "city_wide", "needs": [Need.objects.get(code="bonding_attachment").pk],
        **management_form("referral_routes", 2),
        "referral_routes-0-referrer": "professional", "referral_routes-0-professions": "Health visitor, midwife",
        "referral_routes-0-method": "email", "referral_routes-0-acceptance_criteria": "Baby under two.",
        "referral_routes-0-order": "0",
        "referral_routes-1-referrer": "self", "referral_routes-1-method": "phone", "referral_routes-1-order": "1",
        **management_form("service_at_locations", 1),
        "service_at_locations-0-venue": venue.pk, "service_at_locations-0-note": "",
        **management_form("checkin_contact", 0),  # the private contact, on IMHSG editors' pages only
        **management_form("capacities", 0),  # capacity per district (issue 22)
    }
    data.update(overrides)
    return data


def test_a_curator_can_add_a_service_with_two_routes_and_a_venue(curator_client):
    response = curator_client.post(url("directory_service_add"), new_service_post())
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    service = Service.objects.get(slug="test-parent-infant-service")
    assert service.status == "published"
    assert [r.referrer for r in service.referral_routes.all()] == ["professional", "self"]
    assert [sal.venue.name for sal in service.service_at_locations.all()] == ["Heartlands Hospital"]
    assert {level.code for level in service.levels.all()} == {"targeted", "specialist"}


def errors_of(response):
    text = response.content.decode()
    return text


def test_publishing_without_a_route_or_reason_is_refused_in_plain_words(curator_client):
    data = new_service_post(**management_form("referral_routes", 0))
    response = curator_client.post(url("directory_service_add"), data)
    assert response.status_code == 200
    assert "Add at least one referral route, or say why there is none, before publishing." in errors_of(response)
    assert not Service.objects.filter(slug="test-parent-infant-service").exists()


def test_publishing_without_a_summary_is_refused_in_plain_words(curator_client):
    response = curator_client.post(url("directory_service_add"), new_service_post(summary=""))
    assert "A published service needs a summary." in errors_of(response)
    assert not Service.objects.filter(slug="test-parent-infant-service").exists()


def test_a_backwards_age_range_is_refused_in_plain_words(curator_client):
    response = curator_client.post(url("directory_service_add"), new_service_post(age_from_months="12", age_to_months="3"))
    assert "Give both ages with &#x27;from&#x27; no later than &#x27;to&#x27;" in errors_of(response)
    assert not Service.objects.filter(slug="test-parent-infant-service").exists()


def test_a_service_needs_a_level(curator_client):
    response = curator_client.post(url("directory_service_add"), new_service_post(levels=[]))
    # Said once, in these words (not also Django's "This field is required.").
    assert response.context["adminform"].form.errors["levels"] == ["Tick at least one level of need."]
    assert not Service.objects.filter(slug="test-parent-infant-service").exists()


def test_a_service_for_some_districts_needs_them_ticked(curator_client):
    """Found by a deliberate mistake (issue 19): without this check a service "for some
    districts" was saved covering none, and so found in no district's search."""
    response = curator_client.post(url("directory_service_add"), new_service_post(coverage_type="districts"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["coverage_districts"] == [
        "Tick the districts the service covers, or choose city-wide."]
    assert not Service.objects.filter(slug="test-parent-infant-service").exists()
    hodge_hill = District.objects.get(slug="hodge-hill")
    response = curator_client.post(url("directory_service_add"), new_service_post(
        coverage_type="districts", coverage_districts=[str(hodge_hill.pk)]))
    assert response.status_code == 302
    assert list(Service.objects.get(slug="test-parent-infant-service").coverage_districts.all()) == [hodge_hill]


def test_a_summary_of_spaces_is_no_summary(curator_client):
    response = curator_client.post(url("directory_service_add"), new_service_post(summary="   \n  "))
    assert response.context["adminform"].form.errors["summary"] == ["A published service needs a summary."]
    assert not Service.objects.filter(slug="test-parent-infant-service").exists()


def test_a_forged_venue_id_is_refused(curator_client):
    response = curator_client.post(url("directory_service_add"), new_service_post(**{"service_at_locations-0-venue": "999999"}))
    assert response.status_code == 200
    # Refused for the venue, not for something else on the form.
    assert not response.context["adminform"].form.errors
    [venues] = [inline.formset for inline in response.context["inline_admin_formsets"]
                if inline.formset.prefix == "service_at_locations"]
    assert "Select a valid choice" in venues.errors[0]["venue"][0]
    assert not Service.objects.filter(slug="test-parent-infant-service").exists()


def test_a_draft_can_be_saved_without_routes(curator_client):
    data = new_service_post(status="draft", summary="", **management_form("referral_routes", 0))
    assert curator_client.post(url("directory_service_add"), data).status_code == 302
    assert Service.objects.get(slug="test-parent-infant-service").status == "draft"


def test_a_venue_gets_its_position_from_its_postcode(curator_client):
    response = curator_client.post(url("directory_venue_add"), {"name": "Test venue", "postcode": "b46nh",
                                                                "address": "", "accessibility": ""})
    assert response.status_code == 302
    venue = Venue.objects.get(name="Test venue")
    assert venue.postcode == "B4 6NH" and venue.district.name == "Ladywood"
    assert venue.lat == Postcode.objects.get(postcode="B4 6NH").lat


def test_a_venue_with_an_unknown_postcode_is_refused(curator_client):
    response = curator_client.post(url("directory_venue_add"), {"name": "Test venue", "postcode": "M1 1AE"})
    assert "We could not find M1 1AE in our list of Birmingham postcodes" in errors_of(response)
    assert not Venue.objects.filter(name="Test venue").exists()


def test_the_mark_reviewed_action_sets_the_dates(curator_client):
    from datetime import timedelta

    from django.utils import timezone

    service = Service.objects.get(slug="acacia")
    today = timezone.localdate()
    assert service.last_reviewed != today  # the seed's date, so the action has something to change
    response = curator_client.post(url("directory_service_changelist"),
                                   {"action": "mark_reviewed_today", "_selected_action": [service.pk]})
    assert response.status_code == 302
    service.refresh_from_db()
    assert (service.last_reviewed, service.next_review_due) == (today, today + timedelta(days=365))


def test_someone_who_is_not_staff_cannot_reach_the_admin(client, django_user_model):
    user = django_user_model.objects.create_user("pat", "pat@example.org", "a-long-parent-password")
    client.force_login(user)
    response = client.get(url("directory_service_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_every_admin_form_reads_a_web_address_without_a_scheme_as_https(rf, django_user_model):
    """One rule (HTTPS_URLS in directory/curation/admin/records.py) for every admin page and inline
    with a web address, and for the admin's own ModelForm classes as they are defined."""
    from django import forms
    from django.contrib import admin

    from directory.curation.admin.records import FactAdmin, ServiceAdminForm

    request = rf.get("/admin/")
    request.user = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    schemes = {}
    for model, model_admin in admin.site._registry.items():
        built = [model_admin.get_form(request)]
        built += [inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)]
        for form in built:
            for name, field in form.base_fields.items():
                if isinstance(field, forms.URLField):
                    schemes[f"{form._meta.model.__name__}.{name} ({type(model_admin).__name__})"] = field.assume_scheme
    assert {"Organisation.url (OrganisationAdmin)", "Service.url (ServiceAdmin)", "ReferralRoute.url (ServiceAdmin)",
            "ReferralRoute.url (ReferralRouteAdmin)", "Fact.source_url (FactAdmin)",
            "UrgentHelp.url (UrgentHelpAdmin)"} <= set(schemes)
    assert {where: scheme for where, scheme in schemes.items() if scheme != "https"} == {}
    assert ServiceAdminForm.base_fields["url"].assume_scheme == "https"
    assert FactAdmin.Form.base_fields["source_url"].assume_scheme == "https"


def test_list_columns_of_related_rows_show_their_names_escaped(curator_client):
    """One helper (name_list) for the services' levels and the parents' topics' needs."""
    from directory.curation.admin.records import name_list
    from directory.models import Level

    assert name_list([Level(name="Universal"), Level(name="<b>Targeted</b>")]) == (
        "Universal, &lt;b&gt;Targeted&lt;/b&gt;")
    service = Service.objects.get(slug="acacia")
    names = ", ".join(level.name for level in service.levels.order_by("rank"))
    assert f"<td class=\"field-level_list\">{names}</td>" in curator_client.get(
        url("directory_service_changelist") + "?q=Acacia").content.decode()
