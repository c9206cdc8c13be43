"""Content negotiation: an explicit ``format`` wins over the ``Accept`` header; an unknown one is a 400.

A client generated from the schema sends ``Accept: application/json`` on every request; asking for ``?format=csv``
on top of it is the more specific wish, and DRF's 406 for the pair left such clients no way to get CSV. A view with
one representation only (``/api/events.csv``) answers with it whatever ``Accept`` says, as RFC 9110 allows.
"""

from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        requested = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        formats = [renderer.format for renderer in renderers]
        if requested and requested not in formats:
            raise ValidationError(
                {
                    self.settings.URL_FORMAT_OVERRIDE: [
                        f"'{requested}' is not a format of this endpoint; give one of: {', '.join(formats)}."
                    ]
                }
            )
        if requested:
            renderer = renderers[formats.index(requested)]
            return renderer, renderer.media_type
        if len(renderers) == 1:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
