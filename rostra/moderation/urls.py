from django.urls import path

from . import views

urlpatterns = [
    path("report", views.report, name="report"),
    path("reports", views.my_reports, name="my_reports"),
    path("decisions", views.my_decisions, name="my_decisions"),
    path("decisions/<str:decision_id>", views.decision, name="decision"),
    path("moderation", views.queue, name="moderation"),
    path("moderation/dashboard", views.dashboard, name="moderation_dashboard"),
    path("moderation/items/<str:item_id>", views.item, name="moderation_item"),
    path("moderation/items/<str:item_id>/assign", views.assign, name="moderation_assign"),
    path("moderation/items/<str:item_id>/decide", views.decide, name="moderation_decide"),
    path("moderation/appeals/<str:appeal_id>/decide", views.decide_appeal, name="moderation_appeal"),
    path("moderation/decisions/<str:decision_id>/referral", views.referral, name="moderation_referral"),
    path("moderation/rules", views.rules, name="moderation_rules"),
    path("moderation/audit", views.audit, name="moderation_audit"),
    path("transparency", views.transparency_page, name="transparency"),
    path("transparency.json", views.transparency_json, name="transparency_json"),
    path("transparency.csv", views.transparency_csv, name="transparency_csv"),
]
