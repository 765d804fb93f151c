//! Unified resources, as the Truto-style unified API documents them (see
//! `../shared/seeds/`). Provider tables refer to these fields by name.

use crate::unified::schema::{uf, Kind::*, ResourceDef, UnifiedField};

pub const VISIBILITY: &[&str] = &["private", "public", "admin_only"];
pub const INTERVIEW_STATUS: &[&str] = &["draft", "scheduled", "cancelled", "awaiting_feedback", "completed"];
pub const ENGAGEMENT_TYPES: &[&str] = &["call", "meeting", "email", "note", "chat", "task"];
pub const ENGAGEMENT_STATUS: &[&str] = &["inbox", "draft", "scheduled", "outbox", "sent"];
pub const DIRECTIONS: &[&str] = &["inbound", "outbound", "missed"];

const NAME_EMAIL: &[UnifiedField] = &[uf("email", String, "Email address"), uf("name", String, "Display name")];
const ACTOR: &[UnifiedField] = &[
    uf("id", String, "Unique identifier of the actor"),
    uf("type", Enum(&["user", "candidate"]), "Type of the actor"),
    uf("name", String, "Name of the actor, where the provider gives it"),
    uf("email", String, "Email of the actor, where the provider gives it"),
];
const AUTHOR: &[UnifiedField] = &[
    uf("first_name", String, "First name of the note's author"),
    uf("last_name", String, "Last name of the note's author"),
];
const PERSON: &[UnifiedField] = &[
    uf("id", String, "Unique identifier"),
    uf("name", String, "Name, where the provider gives it"),
    uf("email", String, "Email, where the provider gives it"),
];
const NAMED: &[UnifiedField] = &[uf("id", String, "Unique identifier"), uf("name", String, "Name, where the provider gives it")];
const PHONE: &[UnifiedField] = &[
    uf("number", String, "The phone number"),
    uf("extension", String, "The extension of the phone number"),
    uf("type", String, "The phone number type"),
    uf("id", String, "The unique identifier of the phone number"),
];

pub const ATS_ACTIVITIES: ResourceDef = ResourceDef {
    model: "ats",
    resource: "activities",
    doc: "Notes and emails on candidates (seed 000: POST /unified/ats/activities).",
    body: &[
        uf("candidate_id", String, "The ID of the candidate to create the note for"),
        uf("body", Text, "The activity's body"),
        uf("created_at", DateTime, "The date and time of the activity's creation"),
        uf("visibility", Enum(VISIBILITY), "The activity's visibility"),
        uf("application_id", String, "The application the note belongs to (LinkedIn: atsJobApplicationId)"),
        uf("id", String, "Caller-assigned note id, for providers that key notes by the caller's id (LinkedIn)"),
        uf("author", Struct(AUTHOR), "The person who wrote the note (LinkedIn needs both names)"),
        uf("remote_data", Record, "Passed as is into the provider request body"),
    ],
    filters: &[
        uf("candidate_id", String, "The candidate whose activities to list"),
        uf("application_id", String, "The application whose notes to delete or list"),
    ],
    record: &[
        uf("id", String, "The activity's unique identifier"),
        uf("activity_type", Enum(&["note", "email"]), "The activity's type"),
        uf("actor", Struct(ACTOR), "The activity's actor"),
        uf("body", Text, "The activity's body"),
        uf("candidate", Ref, "The activity's candidate"),
        uf("cc", StructList(NAME_EMAIL), "Cc recipients"),
        uf("created_at", DateTime, "The date and time of the activity's creation"),
        uf("from", StructList(NAME_EMAIL), "Senders, if the activity is an email"),
        uf("subject", String, "The activity's subject"),
        uf("to", StructList(NAME_EMAIL), "Recipients"),
        uf("updated_at", DateTime, "The date and time of the activity's last update"),
        uf("visibility", Enum(VISIBILITY), "The activity's visibility"),
        uf("remote_data", Record, "Raw data returned from the remote API call"),
    ],
};

