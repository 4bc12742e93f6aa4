"""Issue 18, item 2: every admin URL x every role x GET and POST, against one table.

The table below says, for each case (an admin URL pattern with a concrete record) and each
role, what a GET and what a POST must do. The POST carries a real form body: the form the page
renders (for the role itself when it can open the page, else for a superuser), with one visible
field changed, so a POST that is allowed really saves. Every admin URL pattern of the URLconf
must appear in the table: a new admin route fails `test_every_admin_url_is_in_the_table` until
it is added here.

Roles (columns): anonymous; viewer; own_editor, an organisation editor of the record's
organisation; other_editor, an organisation editor of another organisation; imhsg_editor;
superuser. Records are of Acacia Family Support (Omar edits for it) unless the case's name says
[nbn] (New Baby Network, Nina's); for records of no organisation, own_editor is Omar.

Each cell is GET/POST:
  ok      GET: the page opens (200); for organisation editors without the curator notes
  go      GET: a redirect onwards (to the change page, the public page), not a refusal
  login   anonymous: sent to the sign-in page, nothing written
  no      GET: refused (403, 404, 405, or the admin's "doesn't exist" redirect);
          POST: nothing written (403, 404, 405, a redirect or the page again; never a 500)
  read    POST to a page that only reads (a list, a comparison, a download): nothing written
  saved   POST: the change in the form is on the live record (organisation editors: never
          a status, see `check_saved`)
  held    POST: a proposed change (PendingChange) waits for approval; the live record, its
          many-to-many sets, routes and venues are unchanged

"Nothing written" compares, before and after the POST: the record the URL is about (every
field, its many-to-many sets, and a service's routes and venues), every service's status, and
the counts of proposed changes, admin log entries, history rows, facts and the record's model.
Each role's requests run in a savepoint rolled back afterwards, so roles never see each other's
writes.

To see what today's code does for every cell (e.g. when adding a route), run with
MATRIX_PRINT=1 and -s: each case prints its observed row in the table's format.
"""
import os
from datetime import date, timedelta
from decimal import Decimal
import re
from dataclasses import dataclass
from functools import cached_property
from html.parser import HTMLParser
from typing import Callable

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from directory.models import PendingChange
from directory.curation.roles import ORGANISATION_EDITORS
from directory.models import (
    CoverageType, DeliveryMode, Focus, Intervention, Language, Level, Need, NeedStep, Organisation, ParentTopic,
    ReferralRoute, SearchSynonym, Service, ServiceAtLocation, ServiceCapacity, Status, UrgentHelp, Venue,
)
from directory.models import Fact
from directory.models import SearchRecord, SelfAudit, Suggestion
from mapping.models import District, NeedsModelSettings, Postcode, Ward

ROLES = ("anonymous", "viewer", "own_editor", "other_editor", "imhsg_editor", "superuser")

