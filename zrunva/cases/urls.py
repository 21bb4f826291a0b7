from django.urls import path

from zrunva.cases import views, views_indicators, views_worknet

app_name = "cases"
urlpatterns = [
    path("", views.home, name="home"),
    path("lists/<slug:name>/", views.case_lists, name="list"),
    path("open/<int:person>/", views.case_open, name="open"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/timeline/", views.entry, name="entry"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/give/", views.give, name="give"),
    path("<int:pk>/colleague/", views.colleague, name="colleague"),
    path("<int:pk>/plan/", views.plan, name="plan"),
    path("<int:pk>/transfer/", views.transfer, name="transfer"),
    path("<int:pk>/emergency/", views.glass, name="glass"),
    path("transfers/<int:pk>/", views.transfer_decide, name="transfer_decide"),
    path("emergency-access/", views.glass_review, name="glass_review"),
    path("people/<int:pk>/", views.person_cases, name="person_cases"),
    path("households/<int:pk>/", views.household_cases, name="household_cases"),
    path("<int:pk>/refer/", views.refer, name="refer"),
    path("<int:pk>/assess/", views.assess, name="assess"),
    path("<int:pk>/assess/<int:assessment>/", views.assess, name="assessment"),
    path("referrals/", views.referrals, name="referrals"),
    path("team/", views.team, name="team"),
    path("indicators/", views_indicators.indicators, name="indicators"),
    path("worknet/", views_worknet.worknet_list, name="worknet_list"),
    path("worknet/bulk/", views_worknet.worknet_bulk, name="worknet_bulk"),
    path("worknet/export/", views_worknet.worknet_export, name="worknet_export"),
    path("worknet/import/", views_worknet.worknet_import, name="worknet_import"),
    path("referrals/<int:pk>/", views.referral, name="referral"),
]
