import type { BadKind, BadRows } from './bad-rows.ts';
import { crmId, prefixes, UNKNOWN_BASE } from './ids.ts';
import type { Rng } from './rng.ts';
import { crmDateTime } from './time.ts';
import { csv, csvHeader, TextFileWriter } from './writer.ts';

/** The CRM's activity export (tasks and events): every contact on every channel. */
export const activityColumns = ['Activity ID', 'Contact ID', 'Assigned To ID', 'Type', 'Direction', 'Activity Date', 'Duration (Seconds)', 'Outcome', 'Subject', 'Opportunity ID', 'Campaign ID'];

/** CRM activity types → canonical interaction channels (the pipeline maps them). */
export const activityTypes = {
  Call: 'phone',
  Email: 'email',
  Meeting: 'meeting',
  Event: 'event',
  Presentation: 'presentation',
  'Web Form': 'web_form',
  Chat: 'chat',
  Social: 'social',
} as const;
export type ActivityType = keyof typeof activityTypes;

const kinds: BadKind[] = [
  { kind: 'unknown_channel', column: 'Type', field: 'channel', check: 'enum', reason: 'activity type "Fax" is not a known channel' },
  { kind: 'unknown_contact', column: 'Contact ID', field: 'customer_id', check: 'reference', reason: 'contact id that exists nowhere in the CRM' },
  { kind: 'negative_duration', column: 'Duration (Seconds)', field: 'duration_seconds', check: 'range', reason: 'negative duration' },
  { kind: 'bad_date', column: 'Activity Date', field: 'occurred_at', check: 'type', reason: 'impossible date (month 13)' },
];

export class ActivityLog {
  readonly writer: TextFileWriter;
  readonly file = 'crm/activities.csv';
  private seq = 0;
  private unknown = 0;
  private readonly handle: number;
  private last = { contact: '', employee: '', type: 'Call', direction: 'Outbound', when: '', duration: '', outcome: '', subject: '', deal: '', campaign: '' };

  constructor(
    path: string,
    private readonly bad: BadRows,
    badRng: Rng,
  ) {
    this.writer = new TextFileWriter(path, csvHeader(activityColumns));
    this.handle = bad.register(this.file, this.writer, kinds, 1, (k) => {
      const l = { ...this.last };
      let value: string | number = '';
      if (k.kind === 'unknown_channel') value = l.type = 'Fax';
      else if (k.kind === 'unknown_contact') value = l.contact = crmId(prefixes.contact, UNKNOWN_BASE + ++this.unknown);
      else if (k.kind === 'negative_duration') value = l.duration = `-${60 + badRng.int(600)}`;
      else value = l.when = `13/${String(1 + badRng.int(28)).padStart(2, '0')}/2025 10:${String(badRng.int(60)).padStart(2, '0')} AM`;
      this.line(l.contact, l.employee, l.type, l.direction, l.when, l.duration, l.outcome, l.subject, l.deal, l.campaign);
      return value;
    });
  }

  get rows(): number {
    return this.writer.rows;
  }

  /** One activity; `durationSec` < 0 for none. */
  add(contactId: string, employeeId: string, type: ActivityType, inbound: boolean, t: number, durationSec: number, outcome: string, subject: string, dealId = '', campaignId = ''): void {
    const l = this.last;
    l.contact = contactId;
    l.employee = employeeId;
    l.type = type;
    l.direction = inbound ? 'Inbound' : 'Outbound';
    l.when = crmDateTime(t);
    l.duration = durationSec < 0 ? '' : String(Math.round(durationSec));
    l.outcome = outcome;
    l.subject = csv(subject);
    l.deal = dealId;
    l.campaign = campaignId;
    this.line(l.contact, l.employee, l.type, l.direction, l.when, l.duration, l.outcome, l.subject, l.deal, l.campaign);
    this.bad.after(this.handle);
  }

  private line(contact: string, employee: string, type: string, direction: string, when: string, duration: string, outcome: string, subject: string, deal: string, campaign: string): void {
    this.writer.row(`${crmId(prefixes.task, ++this.seq)},${contact},${employee},${type},${direction},${when},${duration},${outcome},${subject},${deal},${campaign}`);
  }
}
