import pytest

from directory.checkins.tokens import create_invitation
from directory.models import Service


@pytest.fixture
def acacia():
    return Service.objects.get(slug="acacia")


@pytest.fixture
def invitation_and_token(acacia):
    """Pat at Acacia was sent a check-in link."""
    return create_invitation(service=acacia, name="Pat Example", email="pat@example.org")


@pytest.fixture
def invitation(invitation_and_token):
    return invitation_and_token[0]


@pytest.fixture
def check_url(invitation_and_token):
    return f"/check/{invitation_and_token[1]}/"


def page_data(service, **changes):
    """What a browser sends when nobody touches the page (the boxes hold today's values), with
    `changes` on top ({field name: value or list})."""
    from directory.checkins.forms import CheckInForm
    from directory.checkins.views import current_sessions

    form = CheckInForm(service=service, routes=list(service.referral_routes.all()),
                       placements=list(service.service_at_locations.select_related("venue")),
                       sessions=current_sessions(service))
    data = {}
    for name in form.fields:
        value = form.initial.get(name, form.fields[name].initial)
        if value in (None, "", []):
            continue
        data[name] = [str(getattr(v, "pk", v)) for v in value] if isinstance(value, list) else str(value)
    data.update(changes)
    return data
