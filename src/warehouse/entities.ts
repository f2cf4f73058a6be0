import { z } from 'zod';

/**
 * The canonical entities: each zod schema is the one source of truth for what a valid
 * warehouse row is. The ingest contract compiles these schemas into set-based DuckDB checks
 * (types, required fields, enums, ranges, e-mail shape, references), and a test keeps them
 * in step with the DDL in migrations.
 *
 * Field kinds: `text()`, `int()`, `money()` (DECIMAL), `flag()`, `instant()` (TIMESTAMPTZ),
 * `day()` (DATE), `z.enum([...])`, `email()`. `.optional()` marks a nullable field.
 * `ref('entity')` marks a reference checked against that entity's key.
 */
const text = () => z.string().min(1);
const int = () => z.int();
const money = () => z.number();
const flag = () => z.boolean();
const instant = () => z.iso.datetime({ offset: true });
const day = () => z.iso.date();
const email = () => z.email();
const ref = (entity: RefTarget) => z.string().min(1).meta({ references: entity });
/** customer_id: the source's external customer id, resolved to the warehouse id by identity resolution. */
const customerRef = () => z.string().min(1).meta({ references: 'customers', identity: true });

type RefTarget = 'accounts' | 'customers' | 'employees' | 'products' | 'orders' | 'deals' | 'campaigns';

export const interactionChannels = ['phone', 'email', 'meeting', 'event', 'presentation', 'web_form', 'chat', 'social'] as const;

export const entitySchemas = {
  accounts: z.object({
    account_id: text(),
    name: text().optional(),
    industry: text().optional(),
    employee_count: int().min(0).optional(),
    annual_revenue: money().min(0).optional(),
    country: text().optional(),
    region: text().optional(),
    owner_id: ref('employees').optional(),
    created_at: instant().optional(),
  }),
  customers: z.object({
    customer_id: customerRef(),
    first_name: text().optional(),
    last_name: text().optional(),
    email: email().optional(),
    phone: text().optional(),
    account_id: ref('accounts').optional(),
    job_title: text().optional(),
    industry: text().optional(),
    street: text().optional(),
    city: text().optional(),
    postal_code: text().optional(),
    country: text().optional(),
    region: text().optional(),
    owner_id: ref('employees').optional(),
    acquisition_channel: text().optional(),
    acquisition_campaign_id: ref('campaigns').optional(),
    acquired_at: instant().optional(),
    lifecycle_stage: text().optional(),
    email_opt_in: flag().optional(),
    sms_opt_in: flag().optional(),
    phone_opt_in: flag().optional(),
    do_not_contact: flag().optional(),
    unsubscribed_at: instant().optional(),
    created_at: instant().optional(),
    updated_at: instant().optional(),
  }),
  employees: z.object({
    employee_id: text(),
    name: text().optional(),
    email: email().optional(),
    role: text().optional(),
    team: text().optional(),
    manager_id: ref('employees').optional(),
    region: text().optional(),
    hired_at: day().optional(),
    is_active: flag().optional(),
  }),
  quotas: z.object({
    employee_id: ref('employees'),
    period_start: day(),
    period_type: z.enum(['month', 'quarter', 'year']),
    quota_amount: money().min(0),
  }),
  products: z.object({
    product_id: text(),
    name: text().optional(),
    category: text().optional(),
    list_price: money().min(0).optional(),
    unit_cost: money().min(0).optional(),
    is_active: flag().optional(),
  }),
  orders: z.object({
    order_id: text(),
    customer_id: customerRef(),
    ordered_at: instant(),
    status: z.enum(['completed', 'pending', 'cancelled', 'returned']),
    channel: text().optional(),
    currency: text().optional(),
    total_amount: money(),
    discount_amount: money().min(0).optional(),
    item_count: int().min(0).optional(),
    campaign_id: ref('campaigns').optional(),
    employee_id: ref('employees').optional(),
  }),
  order_lines: z.object({
    order_id: ref('orders'),
    line_no: int().min(1),
    product_id: ref('products'),
    quantity: int(), // negative = returned units
    unit_price: money().min(0),
    discount_amount: money().min(0).optional(),
    line_amount: money(),
  }),
  deals: z.object({
    deal_id: text(),
    customer_id: customerRef().optional(),
    account_id: ref('accounts').optional(),
    name: text().optional(),
    pipeline: text(),
    stage: text(),
    status: z.enum(['open', 'won', 'lost']),
    amount: money().min(0).optional(),
    currency: text().optional(),
    owner_id: ref('employees').optional(),
    source: text().optional(),
    campaign_id: ref('campaigns').optional(),
    product_id: ref('products').optional(),
    created_at: instant(),
    expected_close_date: day().optional(),
    closed_at: instant().optional(),
    lost_reason: text().optional(),
    forecast_category: z.enum(['pipeline', 'best_case', 'commit', 'closed', 'omitted']).optional(),
  }),
  deal_stage_history: z.object({
    deal_id: ref('deals'),
    stage: text(),
    entered_at: instant(),
    exited_at: instant().optional(),
  }),
  interactions: z.object({
    interaction_id: text(),
    customer_id: customerRef(),
    employee_id: ref('employees').optional(),
    channel: z.enum(interactionChannels),
    direction: z.enum(['inbound', 'outbound']).optional(),
    occurred_at: instant(),
    duration_seconds: int().min(0).optional(),
    outcome: text().optional(),
    subject: text().optional(),
    deal_id: ref('deals').optional(),
    campaign_id: ref('campaigns').optional(),
  }),
  tickets: z.object({
    ticket_id: text(),
    customer_id: customerRef(),
    employee_id: ref('employees').optional(),
    channel: text().optional(),
    category: text().optional(),
    priority: z.enum(['low', 'normal', 'high', 'urgent']).optional(),
    status: z.enum(['open', 'pending', 'resolved', 'closed']).optional(),
    opened_at: instant(),
    first_response_at: instant().optional(),
    resolved_at: instant().optional(),
    satisfaction: int().min(1).max(5).optional(),
  }),
  campaigns: z.object({
    campaign_id: text(),
    name: text().optional(),
    channel: text().optional(),
    started_at: day().optional(),
    ended_at: day().optional(),
    cost: money().min(0).optional(),
    target_segment: text().optional(),
  }),
  campaign_touches: z.object({
    touch_id: text(),
    campaign_id: ref('campaigns'),
    customer_id: customerRef(),
    channel: text().optional(),
    sent_at: instant(),
    opened_at: instant().optional(),
    clicked_at: instant().optional(),
    converted_at: instant().optional(),
  }),
  subscriptions: z.object({
    subscription_id: text(),
    customer_id: customerRef(),
    plan: text(),
    mrr: money().min(0),
    started_at: instant(),
    cancelled_at: instant().optional(),
  }),
} as const;