# --- The table ---------------------------------------------------------------------------------
# Rules it follows: viewers never write; organisation editors' writes to a published service
# become proposed changes, they never write organisations, routes or venues of published
# services, statuses or history (a revert writes the record directly, so only those who publish
# revert); they never see curator notes; nobody but a superuser deletes or manages people,
# sign-in records and devices; anonymous is sent to the sign-in page. Check-in contacts and
# invitations (issue 20) are the IMHSG's: organisation editors never open them, viewers read
# them, IMHSG editors write contacts and revoke invitations (which nobody edits or adds by hand).
# A service's capacity per district (issue 22) is written by IMHSG editors only: proposals carry
# routes and venues, not capacity, so organisation editors read it and nothing they post changes it.
# What's on (issue 23): organisation editors add sessions to their own services as drafts and
# read published ones (an IMHSG editor publishes); they read school terms; they never open
# knowledge-sharing events, which only IMHSG editors write.
TABLE_TEXT = """
# case                                      anonymous    viewer       own_editor   other_editor imhsg_editor superuser
app_list[auth]                              login/login  no/no        no/no        no/no        no/no        ok/read
app_list[axes]                              login/login  no/no        no/no        no/no        ok/read      ok/read
app_list[directory]                         login/login  ok/read      ok/read      ok/read      ok/read      ok/read
app_list[mapping]                           login/login  ok/read      ok/read      ok/read      ok/read      ok/read
app_list[otp_totp]                          login/login  no/no        no/no        no/no        no/no        ok/read
auth_group_add                              login/login  no/no        no/no        no/no        no/no        ok/saved
auth_group_change                           login/login  no/no        no/no        no/no        no/no        ok/saved
auth_group_changelist                       login/login  no/no        no/no        no/no        no/no        ok/saved
auth_group_delete                           login/login  no/no        no/no        no/no        no/no        ok/saved
auth_group_history                          login/login  no/no        no/no        no/no        no/no        ok/read
auth_group_object                           login/login  go/read      go/read      go/read      go/read      go/read
auth_user_add                               login/login  no/no        no/no        no/no        no/no        ok/saved
auth_user_change                            login/login  no/no        no/no        no/no        no/no        ok/saved
auth_user_changelist                        login/login  no/no        no/no        no/no        no/no        ok/saved
auth_user_delete                            login/login  no/no        no/no        no/no        no/no        ok/saved
auth_user_history                           login/login  no/no        no/no        no/no        no/no        ok/read
auth_user_object                            login/login  go/read      go/read      go/read      go/read      go/read
auth_user_password_change                   login/login  no/no        no/no        no/no        no/no        ok/saved
autocomplete[needs]                         login/login  ok/read      ok/read      ok/read      ok/read      ok/read
autocomplete[organisation]                  login/login  ok/read      ok/read      ok/read      ok/read      ok/read
autocomplete[owner]                         login/login  no/no        no/no        no/no        no/no        ok/read
autocomplete[venue]                         login/login  ok/read      ok/read      ok/read      ok/read      ok/read
axes_accessattempt_add                      login/login  no/no        no/no        no/no        no/no        no/no
axes_accessattempt_change                   login/login  no/no        no/no        no/no        ok/no        ok/saved
axes_accessattempt_changelist               login/login  no/no        no/no        no/no        ok/saved     ok/saved
axes_accessattempt_delete                   login/login  no/no        no/no        no/no        ok/saved     ok/saved
axes_accessattempt_history                  login/login  no/no        no/no        no/no        ok/read      ok/read
axes_accessattempt_object                   login/login  go/read      go/read      go/read      go/read      go/read
axes_accessfailurelog_add                   login/login  no/no        no/no        no/no        no/no        no/no
axes_accessfailurelog_change                login/login  no/no        no/no        no/no        no/no        ok/saved
axes_accessfailurelog_changelist            login/login  no/no        no/no        no/no        no/no        ok/saved
axes_accessfailurelog_delete                login/login  no/no        no/no        no/no        no/no        ok/saved
axes_accessfailurelog_history               login/login  no/no        no/no        no/no        no/no        ok/read
axes_accessfailurelog_object                login/login  go/read      go/read      go/read      go/read      go/read
axes_accesslog_add                          login/login  no/no        no/no        no/no        no/no        no/no
axes_accesslog_change                       login/login  no/no        no/no        no/no        no/no        ok/saved
axes_accesslog_changelist                   login/login  no/no        no/no        no/no        no/no        ok/saved
axes_accesslog_delete                       login/login  no/no        no/no        no/no        no/no        ok/saved
axes_accesslog_history                      login/login  no/no        no/no        no/no        no/no        ok/read
axes_accesslog_object                       login/login  go/read      go/read      go/read      go/read      go/read
catch_all                                   login/login  no/no        no/no        no/no        no/no        no/no
curation-dashboard                          login/login  ok/read      no/no        no/no        ok/read      ok/read
curator-details                             login/login  ok/saved     ok/saved     ok/saved     ok/saved     ok/saved
curator-details-of                          login/login  no/no        no/no        no/no        ok/saved     ok/saved
curator-details-of[superuser]               login/login  no/no        no/no        no/no        no/no        ok/saved
directory_checkincontact_add                login/login  no/no        no/no        no/no        ok/saved     ok/saved
directory_checkincontact_change             login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_checkincontact_changelist         login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_checkincontact_delete             login/login  no/no        no/no        no/no        ok/saved     ok/saved
directory_checkincontact_history            login/login  ok/read      no/no        no/no        ok/read      ok/read
directory_checkincontact_object             login/login  go/read      go/read      go/read      go/read      go/read
directory_checkininvitation_add             login/login  no/no        no/no        no/no        no/no        no/no
directory_checkininvitation_change          login/login  ok/no        no/no        no/no        ok/no        ok/no
directory_checkininvitation_changelist      login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_checkininvitation_delete          login/login  no/no        no/no        no/no        no/no        ok/saved
directory_checkininvitation_history         login/login  ok/read      no/no        no/no        ok/read      ok/read
directory_checkininvitation_object          login/login  go/read      go/read      go/read      go/read      go/read
directory_deliverymode_add                  login/login  no/no        no/no        no/no        ok/saved     ok/saved
directory_deliverymode_change               login/login  ok/no        ok/no        ok/no        ok/saved     ok/saved
directory_deliverymode_changelist           login/login  ok/no        ok/no        ok/no        ok/no        ok/saved
directory_deliverymode_delete               login/login  no/no        no/no        no/no        no/no        ok/saved
directory_deliverymode_history              login/login  ok/read      ok/read      ok/read      ok/read      ok/read
directory_deliverymode_object               login/login  go/read      go/read      go/read      go/read      go/read
directory_fact_add                          login/login  no/no        no/no        no/no        no/no        no/no
directory_fact_change                       login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_fact_changelist                   login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_fact_delete                       login/login  no/no        no/no        no/no        no/no        ok/saved
directory_fact_history                      login/login  ok/read      no/no        no/no        ok/read      ok/read
directory_fact_object                       login/login  go/read      go/read      go/read      go/read      go/read
directory_intervention_add                  login/login  no/no        no/no        no/no        ok/saved     ok/saved
directory_intervention_change               login/login  ok/no        ok/no        ok/no        ok/saved     ok/saved
directory_intervention_changelist           login/login  ok/no        ok/no        ok/no        ok/no        ok/saved
directory_intervention_delete               login/login  no/no        no/no        no/no        no/no        ok/saved
directory_intervention_history              login/login  ok/read      ok/read      ok/read      ok/read      ok/read
directory_intervention_object               login/login  go/read      go/read      go/read      go/read      go/read
directory_knowledgeevent_add                login/login  no/no        no/no        no/no        ok/saved     ok/saved
directory_knowledgeevent_change             login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_knowledgeevent_changelist         login/login  ok/no        no/no        no/no        ok/no        ok/saved
directory_knowledgeevent_compare            login/login  ok/read      no/no        no/no        ok/read      ok/read
directory_knowledgeevent_delete             login/login  no/no        no/no        no/no        no/no        ok/saved
directory_knowledgeevent_history            login/login  ok/read      no/no        no/no        ok/read      ok/read
directory_knowledgeevent_object             login/login  go/read      go/read      go/read      go/read      go/read
directory_knowledgeevent_simple_history     login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_language_add                      login/login  no/no        no/no        no/no        ok/saved     ok/saved
directory_language_change                   login/login  ok/no        ok/no        ok/no        ok/saved     ok/saved
directory_language_changelist               login/login  ok/no        ok/no        ok/no        ok/no        ok/saved
directory_language_delete                   login/login  no/no        no/no        no/no        no/no        ok/saved
directory_language_history                  login/login  ok/read      ok/read      ok/read      ok/read      ok/read
directory_language_object                   login/login  go/read      go/read      go/read      go/read      go/read
directory_level_add                         login/login  no/no        no/no        no/no        no/no        no/no
directory_level_change                      login/login  ok/no        ok/no        ok/no        ok/saved     ok/saved
directory_level_changelist                  login/login  ok/no        ok/no        ok/no        ok/no        ok/no
directory_level_delete                      login/login  no/no        no/no        no/no        no/no        no/no
directory_level_history                     login/login  ok/read      ok/read      ok/read      ok/read      ok/read
directory_level_object                      login/login  go/read      go/read      go/read      go/read      go/read
directory_need_add                          login/login  no/no        no/no        no/no        ok/saved     ok/saved
directory_need_change                       login/login  ok/no        ok/no        ok/no        ok/saved     ok/saved
directory_need_changelist                   login/login  ok/no        ok/no        ok/no        ok/no        ok/saved
directory_need_delete                       login/login  no/no        no/no        no/no        no/no        ok/saved
directory_need_history                      login/login  ok/read      ok/read      ok/read      ok/read      ok/read
directory_need_object                       login/login  go/read      go/read      go/read      go/read      go/read
directory_needstep_add                      login/login  no/no        no/no        no/no        ok/saved     ok/saved
directory_needstep_change                   login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_needstep_changelist               login/login  ok/no        no/no        no/no        ok/no        ok/saved
directory_needstep_delete                   login/login  no/no        no/no        no/no        no/no        ok/saved
directory_needstep_history                  login/login  ok/read      no/no        no/no        ok/read      ok/read
directory_needstep_object                   login/login  go/read      go/read      go/read      go/read      go/read
directory_organisation_add                  login/login  no/no        no/no        no/no        ok/saved     ok/saved
directory_organisation_change               login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_organisation_changelist           login/login  ok/no        ok/no        ok/no        ok/no        ok/saved
directory_organisation_compare              login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_organisation_delete               login/login  no/no        no/no        no/no        no/no        ok/saved
directory_organisation_history              login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_organisation_object               login/login  go/read      go/read      go/read      go/read      go/read
directory_organisation_simple_history       login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_parenttopic_add                   login/login  no/no        no/no        no/no        ok/saved     ok/saved
directory_parenttopic_change                login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_parenttopic_changelist            login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_parenttopic_delete                login/login  no/no        no/no        no/no        no/no        ok/saved
directory_parenttopic_history               login/login  ok/read      no/no        no/no        ok/read      ok/read
directory_parenttopic_object                login/login  go/read      go/read      go/read      go/read      go/read
directory_pendingchange_add                 login/login  no/no        no/no        no/no        no/no        no/no
directory_pendingchange_change              login/login  ok/no        ok/no        no/no        ok/no        ok/no
directory_pendingchange_changelist          login/login  ok/no        ok/no        ok/no        ok/no        ok/saved
directory_pendingchange_delete              login/login  no/no        no/no        no/no        no/no        ok/saved
directory_pendingchange_history             login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_pendingchange_object              login/login  go/read      go/read      go/read      go/read      go/read
directory_referralroute_add                 login/login  no/no        no/no        no/no        no/no        no/no
directory_referralroute_change              login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_referralroute_changelist          login/login  ok/no        ok/no        ok/no        ok/no        ok/saved
directory_referralroute_compare             login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_referralroute_delete              login/login  no/no        no/no        no/no        no/no        ok/saved
directory_referralroute_history             login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_referralroute_object              login/login  go/read      go/read      go/read      go/read      go/read
directory_referralroute_simple_history      login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_searchsynonym_add                 login/login  no/no        no/no        no/no        ok/saved     ok/saved
directory_searchsynonym_change              login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_searchsynonym_changelist          login/login  ok/no        no/no        no/no        ok/no        ok/saved
directory_searchsynonym_delete              login/login  no/no        no/no        no/no        no/no        ok/saved
directory_searchsynonym_history             login/login  ok/read      no/no        no/no        ok/read      ok/read
directory_searchsynonym_object              login/login  go/read      go/read      go/read      go/read      go/read
directory_session_add                       login/login  no/no        ok/saved     ok/no        ok/saved     ok/saved
directory_session_change                    login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_session_changelist                login/login  ok/no        ok/no        ok/no        ok/no        ok/saved
directory_session_compare                   login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_session_delete                    login/login  no/no        no/no        no/no        no/no        ok/saved
directory_session_history                   login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_session_object                    login/login  go/read      go/read      go/read      go/read      go/read
directory_session_simple_history            login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_selfaudit_add                     login/login  no/no        no/no        no/no        no/no        no/no
directory_selfaudit_change                  login/login  ok/no        no/no        no/no        ok/no        ok/no
directory_selfaudit_changelist              login/login  ok/no        no/no        no/no        ok/no        ok/saved
directory_selfaudit_delete                  login/login  no/no        no/no        no/no        no/no        ok/saved
directory_selfaudit_history                 login/login  ok/read      no/no        no/no        ok/read      ok/read
directory_selfaudit_object                  login/login  go/read      go/read      go/read      go/read      go/read
directory_service_add                       login/login  no/no        ok/saved     ok/no        ok/saved     ok/saved
directory_service_change                    login/login  ok/no        ok/held      no/no        ok/saved     ok/saved
directory_service_change[archived]          login/login  ok/no        ok/saved     no/no        ok/saved     ok/saved
directory_service_change[capacity]          login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_service_change[capacity-change]   login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_service_change[draft]             login/login  ok/no        ok/saved     no/no        ok/saved     ok/saved
directory_service_change[nbn]               login/login  ok/no        ok/held      no/no        ok/saved     ok/saved
directory_service_changelist                login/login  ok/no        ok/no        ok/no        ok/saved     ok/saved
directory_service_compare                   login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_service_compare[archived]         login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_service_compare[draft]            login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_service_compare[nbn]              login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_service_delete                    login/login  no/no        no/no        no/no        no/no        ok/saved
directory_service_export                    login/login  ok/read      no/no        no/no        ok/read      ok/read
directory_service_history                   login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_service_history[archived]         login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_service_history[draft]            login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_service_history[nbn]              login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_service_import                    login/login  no/no        no/no        no/no        ok/read      ok/read
directory_service_import[routes]            login/login  no/no        no/no        no/no        ok/read      ok/read
directory_service_object                    login/login  go/read      go/read      go/read      go/read      go/read
directory_service_process_import            login/login  no/no        no/no        no/no        no/saved     no/saved
directory_service_process_import[routes]    login/login  no/no        no/no        no/no        no/saved     no/saved
directory_service_review_change             login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_service_simple_history            login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_service_simple_history[archived]  login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_service_simple_history[draft]     login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_service_simple_history[nbn]       login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_service_simple_history[restored]  login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_suggestion_add                    login/login  no/no        no/no        no/no        no/no        no/no
directory_suggestion_change                 login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_suggestion_changelist             login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_suggestion_delete                 login/login  no/no        no/no        no/no        no/no        ok/saved
directory_suggestion_history                login/login  ok/read      no/no        no/no        ok/read      ok/read
directory_suggestion_object                 login/login  go/read      go/read      go/read      go/read      go/read
directory_termdate_add                      login/login  no/no        no/no        no/no        ok/saved     ok/saved
directory_termdate_change                   login/login  ok/no        ok/no        ok/no        ok/saved     ok/saved
directory_termdate_changelist               login/login  ok/no        ok/no        ok/no        ok/no        ok/saved
directory_termdate_compare                  login/login  ok/read      ok/read      ok/read      ok/read      ok/read
directory_termdate_delete                   login/login  no/no        no/no        no/no        no/no        ok/saved
directory_termdate_history                  login/login  ok/read      ok/read      ok/read      ok/read      ok/read
directory_termdate_object                   login/login  go/read      go/read      go/read      go/read      go/read
directory_termdate_simple_history           login/login  ok/no        ok/no        ok/no        ok/saved     ok/saved
directory_urgenthelp_add                    login/login  no/no        no/no        no/no        ok/saved     ok/saved
directory_urgenthelp_change                 login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_urgenthelp_changelist             login/login  ok/no        no/no        no/no        ok/saved     ok/saved
directory_urgenthelp_delete                 login/login  no/no        no/no        no/no        no/no        ok/saved
directory_urgenthelp_history                login/login  ok/read      no/no        no/no        ok/read      ok/read
directory_urgenthelp_object                 login/login  go/read      go/read      go/read      go/read      go/read
directory_venue_add                         login/login  no/no        ok/saved     ok/saved     ok/saved     ok/saved
directory_venue_change                      login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_venue_change[draft]               login/login  ok/no        ok/saved     no/no        ok/saved     ok/saved
directory_venue_changelist                  login/login  ok/no        ok/no        ok/no        ok/no        ok/saved
directory_venue_compare                     login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_venue_compare[draft]              login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_venue_delete                      login/login  no/no        no/no        no/no        no/no        ok/saved
directory_venue_history                     login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_venue_history[draft]              login/login  ok/read      ok/read      no/no        ok/read      ok/read
directory_venue_object                      login/login  go/read      go/read      go/read      go/read      go/read
directory_venue_simple_history              login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
directory_venue_simple_history[draft]       login/login  ok/no        ok/no        no/no        ok/saved     ok/saved
enrolment-link                              login/login  no/no        no/no        no/no        ok/read      ok/read
import-job                                  login/login  no/no        no/no        no/no        ok/read      ok/read
import-job-status                           login/login  no/no        no/no        no/no        ok/read      ok/read
import-jobs                                 login/login  no/no        no/no        no/no        ok/read      ok/read
index                                       login/login  ok/read      ok/read      ok/read      ok/read      ok/read
jsi18n                                      login/login  ok/read      ok/read      ok/read      ok/read      ok/read
login                                       ok/read      go/read      go/read      go/read      go/read      go/read
logout                                      login/login  no/read      no/read      no/read      no/read      no/read
mapping_district_add                        login/login  no/no        no/no        no/no        no/no        no/no
mapping_district_change                     login/login  ok/no        ok/no        ok/no        ok/saved     ok/saved
mapping_district_changelist                 login/login  ok/no        ok/no        ok/no        ok/no        ok/no
mapping_district_delete                     login/login  no/no        no/no        no/no        no/no        no/no
mapping_district_history                    login/login  ok/read      ok/read      ok/read      ok/read      ok/read
mapping_district_object                     login/login  go/read      go/read      go/read      go/read      go/read
mapping_needsmodelsettings_add              login/login  no/no        no/no        no/no        no/no        no/no
mapping_needsmodelsettings_change           login/login  ok/no        no/no        no/no        ok/saved     ok/saved
mapping_needsmodelsettings_changelist       login/login  ok/no        no/no        no/no        ok/no        ok/no
mapping_needsmodelsettings_delete           login/login  no/no        no/no        no/no        no/no        no/no
mapping_needsmodelsettings_history          login/login  ok/read      no/no        no/no        ok/read      ok/read
mapping_needsmodelsettings_object           login/login  go/read      go/read      go/read      go/read      go/read
mapping_postcode_add                        login/login  no/no        no/no        no/no        ok/saved     ok/saved
mapping_postcode_change                     login/login  ok/no        no/no        no/no        ok/saved     ok/saved
mapping_postcode_changelist                 login/login  ok/no        no/no        no/no        ok/no        ok/saved
mapping_postcode_delete                     login/login  no/no        no/no        no/no        no/no        ok/saved
mapping_postcode_history                    login/login  ok/read      no/no        no/no        ok/read      ok/read
mapping_postcode_object                     login/login  go/read      go/read      go/read      go/read      go/read
mapping_ward_add                            login/login  no/no        no/no        no/no        no/no        no/no
mapping_ward_change                         login/login  ok/no        no/no        no/no        ok/saved     ok/saved
mapping_ward_changelist                     login/login  ok/no        no/no        no/no        ok/no        ok/saved
mapping_ward_delete                         login/login  no/no        no/no        no/no        no/no        ok/saved
mapping_ward_history                        login/login  ok/read      no/no        no/no        ok/read      ok/read
mapping_ward_object                         login/login  go/read      go/read      go/read      go/read      go/read
otp_totp_totpdevice_add                     login/login  no/no        no/no        no/no        no/no        ok/saved
otp_totp_totpdevice_change                  login/login  no/no        no/no        no/no        no/no        ok/saved
otp_totp_totpdevice_changelist              login/login  no/no        no/no        no/no        no/no        ok/saved
otp_totp_totpdevice_config                  login/login  no/no        no/no        no/no        no/no        ok/read
otp_totp_totpdevice_delete                  login/login  no/no        no/no        no/no        no/no        ok/saved
otp_totp_totpdevice_history                 login/login  no/no        no/no        no/no        no/no        ok/read
otp_totp_totpdevice_object                  login/login  go/read      go/read      go/read      go/read      go/read
otp_totp_totpdevice_qrcode                  login/login  no/no        no/no        no/no        no/no        ok/read
password_change                             login/login  ok/saved     ok/saved     ok/saved     ok/saved     ok/saved
password_change_done                        login/login  ok/read      ok/read      ok/read      ok/read      ok/read
search-report                               login/login  ok/read      no/no        no/no        ok/read      ok/read
search-report-csv                           login/login  ok/read      no/no        no/no        ok/read      ok/read
self-audit-compare                          login/login  ok/read      no/no        no/no        ok/read      ok/read
self-audit-history                          login/login  ok/read      no/no        no/no        ok/read      ok/read
self-audit-report                           login/login  ok/read      no/no        no/no        ok/read      ok/read
self-audit-report-csv                       login/login  ok/read      no/no        no/no        ok/read      ok/read
two-factor-enrol                            login/login  no/no        no/no        no/no        no/no        no/no
two-factor-setup                            login/login  ok/no        ok/no        ok/no        ok/no        ok/no
two-factor-verify                           login/login  ok/read      ok/read      ok/read      ok/read      ok/read
view_on_site                                login/login  go/read      go/read      go/read      go/read      go/read
"""


