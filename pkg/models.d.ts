// Generated from the Rust unified models (src/unified/models.rs); do not edit.
// Regenerate: CROSSWALK_UPDATE_SNAPSHOTS=1 cargo test

export type ProviderName = 'sandbox' | 'ashby' | 'lever' | 'recruitee' | 'greenhouse' | 'fountain' | 'pinpoint' | 'linkedin' | 'ceipal' | 'atz_crm' | 'hubspot' | 'salesforce' | 'pipedrive' | 'zoho_crm' | 'close' | 'copper' | 'dynamics365' | 'attio' | 'freshsales' | 'zendesk_sell' | 'capsule' | 'affinity' | 'onepagecrm';

export type IssueCode = 'required' | 'invalid_type' | 'not_one_of' | 'too_long' | 'too_short' | 'out_of_range' | 'invalid_datetime' | 'invalid_format' | 'invalid_order' | 'unsupported_field' | 'unknown_field' | 'duplicate' | 'conflict';

export type ErrorCode = 'validation_failed' | 'invalid_input' | 'unknown_provider' | 'unsupported_operation' | 'remote_error' | 'protocol_error' | 'invalid_cursor' | 'pagination_loop' | 'network_error' | 'deadline_exceeded' | 'budget_exhausted' | 'partial_failure' | 'write_outcome_unknown' | 'reauth_required' | 'payload_too_large' | 'misuse' | 'unknown_account' | 'aborted' | 'no_fetch' | 'response_too_large';

export type WarningCode = 'value_out_of_range' | 'unknown_status' | 'unknown_value' | 'unknown_engagement_type' | 'date_only' | 'partial_listing' | 'more_links_in_remote_data' | 'max_pages_reached' | 'filter_applied_locally' | 'key_by_duplicate' | 'key_by_missing' | 'unknown_field_dropped' | 'unsupported_field_dropped' | 'lookup_refused';

/** Notes and emails on candidates (seed 000: POST /unified/ats/activities). */
export interface AtsActivitiesBody {
  /** The ID of the candidate to create the note for */
  candidate_id?: string;
  /** The activity's body */
  body?: string;
  /** The date and time of the activity's creation */
  created_at?: string;
  /** The activity's visibility */
  visibility?: 'private' | 'public' | 'admin_only';
  /** The application the note belongs to (LinkedIn: atsJobApplicationId) */
  application_id?: string;
  /** Caller-assigned note id, for providers that key notes by the caller's id (LinkedIn) */
  id?: string;
  /** The person who wrote the note (LinkedIn needs both names) */
  author?: {
    /** First name of the note's author */
    first_name?: string;
    /** Last name of the note's author */
    last_name?: string;
  };
  /** Passed as is into the provider request body */
  remote_data?: Record<string, unknown>;
}

export interface AtsActivitiesFilters {
  /** The candidate whose activities to list */
  candidate_id?: string;
  /** The application whose notes to delete or list */
  application_id?: string;
}

export interface AtsActivitiesRecord {
  /** The activity's unique identifier */
  id?: string | null;
  /** The activity's type */
  activity_type?: 'note' | 'email' | null;
  /** The activity's actor */
  actor?: {
    /** Unique identifier of the actor */
    id?: string | null;
    /** Type of the actor */
    type?: 'user' | 'candidate' | null;
    /** Name of the actor, where the provider gives it */
    name?: string | null;
    /** Email of the actor, where the provider gives it */
    email?: string | null;
  } | null;
  /** The activity's body */
  body?: string | null;
  /** The activity's candidate */
  candidate?: { id: string } | null;
  /** Cc recipients */
  cc?: Array<{
    /** Email address */
    email?: string | null;
    /** Display name */
    name?: string | null;
  }> | null;
  /** The date and time of the activity's creation */
  created_at?: string | null;
  /** Senders, if the activity is an email */
  from?: Array<{
    /** Email address */
    email?: string | null;
    /** Display name */
    name?: string | null;
  }> | null;
  /** The activity's subject */
  subject?: string | null;
  /** Recipients */
  to?: Array<{
    /** Email address */
    email?: string | null;
    /** Display name */
    name?: string | null;
  }> | null;
  /** The date and time of the activity's last update */
  updated_at?: string | null;
  /** The activity's visibility */
  visibility?: 'private' | 'public' | 'admin_only' | null;
  /** Raw data returned from the remote API call */
  remote_data?: Record<string, unknown> | null;
}

/** Scheduled interviews (seed 002: GET /unified/ats/interviews). */
export interface AtsInterviewsBody {
}

export interface AtsInterviewsFilters {
  /** The ID of the application to filter the interviews by */
  application_id?: string;
  /** Creation date-time; a value or a range ({gt,gte,lt,lte}) */
  created_at?: string;
  /** The ID of the job interview stage to filter by */
  job_interview_stage_id?: string;
  /** The ID of the candidate to filter the interviews by */
  candidate_id?: string;
  /** Last update date-time; a value or a range */
  updated_at?: string;
  /** Start date-time; a value or a range */
  start_at?: string;
  /** End date-time; a value or a range */
  end_at?: string;
}