pub const ATS_INTERVIEWS: ResourceDef = ResourceDef {
    model: "ats",
    resource: "interviews",
    doc: "Scheduled interviews (seed 002: GET /unified/ats/interviews).",
    body: &[],
    filters: &[
        uf("application_id", String, "The ID of the application to filter the interviews by"),
        uf("created_at", DateTime, "Creation date-time; a value or a range ({gt,gte,lt,lte})"),
        uf("job_interview_stage_id", String, "The ID of the job interview stage to filter by"),
        uf("candidate_id", String, "The ID of the candidate to filter the interviews by"),
        uf("updated_at", DateTime, "Last update date-time; a value or a range"),
        uf("start_at", DateTime, "Start date-time; a value or a range"),
        uf("end_at", DateTime, "End date-time; a value or a range"),
    ],
    record: &[
        uf("id", String, "The interview's unique identifier"),
        uf("application", Ref, "The interview's application"),
        uf("candidate", Ref, "The interview's candidate"),
        uf("created_at", DateTime, "The date and time of the interview's creation"),
        uf("end_at", DateTime, "The interview's end date"),
        uf("interviewers", StructList(PERSON), "The interview's interviewers"),
        uf("job_interview_stage", Struct(NAMED), "The interview's job interview stage"),
        uf("location", String, "The interview's location"),
        uf("organizer", Struct(PERSON), "The interview's organizer"),
        uf("start_at", DateTime, "The interview's start date"),
        uf("status", Enum(INTERVIEW_STATUS), "The interview's status"),
        uf("updated_at", DateTime, "The date and time of the interview's last update"),
        uf("remote_data", Record, "Raw data returned from the remote API call"),
    ],
};

pub const CRM_ENGAGEMENTS: ResourceDef = ResourceDef {
    model: "crm",
    resource: "engagements",
    doc: "Calls, meetings, emails, notes, chats and tasks logged in a CRM (seed 003).",
    body: &[
        uf("engagement_type", Enum(ENGAGEMENT_TYPES), "The engagement's type"),
        uf("content", Text, "The engagement's content"),
        uf("owner", Ref, "The engagement's owner"),
        uf("contacts", RefList, "The engagement's contacts"),
        uf("account", Ref, "The engagement's account"),
        uf("opportunity", Ref, "The engagement's opportunity"),
        uf("lead", RefList, "Leads associated with the engagement"),
        uf("project", Ref, "Project associated with the engagement"),
        uf("subject", String, "The engagement's subject"),
        uf("status", Enum(ENGAGEMENT_STATUS), "Status associated with the engagement"),
        uf("direction", Enum(DIRECTIONS), "The engagement's direction; only for calls"),
        uf("duration", Integer, "Duration of the engagement, in seconds"),
        uf("start_time", DateTime, "The engagement's start time"),
        uf("end_time", DateTime, "The engagement's end time"),
        uf("phone_numbers", StructList(PHONE), "Phone numbers; only for calls"),
        uf("custom_fields", Record, "Custom fields, passed by their provider names"),
        uf("internal_notes", Text, "The engagement's internal notes"),
        uf("user_id", String, "The user the engagement is logged as"),
        uf("created_at", DateTime, "The date and time of the engagement's creation"),
        uf("remote_data", Record, "Passed as is into the provider request body"),
    ],
    filters: &[
        uf("engagement_type", Enum(ENGAGEMENT_TYPES), "Only engagements of this type"),
        uf("contact_id", String, "Only engagements with this contact"),
        uf("account_id", String, "Only engagements with this account"),
        uf("created_at", DateTime, "Creation date-time; a value or a range ({gt,gte,lt,lte})"),
        uf("updated_at", DateTime, "Last update date-time; a value or a range"),
    ],
    record: &[
        uf("id", String, "The engagement's unique identifier"),
        uf("account", Ref, "The engagement's account"),
        uf("contacts", RefList, "The engagement's contacts"),
        uf("content", Text, "The engagement's content"),
        uf("created_at", DateTime, "The date and time of the engagement's creation"),
        uf("custom_fields", Record, "All the custom fields present on the engagement"),
        uf("direction", Enum(DIRECTIONS), "The engagement's direction"),
        uf("duration", Integer, "The engagement's duration, in seconds"),
        uf("end_time", DateTime, "The engagement's end time"),
        uf("engagement_type", Enum(ENGAGEMENT_TYPES), "The engagement's type"),
        uf("internal_notes", Text, "The engagement's internal notes"),
        uf("lead", RefList, "The engagement's lead"),
        uf("notes", RefList, "The engagement's notes"),
        uf("opportunity", Ref, "The engagement's opportunity"),
        uf("owner", Ref, "The engagement's owner"),
        uf("phone_numbers", StructList(PHONE), "Phone numbers"),
        uf("project", Ref, "The engagement's project"),
        uf("start_time", DateTime, "The engagement's start time"),
        uf("status", Enum(ENGAGEMENT_STATUS), "The engagement's status"),
        uf("subject", String, "The engagement's subject"),
        uf("updated_at", DateTime, "The date and time of the engagement's last update"),
        uf("remote_data", Record, "Raw data returned from the remote API call"),
    ],
};

/// Every unified resource. The only list.
pub const RESOURCES: &[&ResourceDef] = &[&ATS_ACTIVITIES, &ATS_INTERVIEWS, &CRM_ENGAGEMENTS];

pub fn resource(model: &str, resource: &str) -> Option<&'static ResourceDef> {
    RESOURCES.iter().copied().find(|r| r.model == model && r.resource == resource)
}