def parse_table(text):
    table = {}
    for line in text.strip().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        case, *cells = line.split()
        assert len(cells) == len(ROLES), f"table row {case!r} has {len(cells)} cells, not {len(ROLES)}"
        table[case] = {role: tuple(cell.split("/")) for role, cell in zip(ROLES, cells)}
    return table


TABLE = parse_table(TABLE_TEXT)
GET_OUTCOMES = {"ok", "go", "login", "no"}
POST_OUTCOMES = {"login", "no", "read", "saved", "held"}

MARKER = "PRIVATE-CURATOR-NOTE-matrix"
PASSWORD = "a-long-password-for-tests"  # tests/conftest.py gives every persona this password
NEW_PASSWORD = "another-long-password-for-the-matrix"


# --- The people and records every case uses ------------------------------------------------------

class World:
    """The personas, and the records the URLs are about (made when a case first asks for one)."""

    def __init__(self, django_user_model, viewer, omar, ellie):
        self.User = django_user_model
        self.viewer, self.omar, self.ellie = viewer, omar, ellie
        self.acacia_org = Organisation.objects.get(name="Acacia Family Support")
        self.nbn_org = Organisation.objects.get(name="New Baby Network")
        self.nina = django_user_model.objects.create_user("nina", "nina@example.org", PASSWORD, is_staff=True)
        self.nina.groups.add(Group.objects.get(name=ORGANISATION_EDITORS))
        self.nbn_org.editors.add(self.nina)
        self.sam = django_user_model.objects.create_superuser("sam", "sam@example.org", PASSWORD)
        # Curator notes in the records and in their history: organisation editors must never see them.
        for service in (self.published, self.published_nbn):
            service.curator_notes = MARKER
            service.save()

    def user(self, role, org):
        own, other = (self.nina, self.omar) if org == "nbn" else (self.omar, self.nina)
        return {"anonymous": None, "viewer": self.viewer, "own_editor": own, "other_editor": other,
                "imhsg_editor": self.ellie, "superuser": self.sam}[role]

    # Services
    @cached_property
    def published(self):
        return Service.objects.get(slug="acacia")

    @cached_property
    def published_nbn(self):
        return Service.objects.get(slug="new-baby-network")

    def _service(self, slug, status):
        service = Service.objects.create(
            organisation=self.acacia_org, name=f"Acacia {slug} (matrix)", slug=f"acacia-{slug}-matrix",
            status=Status.DRAFT if status == Status.DRAFT else Status.PUBLISHED,
            summary="Listening visits for new parents.", focus=Focus.ADDITIONAL,
            coverage_type=CoverageType.CITY_WIDE, no_referral_route_reason="Families ring the team.")
        service.levels.set([Level.objects.order_by("rank").first()])
        service.curator_notes = MARKER  # a second version, differing in the notes
        service.save()
        if status == Status.ARCHIVED:
            service.status = status
            service.save()
        return service

    @cached_property
    def archived(self):
        return self._service("archived", Status.ARCHIVED)

    @cached_property
    def draft(self):
        return self._service("draft", Status.DRAFT)

    @cached_property
    def restored(self):
        """Published, archived once and restored: its history has an archived version."""
        service = self._service("restored", Status.ARCHIVED)
        service.status = Status.PUBLISHED
        service.save()
        return service

    def version(self, obj, status=None, drift=False):
        """A history row of `obj` to open in the history form: its latest, or its latest with `status`.
        With `drift`, the record is then changed without a history row, so it differs from it."""
        rows = obj.history.order_by("-history_date", "-history_id")
        history_id = (rows.filter(status=status) if status else rows).first().history_id
        if drift:
            type(obj).objects.filter(pk=obj.pk).update(**{DRIFT_FIELD[type(obj)._meta.model_name]: DRIFTED})
        return history_id

    def versions(self, obj):
        """The first and the latest history rows of `obj` (a second is saved if it has only one):
        for services, they differ in the curator notes."""
        if obj.history.count() < 2:
            obj.save()
        rows = obj.history.order_by("history_date", "history_id")
        return rows.first().history_id, rows.last().history_id

    # Organisations, routes, venues
    @cached_property
    def spare_org(self):
        organisation = Organisation.objects.create(name="Matrix organisation", slug="matrix-organisation")
        organisation.editors.add(self.omar)
        return organisation

    @cached_property
    def route(self):
        return self.published.referral_routes.order_by("pk").first() or ReferralRoute.objects.create(
            service=self.published, referrer="self", how_to_refer="Ring the team.")

    def _venue(self, name, service):
        venue = Venue.objects.create(name=name, postcode="B4 6NH", address="1 Matrix Street")
        if service is not None:
            ServiceAtLocation.objects.create(service=service, venue=venue)
        return venue

    @cached_property
    def venue_published(self):
        return self._venue("Matrix venue of a published service", self.published)

    @cached_property
    def venue_draft(self):
        return self._venue("Matrix venue of a draft", self.draft)

    @cached_property
    def venue_spare(self):
        return self._venue("Matrix venue of no service", None)

    # Curation
    @cached_property
    def pending(self):
        """Omar's proposed change to Acacia's summary, made as he would make it."""
        client = Client()
        client.force_login(self.omar)
        url = reverse("admin:directory_service_change", args=[self.published.pk])
        body = main_form(client.get(url)).body("_save")
        body["summary"] = ["Acacia's summary, as Omar proposes it (matrix)."]
        client.post(url, body)
        return PendingChange.objects.get(service=self.published, submitted_by=self.omar)

    @cached_property
    def capacity(self):
        """Acacia's practitioner time in Yardley (issue 22)."""
        return ServiceCapacity.objects.create(service=self.published, district=District.objects.get(slug="yardley"),
                                              practitioner_wte=Decimal("1.00"))

    @cached_property
    def checkincontact(self):
        from directory.models import CheckInContact

        return CheckInContact.objects.create(service=self.published, name="Cleo Matrix", email="cleo@example.org")

    @cached_property
    def checkininvitation(self):
        from directory.checkins.tokens import create_invitation

        return create_invitation(service=self.published, name="Cleo Matrix", email="cleo@example.org")[0]

    @cached_property
    def suggestion(self):
        return Suggestion.objects.create(service=self.published, text="The phone number is wrong (matrix).")

    @cached_property
    def selfaudit(self):
        """Acacia's self-audit (issue 20): read-only in the admin, deleted by superusers only."""
        return SelfAudit.objects.create(service=self.published, answered_by="Pat (matrix)",
                                        answers={"cost": "paid"}, not_free=True)

    @cached_property
    def selfaudits(self):
        """Two self-audits of Acacia, to compare."""
        older = SelfAudit.objects.create(service=self.published, answered_by="Pat (matrix)", answers={"cost": "free"},
                                         submitted_at=self.selfaudit.submitted_at - timedelta(days=365))
        return older, self.selfaudit

    @cached_property
    def importjob(self):
        """A queued import job of Ellie's (issue 26)."""
        from directory.curation import jobs

        return jobs.job_create(user=self.ellie, kind=0, file_name="services.csv", content="slug\r\nacacia\r\n")

    @cached_property
    def searchrecords(self):
        """What people searched for (issue 22): a practitioners' search and a parents' list that found nothing."""
        from directory.models import SearchRecord
        from directory.search.record import PARENTS, PRACTITIONERS

        return [SearchRecord.objects.create(day=date.today(), audience=audience, query=query, filters=filters, results=0)
                for audience, query, filters in ((PRACTITIONERS, "matrix midwife", "district=ladywood"),
                                                 (PARENTS, "", "age=4 topic=feeling-low"))]

    @cached_property
    def fact(self):
        return Fact.objects.filter(service=self.published).order_by("pk").first()

    # What's on (issue 23)
    @cached_property
    def session(self):
        """A published session of Acacia (read-only to its organisation editor, as published)."""
        from datetime import time as clock

        from directory.models import Session

        return Session.objects.create(service=self.published, status=Status.PUBLISHED, title="Matrix stay and play",
                                      byday="TU", opens_at=clock(10), closes_at=clock(11))

    @cached_property
    def termdate(self):
        from directory.models import TermDate

        return TermDate.objects.create(name="Matrix term", first_day=date(2026, 9, 1), last_day=date(2026, 10, 23),
                                       source="Test (example.org)")

    @cached_property
    def knowledgeevent(self):
        from datetime import datetime, timedelta
        from datetime import timezone as dt_timezone

        from directory.models import KnowledgeEvent

        start = datetime(2026, 12, 10, 12, 30, tzinfo=dt_timezone.utc)
        return KnowledgeEvent.objects.create(title="Matrix lunch bite", slug="matrix-lunch-bite",
                                             status=Status.PUBLISHED, starts_at=start,
                                             ends_at=start + timedelta(minutes=45))

    # Words, places, settings
    def first(self, model):
        """The model's first row, the same one for the whole test (not the next after a delete)."""
        firsts = self.__dict__.setdefault("_firsts", {})
        if model not in firsts:
            firsts[model] = model.objects.order_by("pk").first()
        return firsts[model]

    @cached_property
    def needstep(self):
        return self.first(NeedStep) or NeedStep.objects.create(
            lower=Need.objects.order_by("pk")[0], higher=Need.objects.order_by("pk")[1])

    @cached_property
    def searchsynonym(self):
        return self.first(SearchSynonym) or SearchSynonym.objects.create(terms="pnd, postnatal depression")

    @cached_property
    def parenttopic(self):
        return self.first(ParentTopic) or ParentTopic.objects.create(name="Matrix topic", slug="matrix-topic")

    @cached_property
    def urgenthelp(self):
        return self.first(UrgentHelp) or UrgentHelp.objects.create(
            name="Matrix line", description="When you need to talk (matrix).", url="https://example.org/")

    # People, sign-in records, devices
    @cached_property
    def uma(self):
        """A member of staff with no role, whose account the people pages are about."""
        return self.User.objects.create_user("uma", "uma@example.org", PASSWORD, is_staff=True)

    @cached_property
    def group(self):
        return Group.objects.create(name="Matrix group")

    @cached_property
    def device(self):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        return TOTPDevice.objects.create(user=self.uma, name="Uma's phone", confirmed=True)

    def _access(self, model, **extra):
        return model.objects.create(user_agent="matrix", ip_address="192.0.2.1", username="uma", http_accept="*/*",
                                    path_info="/admin/login/", **extra)

    @cached_property
    def accessattempt(self):
        from axes.models import AccessAttempt

        return self._access(AccessAttempt, get_data="", post_data="", failures_since_start=1)

    @cached_property
    def accesslog(self):
        from axes.models import AccessLog

        return self._access(AccessLog)

    @cached_property
    def accessfailurelog(self):
        from axes.models import AccessFailureLog

        return self._access(AccessFailureLog)


