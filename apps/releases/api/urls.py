from django.urls import path

from . import views

urlpatterns = [
    path("releases/", views.ReleaseList.as_view(), name="release-list"),
    path("releases/<str:version>/", views.ReleaseDetail.as_view(), name="release-detail"),
    path("releases/<str:version>/package.zip", views.ReleaseArchive.as_view(), name="release-archive"),
    path("releases/<str:version>/files/<str:name>.csv", views.ReleaseCSVFile.as_view(), name="release-file-csv"),
    path("releases/<str:version>/files/<str:name>.json", views.ReleaseJSONFile.as_view(), name="release-file-json"),
    path("releases/<str:version>/citation.json", views.ReleaseCitationCSL.as_view(), name="release-citation-csl"),
    path("releases/<str:version>/citation.bib", views.ReleaseCitationBibTeX.as_view(), name="release-citation-bibtex"),
]
