import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'
import type {
  Answer, AttendeeDetails, AttendeeField, ExportParameters, ExportStatus, I18nText, MailRequestStatus, NameParts, OrderStatus, PriceMode
} from '@showfloor/schemas'

// numeric columns come back as strings ("12.00") and may be written as strings or numbers.
type Money = ColumnType<string, string | number, string | number>
type Json<T> = ColumnType<T, string, string>
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>
/**
 * A text column holding one value of a union declared in @showfloor/schemas: read as that union.
 * Written as any text: the services write only values their schemas accepted, fixtures plain strings.
 */
type State<T extends string> = ColumnType<T, string | undefined, string>

// Shapes the API shows as they are stored, and the column states, come from the schemas package.
export type { Answer, AttendeeField, AttendeeInput, I18nText, NameParts } from '@showfloor/schemas'
// Older names, still read by some query modules.

export interface OrganizersTable {
  id: Generated<number>
  slug: string
  name: string
  created_at: CreatedAt
}

export interface EventsTable {
  id: Generated<number>
  organizer_id: number
  slug: string
  name: Json<I18nText>
  date_from: ColumnType<Date, Date | string, Date | string>
  date_to: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  currency: Generated<string>
  locale: Generated<string>
  timezone: Generated<string>
  created_at: CreatedAt
}

export interface TeamsTable {
  id: Generated<number>
  organizer_id: number
  name: string
  all_events: Generated<boolean>
  can_create_events: Generated<boolean>
  can_change_event_settings: Generated<boolean>
  can_change_items: Generated<boolean>
  can_view_orders: Generated<boolean>
  can_change_orders: Generated<boolean>
  can_view_vouchers: Generated<boolean>
  can_change_vouchers: Generated<boolean>
  can_change_organizer_settings: Generated<boolean>
}

export interface TeamEventsTable {
  team_id: number
  event_id: number
}

export interface ApiTokensTable {
  id: Generated<number>
  team_id: number
  name: Generated<string>
  token_hash: string
  active: Generated<boolean>
  created_at: CreatedAt
}

export interface ExhibitorSettingsTable {
  event_id: number
  lead_fields: ColumnType<string[], string | undefined, string>
  lead_tags: ColumnType<string[], string | undefined, string>
  allow_notes: Generated<boolean>
  scan_secret: Generated<boolean>
  imprint_url: string | null
  privacy_url: string | null
  help_url: string | null
  terms_url: string | null
  logo_url: string | null
}

export interface ExhibitorTagsTable {
  id: Generated<number>
  event_id: number
  name: string
}

export interface ItemsTable {
  id: Generated<number>
  event_id: number
  name: Json<I18nText>
  default_price: Money
  active: Generated<boolean>
}

export interface VouchersTable {
  id: Generated<number>
  event_id: number
  code: string
  max_usages: Generated<number>
  redeemed: Generated<number>
  min_usages: Generated<number>
  valid_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  block_quota: Generated<boolean>
  allow_ignore_quota: Generated<boolean>
  price_mode: State<PriceMode>
  value: ColumnType<string | null, string | number | null | undefined, string | number | null>
  item_id: number | null
  variation: number | null
  quota: number | null
  tag: Generated<string>
  comment: Generated<string>
  seat: string | null
  show_hidden_items: Generated<boolean>
  all_addons_included: Generated<boolean>
  all_bundles_included: Generated<boolean>
}

export interface OrdersTable {
  id: Generated<number>
  event_id: number
  code: string
  status: State<OrderStatus>
  email: string | null
  locale: Generated<string>
  datetime: ColumnType<Date, Date | string | undefined, Date | string>
  total: Money
}

export interface OrderPositionsTable extends AttendeeDetails {
  id: Generated<number>
  order_id: number
  event_id: number
  positionid: number
  item_id: number
  price: Money
  attendee_name_parts: ColumnType<NameParts, string | undefined, string>
  attendee_name: string | null
  secret: string
  pseudonymization_id: string
  voucher_id: number | null
  answers: ColumnType<Answer[], string | undefined, string>
}

