"""{% map_loader "district-map" "appMapInit" %}: django-leaflet's map, without an inline script.

django-leaflet's {% leaflet_map %} writes an inline <script> that the content security policy
(no inline scripts) blocks. This tag renders the same options as JSON data (not executed) and
static/js/map-loader.js creates the map with django-leaflet's own L.Map.djangoMap, then calls
window[callback] and fires the usual "map:init" event.
"""
import json

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, json_script
from leaflet.templatetags.leaflet_tags import leaflet_map

register = template.Library()


@register.simple_tag
def map_loader(name, callback):
    options = leaflet_map(name, creatediv=False)
    data = {"name": name, "callback": callback, "djoptions": json.loads(options["djoptions"]),
            "loadevents": json.loads(options["loadevents"])}
    return format_html('{}<script src="{}"></script>', json_script(data, f"{name}-options"),
                       static("js/map-loader.js"))
