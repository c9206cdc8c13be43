"""The product's URLs plus the two baselines the benchmark compares against."""

from django.urls import path

from treatyapi.urls import urlpatterns as product_urlpatterns

from . import views

urlpatterns = [
    path("bench/values/", views.values_page, name="bench-values"),
    path("bench/static/", views.static_page, name="bench-static"),
    path("bench/ping/", views.ping, name="bench-ping"),
    *product_urlpatterns,
]
