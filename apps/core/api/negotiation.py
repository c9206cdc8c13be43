"""Content negotiation that answers an unknown ``?format=`` with a 400 naming the formats, not a bare 404."""

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
        return super().select_renderer(request, renderers, format_suffix)