export type EntityName = keyof typeof entitySchemas;
export const entityNames = Object.keys(entitySchemas) as EntityName[];

/** The key of each entity: what `merge` matches on and what references point at. */
export const entityKeys: Record<EntityName, readonly string[]> = {
  accounts: ['account_id'],
  customers: ['customer_id'],
  employees: ['employee_id'],
  quotas: ['employee_id', 'period_start', 'period_type'],
  products: ['product_id'],
  orders: ['order_id'],
  order_lines: ['order_id', 'line_no'],
  deals: ['deal_id'],
  deal_stage_history: ['deal_id', 'stage', 'entered_at'],
  interactions: ['interaction_id'],
  tickets: ['ticket_id'],
  campaigns: ['campaign_id'],
  campaign_touches: ['touch_id'],
  subscriptions: ['subscription_id'],
};

export type FieldKind = 'text' | 'integer' | 'decimal' | 'boolean' | 'timestamp' | 'date';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  required: boolean;
  enumValues?: readonly string[];
  min?: number;
  max?: number;
  email?: boolean;
  references?: EntityName;
  /** customer_id fields go through identity resolution. */
  identity?: boolean;
}

/** Reads a field's zod schema into the facts the contract compiler needs. */
export function fieldSpecs(entity: EntityName): FieldSpec[] {
  const shape = entitySchemas[entity].shape as Record<string, z.ZodType>;
  return Object.entries(shape).map(([name, schema]) => {
    let s = schema as z.ZodType & Record<string, unknown>;
    let required = true;
    if (s.def.type === 'optional') {
      required = false;
      s = (s.def as unknown as { innerType: typeof s }).innerType;
    }
    const meta = (s.meta() ?? {}) as { references?: EntityName; identity?: boolean };
    const spec: FieldSpec = { name, kind: 'text', required, references: meta.references, identity: meta.identity };
    const format = s.format as string | null | undefined;
    switch (s.def.type) {
      case 'number':
        spec.kind = format === 'safeint' ? 'integer' : 'decimal';
        if (Number.isFinite(s.minValue as number)) spec.min = s.minValue as number;
        if (Number.isFinite(s.maxValue as number)) spec.max = s.maxValue as number;
        break;
      case 'boolean':
        spec.kind = 'boolean';
        break;
      case 'enum':
        spec.enumValues = s.options as string[];
        break;
      case 'string':
        if (format === 'datetime') spec.kind = 'timestamp';
        else if (format === 'date') spec.kind = 'date';
        else if (format === 'email') spec.email = true;
        break;
      default:
        throw new Error(`entity ${entity}.${name}: unsupported zod type ${s.def.type}`);
    }
    return spec;
  });
}
