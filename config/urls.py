from django.contrib import admin
from django.urls import include, path

# Admin modules are imported here rather than autodiscovered: autodiscovery
# would import leaflet.admin, which needs GDAL (docs/adr/0002-no-geodjango.md).
import django.contrib.auth.admin  # noqa: F401,E402
import axes.admin  # noqa: F401,E402  (access attempts and logs)
import accounts.admin  # noqa: F401,E402  (after axes.admin: IMHSG editors unlock sign-in under Access attempts)
import django_otp.plugins.otp_totp.admin  # noqa: F401,E402  (superusers remove a lost device here)
import directory.curation.admin.records  # noqa: F401,E402
import directory.checkins.admin  # noqa: F401,E402  (after records: adds the contact inline and the invite action)
import directory.whatson.admin  # noqa: F401,E402  (sessions, school terms, knowledge-sharing events: issue 23)
from accounts.views import enrol_view, issue_view  # noqa: E402
from config import ops, security  # noqa: E402
from directory.curation.dashboard import dashboard_view  # noqa: E402
from directory.curation.admin import searches as search_report  # noqa: E402
from directory.curation.admin import jobs as import_jobs  # noqa: E402
from directory.curation.people import curator_details_view  # noqa: E402
import directory.suggestions.admin  # noqa: F401,E402
import directory.search.admin  # noqa: F401,E402
from directory.checkins import admin_report  # noqa: E402  (also registers self-audits in the admin)
import mapping.admin  # noqa: F401,E402
from directory.openreferral.api import views as api_views  # noqa: E402

admin.site.site_header = "IMHSG curation"
admin.site.site_title = "IMHSG curation"
admin.site.index_title = "Keep the directory true"
# The sidebar squeezes the service list on laptop screens; the breadcrumbs and home page suffice.
admin.site.enable_nav_sidebar = False
admin.site.index_template = "admin/directory/index.html"

# Errors Django answers itself (too many parameters, a bad Host header, an uncaught exception):
# JSON under /api/, the site's own pages elsewhere (directory/openreferral/api/views.py).
handler400 = "directory.openreferral.api.views.handler400"
handler403 = "directory.openreferral.api.views.handler403"
handler404 = "directory.openreferral.api.views.handler404"
handler500 = "directory.openreferral.api.views.handler500"

urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    path("csp-report/", security.csp_report, name="csp-report"),
    path("admin/2fa/setup/", security.setup_view, name="two-factor-setup"),
    path("admin/2fa/verify/", security.verify_view, name="two-factor-verify"),
    path("admin/2fa/enrol/<str:token>/", enrol_view, name="two-factor-enrol"),
    # Not under /admin/2fa/, which staff reach before confirming a code: issuing a link needs a confirmed one.
    path("admin/enrolment-links/", admin.site.admin_view(issue_view), name="enrolment-link"),
    path("admin/curation/", admin.site.admin_view(dashboard_view), name="curation-dashboard"),
    # What people searched for (issue 22): read-only, GET only.
    path("admin/searches/", admin.site.admin_view(search_report.search_list_view), name="search-report"),
    path("admin/searches/report.csv", admin.site.admin_view(search_report.search_csv_view), name="search-report-csv"),
    # Import jobs and their progress (issue 26, docs/adr/0026): read-only, GET only.
    path("admin/imports/", admin.site.admin_view(import_jobs.job_list_view), name="import-jobs"),
    path("admin/imports/<int:job_id>/", admin.site.admin_view(import_jobs.job_view), name="import-job"),
    path("admin/imports/<int:job_id>/status.json", admin.site.admin_view(import_jobs.job_status_view),
         name="import-job-status"),
    path("admin/account/", admin.site.admin_view(curator_details_view), name="curator-details"),
    path("admin/curators/<int:user_id>/", admin.site.admin_view(curator_details_view), name="curator-details-of"),
    # The IMHSG's self-audit report (issue 20): read-only, GET only.
    path("admin/self-audits/", admin.site.admin_view(admin_report.report_view), name="self-audit-report"),
    path("admin/self-audits/report.csv", admin.site.admin_view(admin_report.report_csv_view),
         name="self-audit-report-csv"),
    path("admin/self-audits/<int:service_id>/", admin.site.admin_view(admin_report.history_view),
         name="self-audit-history"),
    path("admin/self-audits/<int:service_id>/compare/", admin.site.admin_view(admin_report.compare_view),
         name="self-audit-compare"),
    path("admin/", admin.site.urls),
    path("parents/", include("directory.parents.urls")),
    # set_language, for the parents' switcher once a complete translation exists.
    path("i18n/", include("django.conf.urls.i18n")),
    # The Open Referral UK 3.0 API (docs/adr/0011-oruk-api.md).
    path("api/", include("directory.openreferral.api.urls")),
    # "/api" answers as "/api/" does, rather than a redirect (a CORS client would not follow
    # one without the header, and a write would lose its method).
    path("api", api_views.root),
    # A service's personal link to check its own entry (issue 20): no account, never cached.
    path("", include("directory.checkins.urls")),
    # What's on (issue 23): the parents' sessions page, calendar feeds, knowledge-sharing events.
    path("", include("directory.whatson.urls")),
    # Preparing a referral on the practitioner's device (issue 24): never stored, never cached.
    path("", include("directory.referrals.urls")),
    path("", include("directory.practitioners.urls")),
    path("", include("mapping.urls")),
]
