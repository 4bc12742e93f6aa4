"""The admin for search words (directory/search/admin.py) and the two service form fixes of issue 11."""
import pytest
from django.urls import reverse

from directory.models import Need, NeedStep, SearchSynonym
from tests.directory.curation.admin_forms import change_form_post
from tests.directory.curation.test_admin import new_service_post

pytestmark = pytest.mark.django_db


def test_curators_can_list_and_edit_synonyms_and_need_steps(curator_client):
    synonym, step = SearchSynonym.objects.order_by("pk").first(), NeedStep.objects.get()
    for name, record in (("directory_searchsynonym", synonym), ("directory_needstep", step)):
        listing = curator_client.get(reverse(f"admin:{name}_changelist"))
        assert listing.status_code == 200 and record in listing.context["cl"].result_list
        assert curator_client.get(reverse(f"admin:{name}_add")).status_code == 200
    url = reverse("admin:directory_searchsynonym_change", args=[synonym.pk])
    page = curator_client.get(url)
    assert page.status_code == 200
    assert curator_client.post(url, change_form_post(page, terms="wobbly, low mood")).status_code == 302
    assert SearchSynonym.objects.get(pk=synonym.pk).terms == "wobbly, low mood"
    url = reverse("admin:directory_needstep_change", args=[step.pk])
    page = curator_client.get(url)
    assert page.status_code == 200
    higher = Need.objects.get(code="trauma")
    assert curator_client.post(url, change_form_post(page, higher=str(higher.pk))).status_code == 302
    assert NeedStep.objects.get(pk=step.pk).higher == higher


def test_the_seeded_synonyms_and_step_are_there():
    terms = " | ".join(SearchSynonym.objects.values_list("terms", flat=True))
    for word in ("dad", "father", "fathers", "mum", "mother", "pnd", "postnatal depression", "camhs", "bonding",
                 "attachment"):
        assert word in terms
    step = NeedStep.objects.get()
    assert (step.lower.code, step.higher.code) == ("perinatal_mental_health_mild", "perinatal_mental_health_severe")


def test_a_synonym_is_tidied_and_checked(curator_client):
    response = curator_client.post(reverse("admin:directory_searchsynonym_add"), {"terms": " Nan ,  GRANDMOTHER,nan"})
    assert response.status_code == 302
    assert SearchSynonym.objects.filter(terms="nan, grandmother").exists()
    count = SearchSynonym.objects.count()
    response = curator_client.post(reverse("admin:directory_searchsynonym_add"), {"terms": "lonely"})
    assert "Give at least two words or phrases" in response.content.decode()
    response = curator_client.post(reverse("admin:directory_searchsynonym_add"), {"terms": "a, b<script>"})
    assert "Use letters, numbers, spaces" in response.content.decode()
    assert SearchSynonym.objects.count() == count  # neither was saved


def test_a_need_cannot_be_a_step_from_itself(curator_client):
    need = Need.objects.get(code="trauma")
    response = curator_client.post(reverse("admin:directory_needstep_add"), {"lower": need.pk, "higher": need.pk})
    assert "A need cannot be a step up from itself." in response.content.decode()
    assert not NeedStep.objects.filter(lower=need).exists()


def test_the_slug_help_shows_the_address(curator_client):
    page = curator_client.get(reverse("admin:directory_service_add")).content.decode()
    assert "/services/acacia/" in page and "/services//" not in page


def test_a_missing_summary_is_shown_beside_the_summary_field(curator_client):
    response = curator_client.post(reverse("admin:directory_service_add"), new_service_post(summary=""))
    form = response.context["adminform"].form
    assert form.errors["summary"] == ["A published service needs a summary."]
    assert "A published service needs a summary." not in " ".join(form.non_field_errors())