# --- Forms as a browser sends them --------------------------------------------------------------

class Form:
    def __init__(self, attrs):
        self.method = (attrs.get("method") or "get").lower()
        self.action = attrs.get("action") or ""
        self.id = attrs.get("id") or ""
        self.fields = []  # (name, value), in page order
        self.submits = []  # (name, value) of the named submit buttons

    def names(self):
        return {name for name, _ in self.fields} | {name for name, _ in self.submits}

    def body(self, submit=None):
        data = {}
        for name, value in self.fields:
            data.setdefault(name, []).append(value)
        for name, value in self.submits:
            if name == submit:
                data[name] = [value]
        return data


class FormParser(HTMLParser):
    """Every form's successful controls: inputs, checked boxes, selected options, textareas."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.form = [], None
        self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.form = Form(attrs)
            self.forms.append(self.form)
            return
        if self.form is None or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "image", "button"):
                self.form.submits.append((name, attrs.get("value") or ""))
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.form.fields.append((name, attrs.get("value", "on")))
            elif kind != "file":
                self.form.fields.append((name, attrs.get("value") or ""))
        elif tag == "button" and name and (attrs.get("type") or "submit").lower() == "submit":
            self.form.submits.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self.select = {"name": name, "multiple": "multiple" in attrs, "options": [], "chosen": []}
        elif tag == "option" and self.select is not None:
            value = attrs.get("value")
            self.select["options"].append(value)
            if "selected" in attrs:
                self.select["chosen"].append(value)
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data
        elif self.select is not None and self.select["options"] and self.select["options"][-1] is None:
            self.select["options"][-1] = data.strip()  # an option without a value sends its text

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select" and self.select is not None:
            chosen = self.select["chosen"] or ([] if self.select["multiple"] else self.select["options"][:1])
            for value in chosen:
                self.form.fields.append((self.select["name"], value or ""))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, text = self.textarea
            self.form.fields.append((name, text[1:] if text.startswith("\n") else text))
            self.textarea = None


def forms_in(response):
    if response is None or getattr(response, "status_code", 0) != 200 or "html" not in response.get("Content-Type", ""):
        return []
    parser = FormParser()
    parser.feed(response.content.decode())
    return [form for form in parser.forms if form.method == "post" and not form.action.endswith("/logout/")]


def main_form(response, action=None):
    """The page's form that a person would submit (not the header's sign-out form)."""
    forms = forms_in(response)
    if action:
        forms = [form for form in forms if form.action.endswith(action)]
    return max(forms, key=lambda form: len(form.fields), default=None)


# --- The cases: one per admin URL pattern, more where the record matters -----------------------

@dataclass
class Case:
    id: str
    pattern: str  # the URL name, or the route of an unnamed pattern
    url: Callable  # world -> the address
    target: Callable = None  # (world, user) -> the record a write would change
    org: str = "acacia"  # whose record it is: "acacia" or "nbn" (which editor is own_editor)
    model: type = None  # whose rows are counted
    changes: Callable = None  # (world, user, body) -> {name: value}: the edit made to the form
    needs: str = None  # a name the role's own form must have to be used as the body
    submit: str = "_save"
    form_url: Callable = None  # world -> the page the body is read from (default: the URL itself)
    form_action: str = None  # the form whose action ends so
    fresh_form: Callable = None  # (world, client of a superuser) -> body, made again for each role
    own_form: bool = True  # use the role's own page when it has the form
    saved: Callable = None  # (world, user, before, after) -> what is wrong, or "" when the write happened
    prepare: Callable = None  # world -> None, before any role


def admin(name, *args):
    return reverse(f"admin:{name}", args=[quote(a) if isinstance(a, str) else a for a in args])


def field_values(obj, names):
    values = {}
    for name in names:
        model_field = obj._meta.get_field(name)
        if model_field.many_to_many:
            values[name] = sorted(str(pk) for pk in getattr(obj, name).values_list("pk", flat=True))
        else:
            value = getattr(obj, model_field.attname)
            values[name] = "" if value is None else str(value)
    return values


def saved_fields(world, user, case, body_changes):
    """The edited fields of the case's record have the values the form sent."""
    obj = case.target(world, user)
    obj = type(obj)._base_manager.filter(pk=obj.pk).first()
    if obj is None:
        return "the record is gone"
    wanted = {name: value for name, value in body_changes.items() if hasattr_field(obj, name)}
    got = field_values(obj, wanted)
    wrong = {name: got[name] for name, value in wanted.items()
             if got[name] != (sorted(value) if isinstance(value, list) else str(value))}
    return f"the record still has {wrong}" if wrong else ""


