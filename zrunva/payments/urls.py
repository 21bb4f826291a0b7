from django.urls import path

from zrunva.payments import views

app_name = "payments"
urlpatterns = [
    path("people/<int:pk>/accounts/", views.person_accounts, name="person_accounts"),
    path("people/<int:pk>/accounts/new/", views.account_set, name="account_set"),
    path("people/<int:pk>/payments/", views.person_payments, name="person_payments"),
    path("households/<int:pk>/payments/", views.household_payments, name="household_payments"),
    path("report/", views.report, name="report"),
    path("payrolls/", views.payroll_list, name="payroll_list"),
    path("payrolls/<int:pk>/", views.payroll_detail, name="payroll_detail"),
    path("payrolls/<int:pk>/check/", views.payroll_check, name="payroll_check"),
    path("payrolls/<int:pk>/approve/", views.payroll_approve, name="payroll_approve"),
    path("payrolls/<int:pk>/cancel/", views.payroll_cancel, name="payroll_cancel"),
    path("payrolls/<int:pk>/export/", views.payroll_export, name="payroll_export"),
    path("payrolls/<int:pk>/files/<int:file_pk>/", views.payroll_file, name="payroll_file"),
    path("payrolls/<int:pk>/answers/", views.payroll_answer, name="payroll_answer"),
    path("enrolments/<int:pk>/", views.enrolment_payments, name="enrolment_payments"),
    path("enrolments/<int:pk>/suspend/", views.suspension_start, name="suspension_start"),
    path("enrolments/<int:pk>/resume/", views.suspension_resume, name="suspension_resume"),
    path("enrolments/<int:pk>/recoveries/", views.recovery_record, name="recovery_record"),
    path(
        "enrolments/<int:pk>/recoveries/approve/",
        views.recovery_approve,
        name="recovery_approve",
    ),
    path("enrolments/<int:pk>/recoveries/cancel/", views.recovery_cancel, name="recovery_cancel"),
    path("recoveries/", views.recoveries, name="recoveries"),
    path("review/", views.review, name="review"),
    path("payrolls/<int:pk>/cash-lists/pdf/", views.payroll_cash_pdf, name="payroll_cash_pdf"),
    path("payrolls/<int:pk>/cash-lists/xlsx/", views.payroll_cash_xlsx, name="payroll_cash_xlsx"),
]
