"""Build the POST a person would send from an admin change page, from the page itself; and the
steps the curation tests share (sign in as someone, propose a change as they would)."""
from django import forms
from django.urls import reverse


def _put(data, bound, name):
    value = bound.value()
    if isinstance(bound.field, forms.BooleanField):
        if value:
            data[name] = "on"
        return
    if value is None:
        return
    if isinstance(value, (list, tuple)):
        data[name] = [str(getattr(v, "pk", v)) for v in value]
    else:
        data[name] = str(getattr(value, "pk", value))


def change_form_post(response, **changes):
    """Every field of the change form and its inlines as they are on the page, then `changes`."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        _put(data, form[name], form.add_prefix(name))
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        for inline_form in formset.forms:
            for name in inline_form.fields:
                _put(data, inline_form[name], inline_form.add_prefix(name))
    data.update(changes)
    return data


def admin_url(name, *args):
    return reverse(f"admin:{name}", args=args)


def as_user(client, user):
    client.force_login(user)
    return client


def propose(client, service, **changes):
    """Open a service's change page as the signed-in person and post it back with `changes`."""
    page = client.get(admin_url("directory_service_change", service.pk))
    assert page.status_code == 200
    return client.post(admin_url("directory_service_change", service.pk), change_form_post(page, **changes))