def hasattr_field(obj, name):
    from django.core.exceptions import FieldDoesNotExist

    try:
        obj._meta.get_field(name)
        return True
    except FieldDoesNotExist:
        return False


def renamed(value):
    return f"{value} (matrix)"


def text_change(name):
    """Change one text field: the usual edit."""
    def changes(world, user, body):
        return {name: renamed((body.get(name) or [""])[0] or "x")}
    return changes


def service_change(world, user, body):
    """A new name and one more level of need (a many-to-many field, saved apart from the record)."""
    levels = set(body.get("levels", []))
    extra = next(str(pk) for pk in Level.objects.order_by("rank").values_list("pk", flat=True) if str(pk) not in levels)
    return {"name": renamed((body.get("name") or ["x"])[0]), "levels": sorted(levels | {extra})}


@dataclass
class ModelSpec:
    """How the standard admin URLs of one model are exercised."""

    label: str  # app_label.model_name
    target: Callable  # world -> record
    edit: Callable  # changes() for the change form
    needs: str  # the field the edit changes
    org: str = "acacia"
    delete_target: Callable = None
    action: str = "delete_selected"  # the changelist action tried
    unique: tuple = ()  # fields made new in the add form's body (read from the change form)


MODELS = [
    ModelSpec("directory.service", lambda w: w.published, service_change, "name", action="archive",
              unique=("name", "slug")),
    ModelSpec("directory.organisation", lambda w: w.acacia_org, text_change("name"), "name",
              delete_target=lambda w: w.spare_org, unique=("name", "slug")),
    ModelSpec("directory.venue", lambda w: w.venue_published, text_change("name"), "name",
              delete_target=lambda w: w.venue_spare, unique=("name",)),
    ModelSpec("directory.referralroute", lambda w: w.route, text_change("how_to_refer"), "how_to_refer"),
    ModelSpec("directory.need", lambda w: w.first(Need), text_change("name"), "name", unique=("name", "code")),
    ModelSpec("directory.intervention", lambda w: w.first(Intervention), text_change("name"), "name",
              unique=("name", "code")),
    ModelSpec("directory.deliverymode", lambda w: w.first(DeliveryMode), text_change("name"), "name",
              unique=("name", "code")),
    ModelSpec("directory.language", lambda w: w.first(Language), text_change("name"), "name", unique=("name", "code")),
    ModelSpec("directory.level", lambda w: w.first(Level), text_change("description"), "description"),
    ModelSpec("directory.needstep", lambda w: w.needstep, lambda w, u, b: {"higher": str(next(
        pk for pk in Need.objects.order_by("pk").values_list("pk", flat=True)
        if pk not in (w.needstep.lower_id, w.needstep.higher_id)
        and not NeedStep.objects.filter(lower=w.needstep.lower_id, higher=pk).exists()))}, "higher"),
    ModelSpec("directory.searchsynonym", lambda w: w.searchsynonym, text_change("note"), "note",
              unique=("terms",)),
    ModelSpec("directory.parenttopic", lambda w: w.parenttopic, text_change("intro"), "intro",
              action="list_editable", unique=("name", "slug")),
    ModelSpec("directory.urgenthelp", lambda w: w.urgenthelp, text_change("description"), "description",
              action="list_editable", unique=("name",)),
    ModelSpec("directory.pendingchange", lambda w: w.pending, text_change("reason"), "reason"),
    ModelSpec("directory.suggestion", lambda w: w.suggestion, text_change("curator_reason"), "curator_reason",
              action="accept"),
    ModelSpec("directory.fact", lambda w: w.fact, text_change("note"), "note", action="confirm"),
    ModelSpec("directory.checkincontact", lambda w: w.checkincontact, text_change("name"), "name"),
    ModelSpec("directory.checkininvitation", lambda w: w.checkininvitation, text_change("name"), "name",
              action="revoke"),
    ModelSpec("directory.selfaudit", lambda w: w.selfaudit, text_change("answered_by"), "answered_by"),
    ModelSpec("directory.session", lambda w: w.session, text_change("title"), "title"),
    ModelSpec("directory.termdate", lambda w: w.termdate, text_change("name"), "name"),
    ModelSpec("directory.knowledgeevent", lambda w: w.knowledgeevent, text_change("title"), "title",
              unique=("slug",)),
    ModelSpec("mapping.district", lambda w: w.first(District), text_change("name"), "name",
              unique=("name", "slug", "code")),
    ModelSpec("mapping.ward", lambda w: w.first(Ward), text_change("name"), "name", unique=("code",)),
    ModelSpec("mapping.postcode", lambda w: w.first(Postcode), lambda w, u, b: {"lat": "52.4812"}, "lat",
              unique=("postcode",)),
    ModelSpec("mapping.needsmodelsettings", lambda w: w.first(NeedsModelSettings), text_change("caseload_source"),
              "caseload_source"),
    ModelSpec("auth.user", lambda w: w.uma, text_change("first_name"), "first_name", unique=("username",)),
    ModelSpec("auth.group", lambda w: w.group, text_change("name"), "name", unique=("name",)),
    ModelSpec("axes.accessattempt", lambda w: w.accessattempt, lambda w, u, b: {}, None),
    ModelSpec("axes.accesslog", lambda w: w.accesslog, lambda w, u, b: {}, None),
    ModelSpec("axes.accessfailurelog", lambda w: w.accessfailurelog, lambda w, u, b: {}, None),
    ModelSpec("otp_totp.totpdevice", lambda w: w.device, text_change("name"), "name"),
]

HISTORY_MODELS = {"directory.service", "directory.organisation", "directory.venue", "directory.referralroute",
                  "directory.session", "directory.termdate", "directory.knowledgeevent"}


def model_of(label):
    from django.apps import apps

    return apps.get_model(label)


def gone(world, user, before, after):
    return "" if after["record"] is None else "the record is still there"


def logged(world, user, before, after):
    """A save with no editable field: the admin records it in its log."""
    return "" if after["counts"]["admin.LogEntry"] == before["counts"]["admin.LogEntry"] + 1 else "nothing was logged"


def standard_cases(spec):
    app, model_name = spec.label.split(".")
    prefix = f"{app}_{model_name}"
    target = spec.target
    model = model_of(spec.label)
    cases = []

    def one(case_id, pattern, url, **kwargs):
        kwargs.setdefault("target", lambda w, u, t=target: t(w))
        kwargs.setdefault("model", model)
        kwargs.setdefault("org", spec.org)
        cases.append(Case(case_id, pattern, url, **kwargs))

    variants = [("", target, spec.org)]
    if spec.label == "directory.service":
        variants += [("[nbn]", lambda w: w.published_nbn, "nbn"), ("[archived]", lambda w: w.archived, "acacia"),
                     ("[draft]", lambda w: w.draft, "acacia")]
    if spec.label == "directory.venue":
        variants += [("[draft]", lambda w: w.venue_draft, "acacia")]
    history_variants = variants + ([("[restored]", lambda w: w.restored, "acacia")]
                                   if spec.label == "directory.service" else [])

    changelist_target = spec.delete_target if spec.delete_target and spec.action == "delete_selected" else target
    one(f"{prefix}_changelist", f"{prefix}_changelist", lambda w: admin(f"{prefix}_changelist"),
        target=lambda w, u: changelist_target(w),
        changes=changelist_changes(spec), needs="action" if spec.action != "list_editable" else "form-TOTAL_FORMS",
        submit="_save" if spec.action == "list_editable" else "index", saved=action_saved(spec))
    # The add form is filled in with an existing record's values, made new where they must be unique.
    one(f"{prefix}_add", f"{prefix}_add", lambda w: admin(f"{prefix}_add"), own_form=False,
        form_url=lambda w: admin(f"{prefix}_change", target(w).pk), changes=add_changes(spec),
        target=lambda w, u: None, saved=added(spec))
    for suffix, variant_target, org in history_variants:
        def get(w, t=variant_target):
            return t(w)
        if (suffix, variant_target, org) in variants:
            one(f"{prefix}_change{suffix}", f"{prefix}_change", lambda w, t=get: admin(f"{prefix}_change", t(w).pk),
                target=lambda w, u, t=get: t(w), org=org, changes=spec.edit, needs=spec.needs,
                saved=None if spec.needs else logged)
            one(f"{prefix}_history{suffix}", f"{prefix}_history",
                lambda w, t=get: admin(f"{prefix}_history", t(w).pk), target=lambda w, u, t=get: t(w), org=org,
                own_form=False)
        if spec.label in HISTORY_MODELS:
            # An archived service's published version (posting it back re-publishes); a restored
            # service's archived version (posting it back archives); else the latest version.
            # Otherwise the latest version, after the record has drifted from it (a write that
            # leaves no history), so that a revert really writes. A revert restores the version
            # as it was, whatever the form says (docs/adr/0014).
            version_status = {"[archived]": Status.PUBLISHED, "[restored]": Status.ARCHIVED}.get(suffix)
            one(f"{prefix}_simple_history{suffix}", f"{prefix}_simple_history",
                lambda w, t=get, s=version_status: admin(f"{prefix}_simple_history", t(w).pk,
                                                         w.version(t(w), s, drift=s is None)),
                target=lambda w, u, t=get: t(w), org=org, changes=spec.edit, needs=spec.needs,
                saved=lambda w, u, b, a, t=get: reverted(t(w)))
            if (suffix, variant_target, org) in variants:
                one(f"{prefix}_compare{suffix}", f"{prefix}_compare",
                    lambda w, t=get: admin(f"{prefix}_compare", t(w).pk) + "?older={}&newer={}".format(
                        *w.versions(t(w))),
                    target=lambda w, u, t=get: t(w), org=org, own_form=False)
    delete_target = spec.delete_target or target
    # The spare venue (deleted rather than one in use) belongs to no organisation.
    one(f"{prefix}_delete", f"{prefix}_delete", lambda w: admin(f"{prefix}_delete", delete_target(w).pk),
        target=lambda w, u: delete_target(w), org=None if spec.label == "directory.venue" else spec.org,
        needs="post", submit=None, saved=gone)
    one(f"{prefix}_object", f"admin/{app}/{model_name}/<path:object_id>/",
        lambda w: f"/admin/{app}/{model_name}/{quote(str(target(w).pk))}/", own_form=False)
    return cases


