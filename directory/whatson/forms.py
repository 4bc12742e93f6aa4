"""The what's-on page asks the parents' questions (directory/parents/forms.py) and one more:
a topic, from the parents' topics."""
from django.utils.translation import gettext as _


def topic_choices(topics):
    return [("", _("Any topic"))] + [(topic.slug, topic.name) for topic in topics]