export interface AtsInterviewsRecord {
  /** The interview's unique identifier */
  id?: string | null;
  /** The interview's application */
  application?: { id: string } | null;
  /** The interview's candidate */
  candidate?: { id: string } | null;
  /** The date and time of the interview's creation */
  created_at?: string | null;
  /** The interview's end date */
  end_at?: string | null;
  /** The interview's interviewers */
  interviewers?: Array<{
    /** Unique identifier */
    id?: string | null;
    /** Name, where the provider gives it */
    name?: string | null;
    /** Email, where the provider gives it */
    email?: string | null;
  }> | null;
  /** The interview's job interview stage */
  job_interview_stage?: {
    /** Unique identifier */
    id?: string | null;
    /** Name, where the provider gives it */
    name?: string | null;
  } | null;
  /** The interview's location */
  location?: string | null;
  /** The interview's organizer */
  organizer?: {
    /** Unique identifier */
    id?: string | null;
    /** Name, where the provider gives it */
    name?: string | null;
    /** Email, where the provider gives it */
    email?: string | null;
  } | null;
  /** The interview's start date */
  start_at?: string | null;
  /** The interview's status */
  status?: 'draft' | 'scheduled' | 'cancelled' | 'awaiting_feedback' | 'completed' | null;
  /** The date and time of the interview's last update */
  updated_at?: string | null;
  /** Raw data returned from the remote API call */
  remote_data?: Record<string, unknown> | null;
}

/** Calls, meetings, emails, notes, chats and tasks logged in a CRM (seed 003). */
export interface CrmEngagementsBody {
  /** The engagement's type */
  engagement_type?: 'call' | 'meeting' | 'email' | 'note' | 'chat' | 'task';
  /** The engagement's content */
  content?: string;
  /** The engagement's owner */
  owner?: { id: string };
  /** The engagement's contacts */
  contacts?: Array<{ id: string }>;
  /** The engagement's account */
  account?: { id: string };
  /** The engagement's opportunity */
  opportunity?: { id: string };
  /** Leads associated with the engagement */
  lead?: Array<{ id: string }>;
  /** Project associated with the engagement */
  project?: { id: string };
  /** The engagement's subject */
  subject?: string;
  /** Status associated with the engagement */
  status?: 'inbox' | 'draft' | 'scheduled' | 'outbox' | 'sent';
  /** The engagement's direction; only for calls */
  direction?: 'inbound' | 'outbound' | 'missed';
  /** Duration of the engagement, in seconds */
  duration?: number;
  /** The engagement's start time */
  start_time?: string;
  /** The engagement's end time */
  end_time?: string;
  /** Phone numbers; only for calls */
  phone_numbers?: Array<{
    /** The phone number */
    number?: string;
    /** The extension of the phone number */
    extension?: string;
    /** The phone number type */
    type?: string;
    /** The unique identifier of the phone number */
    id?: string;
  }>;
  /** Custom fields, passed by their provider names */
  custom_fields?: Record<string, unknown>;
  /** The engagement's internal notes */
  internal_notes?: string;
  /** The user the engagement is logged as */
  user_id?: string;
  /** The date and time of the engagement's creation */
  created_at?: string;
  /** Passed as is into the provider request body */
  remote_data?: Record<string, unknown>;
}

export interface CrmEngagementsFilters {
  /** Only engagements of this type */
  engagement_type?: 'call' | 'meeting' | 'email' | 'note' | 'chat' | 'task';
  /** Only engagements with this contact */
  contact_id?: string;
  /** Only engagements with this account */
  account_id?: string;
  /** Creation date-time; a value or a range ({gt,gte,lt,lte}) */
  created_at?: string;
  /** Last update date-time; a value or a range */
  updated_at?: string;
}

export interface CrmEngagementsRecord {
  /** The engagement's unique identifier */
  id?: string | null;
  /** The engagement's account */
  account?: { id: string } | null;
  /** The engagement's contacts */
  contacts?: Array<{ id: string }> | null;
  /** The engagement's content */
  content?: string | null;
  /** The date and time of the engagement's creation */
  created_at?: string | null;
  /** All the custom fields present on the engagement */
  custom_fields?: Record<string, unknown> | null;
  /** The engagement's direction */
  direction?: 'inbound' | 'outbound' | 'missed' | null;
  /** The engagement's duration, in seconds */
  duration?: number | null;
  /** The engagement's end time */
  end_time?: string | null;
  /** The engagement's type */
  engagement_type?: 'call' | 'meeting' | 'email' | 'note' | 'chat' | 'task' | null;
  /** The engagement's internal notes */
  internal_notes?: string | null;
  /** The engagement's lead */
  lead?: Array<{ id: string }> | null;
  /** The engagement's notes */
  notes?: Array<{ id: string }> | null;
  /** The engagement's opportunity */
  opportunity?: { id: string } | null;
  /** The engagement's owner */
  owner?: { id: string } | null;
  /** Phone numbers */
  phone_numbers?: Array<{
    /** The phone number */
    number?: string | null;
    /** The extension of the phone number */
    extension?: string | null;
    /** The phone number type */
    type?: string | null;
    /** The unique identifier of the phone number */
    id?: string | null;
  }> | null;
  /** The engagement's project */
  project?: { id: string } | null;
  /** The engagement's start time */
  start_time?: string | null;
  /** The engagement's status */
  status?: 'inbox' | 'draft' | 'scheduled' | 'outbox' | 'sent' | null;
  /** The engagement's subject */
  subject?: string | null;
  /** The date and time of the engagement's last update */
  updated_at?: string | null;
  /** Raw data returned from the remote API call */
  remote_data?: Record<string, unknown> | null;
}

export interface UnifiedModels {
  ats: {
    activities: { body: AtsActivitiesBody; filters: AtsActivitiesFilters; record: AtsActivitiesRecord };
    interviews: { body: AtsInterviewsBody; filters: AtsInterviewsFilters; record: AtsInterviewsRecord };
  };
  crm: {
    engagements: { body: CrmEngagementsBody; filters: CrmEngagementsFilters; record: CrmEngagementsRecord };
  };
}