def changelist_changes(spec):
    def changes(world, user, body):
        record = (spec.delete_target or spec.target)(world) if spec.action == "delete_selected" else spec.target(world)
        if spec.action == "list_editable":
            index = next(key.split("-")[1] for key, values in body.items()
                         if re.fullmatch(r"form-\d+-id", key) and values == [str(record.pk)])
            return {f"form-{index}-order": str(record.order + 7)}
        extra = {"post": "yes"} if spec.action == "delete_selected" else {}
        if spec.action == "accept":
            extra = {"apply": "1", "reason": "Changed the phone number (matrix)."}
        return {"action": spec.action, "_selected_action": [str(record.pk)], "select_across": "0", **extra}
    return changes


def action_saved(spec):
    def check(world, user, before, after):
        target = (spec.delete_target or spec.target)(world) if spec.action == "delete_selected" else spec.target(world)
        record = type(target)._base_manager.filter(pk=target.pk).first()
        if spec.action == "delete_selected":
            return "" if record is None else "the record is still there"
        if record is None:
            return "the record is gone"
        if spec.action == "archive":
            return "" if record.status == Status.ARCHIVED else f"the status is {record.status}"
        if spec.action == "confirm":
            return "" if record.confirmed_on else "the fact is not confirmed"
        if spec.action == "accept":
            return "" if record.status == "accepted" else f"the suggestion is {record.status}"
        if spec.action == "revoke":
            return "" if record.revoked_at else "the link was not revoked"
        if spec.action == "list_editable":
            return "" if record.order == spec.target(world).order + 7 else f"the order is {record.order}"
        return f"no check for {spec.action}"
    return check


def add_changes(spec):
    def changes(world, user, body):
        new = {name: renamed((body.get(name) or ["x"])[0]) for name in spec.unique}
        new.update(spec.edit(world, user, body))
        for name in ("slug", "code"):
            if name in new:
                new[name] = re.sub(r"[^a-z0-9-]+", "-", new[name].lower()).strip("-")
        if spec.label == "directory.service":
            new["status"] = Status.DRAFT
        if spec.label == "mapping.postcode":
            new["postcode"] = "B1 1ZZ"
        if spec.label == "mapping.ward":
            new["code"] = "E05999999"
        if spec.label == "mapping.district":
            new["code"] = "E08999999"
        if spec.label == "directory.searchsynonym":
            new["terms"] = "matrixone, matrixtwo"
        if spec.label == "directory.checkincontact":
            new["service"] = str(world.published_nbn.pk)  # one contact per service: one that has none
        if spec.label == "otp_totp.totpdevice":
            new["user"] = str(world.uma.pk)
        if spec.label == "auth.user":
            new.update(username="ulla", password1=NEW_PASSWORD, password2=NEW_PASSWORD, usable_password="true")
        # Without the record's inline rows: they belong to the record the form was read from.
        for key in body:
            if key.endswith("-TOTAL_FORMS") or key.endswith("-INITIAL_FORMS"):
                new[key] = "0"
        return new
    return changes


def added(spec):
    model = model_of(spec.label)

    def check(world, user, before, after):
        if after["counts"][model._meta.label] != before["counts"][model._meta.label] + 1:
            return "no new record"
        return ""
    return check


# The field each history-tracked model drifts on before a revert, and what it drifts to.
DRIFT_FIELD = {"service": "name", "organisation": "name", "referralroute": "how_to_refer", "venue": "name",
               "session": "title", "termdate": "name", "knowledgeevent": "title"}
DRIFTED = "Drifted since the version (matrix)"


def reverted(obj):
    """A revert of `obj` happened: its latest history row says so, and no field has the drifted value."""
    obj = type(obj)._base_manager.get(pk=obj.pk)
    latest = obj.history.order_by("-history_date", "-history_id").first()
    if not (latest.history_change_reason or "").startswith("Reverted"):
        return f"the latest history row is {latest.history_change_reason!r}, not a revert"
    field = DRIFT_FIELD[obj._meta.model_name]
    return f"{field} is still {DRIFTED!r}" if getattr(obj, field) == DRIFTED else ""


def review_saved(world, user, before, after):
    world.pending.refresh_from_db()
    service = Service.objects.get(pk=world.published.pk)
    if world.pending.status != "approved":
        return f"the proposed change is {world.pending.status}"
    return "" if service.summary.endswith("(matrix).") else "the summary was not changed"


def password_saved(world, user, before, after, whose=None):
    person = world.User.objects.get(pk=(whose(world) if whose else user).pk)
    return "" if person.check_password(NEW_PASSWORD) else "the password did not change"


def import_csv(world):
    return f"slug,name\r\nacacia,{renamed(world.published.name)}\r\n".encode()


def import_body(world, superuser_client, action="import/"):
    return {"format": "0", "resource": "0",
            "import_file": SimpleUploadedFile("services.csv", import_csv(world), content_type="text/csv")}


def confirm_body(world, superuser_client):
    """The confirm form of a dry run made by a superuser (its file is read once, so one per role)."""
    preview = superuser_client.post(admin("directory_service_import"), import_body(world, superuser_client))
    form = main_form(preview, action="process_import/")
    assert form is not None, "the superuser's dry run shows no confirm form"
    return form.body()


def routes_csv(world):
    """The published service's first route with a new waiting time, as the routes CSV says it (issue 20)."""
    route = world.route
    return (f"id,service,referrer,waiting_time\r\n{route.pk},{world.published.slug},{route.referrer},"
            f"{renamed(route.waiting_time)}\r\n").encode()


def routes_import_body(world, superuser_client):
    return {"format": "0", "resource": "1",
            "import_file": SimpleUploadedFile("routes.csv", routes_csv(world), content_type="text/csv")}


def routes_confirm_body(world, superuser_client):
    preview = superuser_client.post(admin("directory_service_import"), routes_import_body(world, superuser_client))
    form = main_form(preview, action="process_import/")
    assert form is not None, "the superuser's dry run of routes shows no confirm form"
    return form.body()


def route_renamed(world, user, before, after):
    route = ReferralRoute.objects.get(pk=world.route.pk)
    return "" if route.waiting_time.endswith("(matrix)") else "the route's waiting time was not changed"


def renamed_acacia(world, user, before, after):
    return "" if Service.objects.get(pk=world.published.pk).name == renamed(world.published.name) else \
        "the service was not renamed"


def device_token(world, user, confirmed):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=confirmed).first() if user else None
    if device is None:
        return "000000"
    return str(totp(device.bin_key, device.step, device.t0, device.digits, device.drift)).zfill(device.digits)


def enrolled(world, user, before, after):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return "" if TOTPDevice.objects.filter(user=user, confirmed=True).exists() else "no confirmed device"


def give_devices(world):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for person in (world.viewer, world.omar, world.nina, world.ellie, world.sam):
        TOTPDevice.objects.create(user=person, name="Phone", confirmed=True)


def autocomplete(model_name, field_name):
    query = f"?app_label=directory&model_name={model_name}&field_name={field_name}&term="
    return lambda w: admin("autocomplete") + query


def capacity_added(world, user, body):
    """One more capacity row on the service's form: Ladywood, 0.8 practitioner time."""
    index = int((body.get("capacities-TOTAL_FORMS") or ["0"])[0])
    return {"capacities-TOTAL_FORMS": str(index + 1), f"capacities-{index}-district": str(
        District.objects.get(slug="ladywood").pk), f"capacities-{index}-practitioner_wte": "0.8"}


def capacity_changed(world, user, body):
    """Acacia's Yardley row, from 1.0 to 2.5 practitioner time."""
    index = next(key.split("-")[1] for key, values in body.items()
                 if re.fullmatch(r"capacities-\d+-id", key) and values == [str(world.capacity.pk)])
    return {f"capacities-{index}-practitioner_wte": "2.50"}


def capacity_saved(district_slug, wte):
    def check(world, user, before, after):
        row = ServiceCapacity.objects.filter(service=world.published, district__slug=district_slug).first()
        if row is None or row.practitioner_wte != Decimal(wte):
            return f"{district_slug} has {row.practitioner_wte if row else 'no row'}, not {wte}"
        fact = Fact.objects.filter(service=world.published, field="capacity").first()
        if fact is None or fact.kind != "curator" or fact.confirmed_by_id != user.pk:
            return "the capacity fact does not name the curator who saved it"
        return ""
    return check