export interface ExhibitorsTable {
  id: Generated<number>
  event_id: number
  name: string
  internal_id: string | null
  contact_name_parts: ColumnType<NameParts, string | undefined, string>
  contact_email: string | null
  contact_cc_email: string | null
  booth: string | null
  locale: Generated<string>
  access_code: string
  lead_scanning_access_code: string
  allow_lead_scanning: Generated<boolean>
  allow_lead_access: Generated<boolean>
  allow_voucher_access: Generated<boolean>
  lead_scanning_scope_by_device: Generated<boolean>
  comment: Generated<string>
  lead_count: Generated<number>
  created_at: CreatedAt
  /** When the exhibitor last exported leads from the web area (its "new since my last export" mark). */
  last_export_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

export interface ExhibitorAccessCodesTable {
  code: string
  exhibitor_id: number
  full_access: boolean
}

export interface ExhibitorTagLinksTable {
  exhibitor_id: number
  tag_id: number
}

export interface ExhibitorVouchersTable {
  voucher_id: number
  exhibitor_id: number
  exhibitor_comment: Generated<string>
  created_at: CreatedAt
}

export interface LeadsTable {
  id: Generated<number>
  exhibitor_id: number
  position_id: number
  scope_key: Generated<string>
  rating: number | null
  tags: ColumnType<string[], string | undefined, string>
  notes: Generated<string>
  device_name: string | null
  device_uuid: string | null
  scanned: ColumnType<Date, Date | string, Date | string>
  first_upload: CreatedAt
  last_upload: CreatedAt
  data: ColumnType<AttendeeField[] | null, string | null | undefined, string | null>
  enriched_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

export interface OutboxTable {
  id: Generated<number>
  topic: string
  payload: Json<Record<string, unknown>>
  created_at: CreatedAt
  relayed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

export interface MailRequestsTable {
  id: string
  exhibitor_id: number
  status: State<MailRequestStatus>
  deadline: ColumnType<Date, Date | string, Date | string>
  error: string | null
  created_at: CreatedAt
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

export interface IdempotencyKeysTable {
  auth_hash: string
  key: string
  method: string
  path: string
  running: Generated<boolean>
  response_status: number | null
  response_body: string | null
  response_content_type: string | null
  created_at: CreatedAt
  /** The token of the request that holds (or last held) the key. */
  owner: string | null
  /** While running, the key is held until then; its request renews the lease. */
  lease_until: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface ExportsTable {
  id: string
  key: string
  event_id: number
  identifier: string
  params: Json<ExportParameters>
  status: State<ExportStatus>
  percentage: number | null
  run: Generated<number>
  claimed_by: string | null
  message: string | null
  file_name: string | null
  content_type: string | null
  size: number | null
  created_at: CreatedAt
  heartbeat_at: CreatedAt
  done_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

export interface ExportChunksTable {
  export_id: string
  run: number
  seq: number
  data: Buffer
}

export interface WebhooksTable {
  id: Generated<number>
  organizer_id: number
  enabled: Generated<boolean>
  target_url: string
  all_events: Generated<boolean>
  action_types: ColumnType<string[], string[] | undefined, string[]>
  comment: string | null
  secret: string
  created_at: CreatedAt
}

export interface WebhookEventsTable {
  webhook_id: number
  event_id: number
}

export interface WebhookCallsTable {
  id: Generated<number>
  webhook_id: number
  datetime: CreatedAt
  action_type: string
  notification_id: string
  is_retry: boolean
  execution_time: number
  return_code: number | null
  success: boolean
  payload: Json<Record<string, unknown>>
  response_body: string | null
}

/**
 * A delivery's state (`webhook_deliveries.state`), each step one conditional UPDATE from pending:
 * delivered (a 2xx), disabled (a 410 disabled its webhook), given_up (still failing after the age
 * limit), skipped (its webhook was disabled before it got through).
 */
export type WebhookDeliveryState = 'pending' | 'delivered' | 'disabled' | 'given_up' | 'skipped'

export interface WebhookDeliveriesTable {
  webhook_id: number
  notification_id: string
  /** The notification as the delivery job carries it (a WebhookNotification). */
  notification: Json<Record<string, unknown>>
  state: ColumnType<WebhookDeliveryState, WebhookDeliveryState | undefined, WebhookDeliveryState>
  attempts: Generated<number>
  next_attempt_at: CreatedAt
  updated_at: CreatedAt
}

/** A notification the fan-out handled (whether or not a webhook listened for it). */
export interface WebhookFanoutsTable {
  notification_id: string
  fanned_out_at: CreatedAt
}

export interface Database {
  organizers: OrganizersTable
  events: EventsTable
  teams: TeamsTable
  team_events: TeamEventsTable
  api_tokens: ApiTokensTable
  exhibitor_settings: ExhibitorSettingsTable
  exhibitor_tags: ExhibitorTagsTable
  items: ItemsTable
  vouchers: VouchersTable
  orders: OrdersTable
  order_positions: OrderPositionsTable
  exhibitors: ExhibitorsTable
  exhibitor_access_codes: ExhibitorAccessCodesTable
  exhibitor_tag_links: ExhibitorTagLinksTable
  exhibitor_vouchers: ExhibitorVouchersTable
  leads: LeadsTable
  outbox: OutboxTable
  mail_requests: MailRequestsTable
  idempotency_keys: IdempotencyKeysTable
  exports: ExportsTable
  export_chunks: ExportChunksTable
  webhooks: WebhooksTable
  webhook_events: WebhookEventsTable
  webhook_calls: WebhookCallsTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_fanouts: WebhookFanoutsTable
}

export type Organizer = Selectable<OrganizersTable>
export type Event = Selectable<EventsTable>
export type NewEvent = Insertable<EventsTable>
export type EventUpdate = Updateable<EventsTable>
export type Team = Selectable<TeamsTable>
export type ExhibitorSettings = Selectable<ExhibitorSettingsTable>
export type ExhibitorTag = Selectable<ExhibitorTagsTable>
export type Item = Selectable<ItemsTable>
export type Voucher = Selectable<VouchersTable>
export type NewVoucher = Insertable<VouchersTable>
export type VoucherUpdate = Updateable<VouchersTable>
export type Order = Selectable<OrdersTable>
export type NewOrder = Insertable<OrdersTable>
export type OrderPosition = Selectable<OrderPositionsTable>
export type NewOrderPosition = Insertable<OrderPositionsTable>
export type Exhibitor = Selectable<ExhibitorsTable>
export type NewExhibitor = Insertable<ExhibitorsTable>
export type ExhibitorUpdate = Updateable<ExhibitorsTable>
export type Lead = Selectable<LeadsTable>
export type NewLead = Insertable<LeadsTable>
export type OutboxRow = Selectable<OutboxTable>
export type ExportRow = Selectable<ExportsTable>
export type Webhook = Selectable<WebhooksTable>
export type WebhookCall = Selectable<WebhookCallsTable>
export type WebhookDelivery = Selectable<WebhookDeliveriesTable>
