"""The reader's "cite for an existing record": the record is chosen with the admin's autocomplete, never typed.

One autocomplete box per kind of record the curator may change, each searching that kind's admin (its
``search_fields``: slug, title, speaker, quoted text...), as the record forms' own autocomplete boxes do.
"""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect

from .citations import citation_model


class ExistingRecordForm(forms.Form):
    """A record of each kind given (``cited_models``), as its autocomplete box; each field is named after its model
    ("event"), the name ``cite_existing_view`` reads the chosen record's key from."""

    def __init__(self, cited_models, admin_site, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for cited_model in cited_models:
            # The foreign key from the citation to the record: the relation the admin's autocomplete view searches.
            citation = citation_model(cited_model)
            relation = citation._meta.get_field(citation.cited_field)
            field = forms.ModelChoiceField(
                queryset=cited_model._default_manager.all(),
                required=False,
                label=cited_model._meta.verbose_name,
                # select2 sizes a box hidden at start-up (the panel is) by this, not by its style.
                widget=AutocompleteSelect(relation, admin_site, attrs={"data-width": "20em"}),
            )
            # What its button sends as ``model`` (templates cannot read _meta).
            field.model_label = cited_model._meta.label_lower
            self.fields[cited_model._meta.model_name] = field