def special_cases():
    service = lambda w, u: w.published  # noqa: E731
    return [
        # Capacity per district, an inline of the service's page (issue 22): added, and changed.
        Case("directory_service_change[capacity]", "directory_service_change",
             lambda w: admin("directory_service_change", w.published.pk), target=service, model=ServiceCapacity,
             changes=capacity_added, needs="name", saved=capacity_saved("ladywood", "0.80")),
        Case("directory_service_change[capacity-change]", "directory_service_change",
             lambda w: admin("directory_service_change", w.published.pk), target=service, model=ServiceCapacity,
             changes=capacity_changed, needs="capacities-0-practitioner_wte", prepare=lambda w: w.capacity,
             saved=capacity_saved("yardley", "2.50")),
        Case("index", "index", lambda w: admin("index"), own_form=False),
        *[Case(f"app_list[{app}]", "app_list", lambda w, a=app: reverse("admin:app_list", args=[a]), own_form=False)
          for app in ("auth", "axes", "otp_totp", "directory", "mapping")],
        Case("login", "login", lambda w: admin("login"), form_url=lambda w: admin("login"),
             changes=lambda w, u, b: {"username": u.username if u else "vic", "password": PASSWORD}, submit=None),
        Case("logout", "logout", lambda w: admin("logout"), own_form=False, submit=None),
        Case("password_change", "password_change", lambda w: admin("password_change"), target=lambda w, u: u,
             changes=lambda w, u, b: {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                                      "new_password2": NEW_PASSWORD},
             needs="old_password", saved=password_saved),
        Case("password_change_done", "password_change_done", lambda w: admin("password_change_done"), own_form=False),
        Case("jsi18n", "jsi18n", lambda w: admin("jsi18n"), own_form=False),
        Case("catch_all", "admin/(?P<url>.*)$", lambda w: "/admin/no-such-page/", own_form=False),
        Case("view_on_site", "view_on_site", lambda w: admin(
            "view_on_site", str(ContentType.objects.get_for_model(Service).pk), str(w.published.pk)), own_form=False),
        *[Case(f"autocomplete[{name}]", "autocomplete", autocomplete(model_name, name), own_form=False)
          for model_name, name in (("service", "owner"), ("service", "organisation"), ("service", "needs"),
                                   ("serviceatlocation", "venue"))],
        Case("curation-dashboard", "curation-dashboard", lambda w: reverse("curation-dashboard"), own_form=False),
        # The self-audit report (issue 20): IMHSG editors and viewers read it; organisation editors never.
        Case("self-audit-report", "self-audit-report", lambda w: reverse("self-audit-report") + "?barrier=not_free",
             own_form=False, prepare=lambda w: w.selfaudits),
        Case("self-audit-report-csv", "self-audit-report-csv", lambda w: reverse("self-audit-report-csv"),
             own_form=False, prepare=lambda w: w.selfaudits),
        Case("self-audit-history", "self-audit-history",
             lambda w: reverse("self-audit-history", args=[w.published.pk]), own_form=False,
             prepare=lambda w: w.selfaudits),
        Case("self-audit-compare", "self-audit-compare",
             lambda w: reverse("self-audit-compare", args=[w.published.pk]) + "?earlier={}&later={}".format(
                 *(audit.pk for audit in w.selfaudits)), own_form=False),
        # What people searched for (issue 22): IMHSG editors and viewers read it; organisation editors never.
        Case("search-report", "search-report", lambda w: reverse("search-report") + "?results=none&days=90",
             own_form=False, prepare=lambda w: w.searchrecords),
        Case("search-report-csv", "search-report-csv", lambda w: reverse("search-report-csv") + "?audience=parents",
             own_form=False, prepare=lambda w: w.searchrecords),
        # Import jobs (issue 26): whoever may import reads every job; nobody else any.
        Case("import-jobs", "import-jobs", lambda w: reverse("import-jobs"), own_form=False,
             prepare=lambda w: w.importjob),
        Case("import-job", "import-job", lambda w: reverse("import-job", args=[w.importjob.pk]), own_form=False),
        Case("import-job-status", "import-job-status", lambda w: reverse("import-job-status", args=[w.importjob.pk]),
             own_form=False),
        # Everyone's own name and e-mail; an IMHSG editor's of another curator, never a superuser's.
        Case("curator-details", "curator-details", lambda w: reverse("curator-details"), target=lambda w, u: u,
             model=world_user_model(), needs="email", submit=None),
        Case("curator-details-of", "curator-details-of", lambda w: reverse("curator-details-of", args=[w.ellie.pk]),
             target=lambda w, u: w.ellie, model=world_user_model(), submit=None, own_form=False),
        Case("curator-details-of[superuser]", "curator-details-of",
             lambda w: reverse("curator-details-of", args=[w.sam.pk]), target=lambda w, u: w.sam,
             model=world_user_model(), submit=None, own_form=False),
        Case("enrolment-link", "enrolment-link", lambda w: reverse("enrolment-link"), own_form=False, submit=None),
        Case("two-factor-enrol", "two-factor-enrol", lambda w: reverse("two-factor-enrol", args=["not-a-link"]),
             own_form=False, submit=None),
        Case("two-factor-setup", "two-factor-setup", lambda w: reverse("two-factor-setup"), submit=None,
             changes=lambda w, u, b: {"code": device_token(w, u, confirmed=False)}, needs="code", saved=enrolled),
        Case("two-factor-verify", "two-factor-verify", lambda w: reverse("two-factor-verify"), submit=None,
             changes=lambda w, u, b: {"code": device_token(w, u, confirmed=True)}, needs="code",
             prepare=give_devices),
        Case("directory_service_review_change", "directory_service_review_change",
             lambda w: admin("directory_service_review_change", w.published.pk, w.pending.pk), target=service,
             model=Service, needs="_approve", submit="_approve", saved=review_saved),
        Case("directory_service_import", "directory_service_import", lambda w: admin("directory_service_import"),
             target=service, model=Service, own_form=False, fresh_form=import_body, submit=None),
        Case("directory_service_process_import", "directory_service_process_import",
             lambda w: admin("directory_service_process_import"), target=service, model=Service, own_form=False,
             fresh_form=confirm_body, submit=None, saved=renamed_acacia),
        # Referral routes through the same import (issue 20): the record is the route.
        Case("directory_service_import[routes]", "directory_service_import", lambda w: admin("directory_service_import"),
             target=lambda w, u: w.route, model=ReferralRoute, own_form=False, fresh_form=routes_import_body,
             submit=None),
        Case("directory_service_process_import[routes]", "directory_service_process_import",
             lambda w: admin("directory_service_process_import"), target=lambda w, u: w.route, model=ReferralRoute,
             own_form=False, fresh_form=routes_confirm_body, submit=None, saved=route_renamed),
        Case("directory_service_export", "directory_service_export", lambda w: admin("directory_service_export"),
             target=service, model=Service, submit=None),
        Case("auth_user_password_change", "auth_user_password_change",
             lambda w: admin("auth_user_password_change", w.uma.pk), target=lambda w, u: w.uma,
             model=world_user_model(), needs="password1",
             changes=lambda w, u, b: {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
             submit=None, saved=lambda w, u, b, a: password_saved(w, u, b, a, whose=lambda w: w.uma)),
        Case("otp_totp_totpdevice_config", "otp_totp_totpdevice_config",
             lambda w: admin("otp_totp_totpdevice_config", w.device.pk), own_form=False),
        Case("otp_totp_totpdevice_qrcode", "otp_totp_totpdevice_qrcode",
             lambda w: admin("otp_totp_totpdevice_qrcode", w.device.pk), own_form=False),
    ]


def world_user_model():
    from django.contrib.auth import get_user_model

    return get_user_model()


def all_cases():
    cases = [case for spec in MODELS for case in standard_cases(spec)] + special_cases()
    by_id = {}
    for case in cases:
        assert case.id not in by_id, f"two cases are called {case.id}"
        by_id[case.id] = case
    return by_id


CASES = all_cases()


# --- What the URLconf has -----------------------------------------------------------------------

def admin_patterns():
    """Every URL pattern under /admin/: its name, or its route when it has none."""
    found = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("admin/"):
                found.add(pattern.name or route)

    walk(get_resolver().url_patterns, "")
    return found


def test_every_admin_url_is_in_the_table():
    patterns = admin_patterns()
    covered = {case.pattern for case in CASES.values()}
    missing = sorted(patterns - covered)
    assert not missing, ("These admin URL patterns have no case in tests/directory/curation/test_admin_permissions.py; "
                         "add a case and a row of the table for each: " + ", ".join(missing))
    stale = sorted(covered - patterns)
    assert not stale, "These cases name URL patterns that no longer exist: " + ", ".join(stale)
    assert not sorted(set(CASES) - set(TABLE)), "Cases with no row in the table: " + ", ".join(
        sorted(set(CASES) - set(TABLE)))
    assert not sorted(set(TABLE) - set(CASES)), "Rows of the table with no case: " + ", ".join(
        sorted(set(TABLE) - set(CASES)))
    bad = [(case, role, cell) for case, row in TABLE.items() for role, cell in row.items()
           if len(cell) != 2 or cell[0] not in GET_OUTCOMES or cell[1] not in POST_OUTCOMES]
    assert not bad, f"Cells that are not GET/POST outcomes: {bad}"


# --- Running one case -------------------------------------------------------------------------

COUNTED = [PendingChange, LogEntry, Fact, Suggestion, SelfAudit, SearchRecord, Service, Organisation, Venue, ReferralRoute, ServiceAtLocation,
           Service.history.model, Organisation.history.model, Venue.history.model, ReferralRoute.history.model,
           ServiceAtLocation.history.model]


def record_state(obj):
    if obj is None:
        return None
    obj = type(obj)._base_manager.filter(pk=obj.pk).first()
    if obj is None:
        return None
    state = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    for m2m in obj._meta.many_to_many:
        state[m2m.name] = sorted(getattr(obj, m2m.name).values_list("pk", flat=True))
    if isinstance(obj, Service):
        state["routes"] = list(obj.referral_routes.order_by("pk").values())
        state["venues"] = list(obj.service_at_locations.order_by("pk").values())
    return state


def snapshot(case, world, user):
    models_counted = COUNTED + ([case.model] if case.model and case.model not in COUNTED else [])
    return {
        "counts": {model._meta.label: model._base_manager.count() for model in models_counted},
        "statuses": list(Service.objects.order_by("pk").values_list("pk", "status")),
        "record": record_state(case.target(world, user)) if case.target else None,
    }


def differences(before, after):
    said = []
    for label, count in after["counts"].items():
        if count != before["counts"].get(label):
            said.append(f"{label} {count - before['counts'].get(label, 0):+d}")
    old_statuses = dict(before["statuses"])
    moved = [f"{pk}: {old_statuses[pk]} -> {status}" for pk, status in after["statuses"]
             if pk in old_statuses and old_statuses[pk] != status]
    if moved:
        said.append(f"service status {', '.join(moved)}")
    old, new = before["record"], after["record"]
    if old != new:
        if new is None:
            said.append("record deleted")
        elif old is None:
            said.append("record created")
        else:
            said += [f"{key}: {shown(old.get(key))} -> {shown(new[key])}" for key in new if old.get(key) != new[key]]
    return said


def shown(value):
    text = str(value)
    return repr(text if len(text) <= 60 else "..." + text[-50:])


class ServerError:
    def __init__(self, error):
        self.error = error
        self.status_code = 500

    def __str__(self):
        return f"500 ({type(self.error).__name__}: {str(self.error)[:120]})"


def send(client, method, url, data=None):
    """One request in a savepoint of its own, so a server error leaves the transaction usable."""
    savepoint = transaction.savepoint()
    try:
        response = client.get(url) if method == "GET" else client.post(url, data or {})
    except Exception as error:  # a 500: reported as the cell's outcome
        transaction.savepoint_rollback(savepoint)
        return ServerError(error)
    transaction.savepoint_commit(savepoint)
    return response


def answer(response):
    if isinstance(response, ServerError):
        return str(response)
    location = response.get("Location", "") if 300 <= response.status_code < 400 else ""
    return f"{response.status_code}{' -> ' + location if location else ''}"


def is_login_redirect(response):
    return 300 <= response.status_code < 400 and response["Location"].startswith(reverse("admin:login"))


def get_outcome(response, role):
    if isinstance(response, ServerError):
        return str(response)
    status = response.status_code
    if status == 200:
        if role in ("own_editor", "other_editor") and MARKER.encode() in response.content:
            return "ok, showing the curator notes"
        return "ok"
    if 300 <= status < 400:
        if is_login_redirect(response):
            return "login"
        said = " ".join(str(message) for message in get_messages(response.wsgi_request))
        if response["Location"] == reverse("admin:index") and ("doesn’t exist" in said or "doesn't exist" in said):
            return "no"
        if role == "anonymous" and response["Location"] == reverse("admin:index"):
            return "login"  # sign-out for someone not signed in: to the admin index, which asks to sign in
        return "go"
    if status in (400, 403, 404, 405):
        return "no"  # 400: refused with a reason (a set-up link that is not theirs)
    return answer(response)


def post_outcome(case, world, user, role, expected, response, before, after, changes):
    """What the POST did, in the table's words (the expected word when it did that)."""
    if isinstance(response, ServerError):
        return str(response)
    changed = differences(before, after)
    pending = PendingChange._meta.label
    held = after["counts"][pending] == before["counts"][pending] + 1 and all(c.startswith(pending) for c in changed)
    if held and expected in ("held", "?"):
        return "held"
    problem = None
    if role != "anonymous" and (expected == "saved" or (expected == "?" and (changed or case.saved))):
        problem = check_saved(case, world, user, role, before, after, changes)
        if not problem:
            return "saved"
    if not changed:
        if expected in ("no", "read"):
            return expected
        if is_login_redirect(response) or (role == "anonymous" and response.get("Location") == reverse("admin:index")):
            return "login"
        return "no" + (f" ({problem}; answered {answer(response)}{form_errors(response)})" if problem else "")
    if held:
        return "held"
    return f"wrote ({'; '.join(changed)}{'; but ' + problem if problem else ''})"


def form_errors(response):
    """The form's errors on a page shown again, to say why an allowed POST saved nothing."""
    context = getattr(response, "context", None)
    if not context or response.status_code != 200:
        return ""
    errors = []
    for key in ("adminform", "form", "confirm_form"):
        try:
            form = context[key]
        except KeyError:
            continue
        form = getattr(form, "form", form)
        if getattr(form, "errors", None):
            errors.append(form.errors.as_text().replace("\n", " "))
    for inline in (context.get("inline_admin_formsets") or []) if hasattr(context, "get") else []:
        errors += [str(e) for e in inline.formset.errors if e] + [str(e) for e in inline.formset.non_form_errors()]
    return f"; form errors: {' '.join(errors)[:300]}" if errors else ""


def check_saved(case, world, user, role, before, after, changes):
    if role in ("own_editor", "other_editor"):
        old = dict(before["statuses"])
        moved = [pk for pk, status in after["statuses"] if pk in old and old[pk] != status]
        new = [pk for pk, status in after["statuses"] if pk not in old and status != Status.DRAFT]
        if moved or new:
            return f"an organisation editor set the status of services {moved + new}"
    if case.saved is not None:
        return case.saved(world, user, before, after)
    return saved_fields(world, user, case, changes or {})


def body_for(case, world, role_response, superuser_client, superuser_body, user):
    """The role's own form when its page has it, else the superuser's; then the case's edit.
    Returns the body and the edit."""
    body = None
    if case.fresh_form is not None:
        body = case.fresh_form(world, superuser_client)
    elif case.own_form and role_response is not None:
        form = main_form(role_response, case.form_action)
        if form is not None and (case.needs is None or case.needs in form.names()):
            body = form.body(case.submit)
    if body is None:
        body = dict(superuser_body())
    changes = case.changes(world, user, body) if case.changes is not None else {}
    body.update({k: v if isinstance(v, list) else [v] for k, v in changes.items()})
    return body, changes


def remove_import_files(body, response):
    """A dry run leaves its file in the temporary folder until it is confirmed: tidy up."""
    import tempfile

    names = list(body.get("import_file_name", []))
    form = main_form(response, "process_import/") if not isinstance(response, ServerError) else None
    if form is not None:
        names += form.body().get("import_file_name", [])
    for name in names:
        path = os.path.join(tempfile.gettempdir(), os.path.basename(name))
        if name and os.path.exists(path):
            os.remove(path)


def run_case(case, world):
    """Every role's GET and POST; returns the failing cells and the observed row."""
    # Records are made before any role's savepoint, so that no rollback takes them away.
    url = case.url(world)
    form_url = case.form_url(world) if case.form_url else url
    if case.target is not None:
        case.target(world, None)
    if case.prepare:
        case.prepare(world)
    superuser_client = Client()
    superuser_client.force_login(world.sam)
    cache = {}

    def superuser_body():
        if "body" not in cache:
            savepoint = transaction.savepoint()
            page = send(superuser_client, "GET", form_url)
            form = None if isinstance(page, ServerError) else main_form(page, case.form_action)
            cache["body"] = form.body(case.submit) if form is not None else {}
            transaction.savepoint_rollback(savepoint)
        return cache["body"]

    failures, observed = [], {}
    for role in ROLES:
        user = world.user(role, case.org)
        client = Client()
        if user is not None:
            client.force_login(user)
        expected_get, expected_post = TABLE.get(case.id, {}).get(role, ("?", "?"))
        savepoint = transaction.savepoint()
        try:
            response = send(client, "GET", url)
            got_get = get_outcome(response, role)
            own_page = None if isinstance(response, ServerError) else response
            body, changes = body_for(case, world, own_page, superuser_client, superuser_body, user)
            before = snapshot(case, world, user)
            response = send(client, "POST", url, body)
            after = snapshot(case, world, user)
            got_post = post_outcome(case, world, user, role, expected_post, response, before, after, changes)
            post_answer = "" if isinstance(response, ServerError) else f" [{answer(response)}]"
            remove_import_files(body, response)
        finally:
            transaction.savepoint_rollback(savepoint)
        observed[role] = (got_get, got_post)
        if got_get != expected_get:
            failures.append(f"{case.id} | {role} | GET: expected {expected_get}, got {got_get}")
        if got_post != expected_post:
            failures.append(f"{case.id} | {role} | POST: expected {expected_post}, got {got_post}{post_answer}")
    return failures, observed


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_each_role_may_do_what_the_table_says(case_id, django_user_model, viewer, acacia_editor, imhsg_editor):
    world = World(django_user_model, viewer, acacia_editor, imhsg_editor)
    case = CASES[case_id]
    failures, observed = run_case(case, world)
    if os.environ.get("MATRIX_PRINT"):
        cells = "  ".join(f"{'/'.join(short(x) for x in observed[role]):<11}" for role in ROLES)
        print(f"\nMATRIX {case_id:<48}{cells}")
        for role in ROLES:
            for method, outcome in zip(("GET", "POST"), observed[role]):
                if " " in outcome:
                    print(f"MATRIX-DETAIL {case_id} | {role} | {method}: {outcome}")
    assert case_id in TABLE, f"{case_id} has no row in the table"
    assert not failures, "\n" + "\n".join(failures)


def short(outcome):
    return outcome if " " not in outcome else "X"
