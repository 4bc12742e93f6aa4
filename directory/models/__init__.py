"""The directory's data: every table of the `directory` app, one module per capability's tables.

Imported as `directory.models` everywhere; the modules here import nothing from the rest of the
project but `directory.core.safe_urls` and `mapping.models`, so that the data layer sits under
every capability (docs/architecture.md). Rules live with their capability, not here."""
from directory.models.core import (  # noqa: F401
    Sector, Organisation, TaxonomyTerm, Level, Need, Intervention, DeliveryMode, Language, Status, Focus,
    FOCUS_EXPLANATIONS, AgeRange, Cost, Audience, CoverageType, age_q, in_district_q, local_in_district_q,
    ServiceQuerySet, Service, Referrer, ReferralMethod, Consent, ReferralRoute, Venue, ServiceAtLocation,
    ServiceCapacity, ParentTopic, UrgentHelp, SearchSynonym, NeedStep, ContentVersion,
)
from directory.models.provenance import (  # noqa: F401
    SourceKind, SERVICE_FACTS, ROUTE_FACTS, VENUE_FACTS, ORGANISATION_FACTS, FACT_FIELDS, FactQuerySet, Fact,
    SeedRecord, OrukImportBase,
)
from directory.models.curation import (  # noqa: F401
    ChangeStatus, PendingChange, ReminderSent, ImportJobState, ImportJob,
)
from directory.models.suggestions import (  # noqa: F401
    TEXT_MAX, SuggestionStatus, SuggestionPage, Suggestion,
)
from directory.models.search import (  # noqa: F401
    SearchMatch,
    ServiceDistrict, ServiceChange, SearchDocumentField, Matches, ServiceSearchIndex, SearchRecord,
)
from directory.models.checkins import (  # noqa: F401
    CheckInContact, InvitationQuerySet, CheckInInvitation, SelfAudit,
)
from directory.models.whatson import (  # noqa: F401
    TermDate, Frequency, Booking, SessionCost, SessionQuerySet, Session, ExceptionKind, SessionException,
    EventQuerySet, KnowledgeEvent,
)
from directory.models.referrals import (  # noqa: F401
    ReferralPrepared, ReferralPreparedQuerySet, SpentPageView, month_start, months_before,
)
