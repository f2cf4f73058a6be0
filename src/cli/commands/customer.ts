import { AppError } from '../../errors.ts';
import { customerCard, type CustomerCard } from '../../models/clv/customer-card.ts';
import { formatTable } from '../format.ts';
import type { RegisterCommands } from './index.ts';

const money = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : '—');
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/** The card as text: profile, model scores, then the history oldest first. */
export function describeCustomerCard(card: CustomerCard): string {
  const p = card.profile;
  const lines: string[] = [];
  const title = [`customer ${p.customer_id}`, p.name, p.email, p.account && `(${p.account})`].filter(Boolean).join(' · ');
  lines.push(title, '─'.repeat(Math.min(80, title.length)));
  const facts: [string, unknown][] = [
    ['lifecycle', p.lifecycle_stage],
    ['country', p.country],
    ['job title', p.job_title],
    ['acquired', p.acquired_at && `${String(p.acquired_at).slice(0, 10)}${p.acquisition_channel ? ` via ${p.acquisition_channel}` : ''}`],
    ['consent', p.do_not_contact ? 'do not contact' : p.email_opt_in === true ? 'e-mail opt-in' : p.email_opt_in === false ? 'no e-mail opt-in' : null],
    ['orders', `${p.orders} (${p.purchases} purchases, net ${money(p.net_revenue)})${p.first_order_at ? `, ${String(p.first_order_at).slice(0, 10)} … ${String(p.last_order_at).slice(0, 10)}` : ''}`],
    ['source ids', p.source_ids],
  ];
  for (const [k, v] of facts) if (v !== null && v !== undefined && v !== '') lines.push(`${k.padEnd(11)} ${v}`);
  lines.push('');
  const v = card.value;
  if (v) {
    lines.push(`Value (clv run ${v.run_id}, as of ${v.as_of_date})`);
    lines.push(`  CLV, next ${v.horizon_months} months   ${money(v.clv)}`);
    lines.push(`  P(alive)                 ${pct(v.p_alive)}${v.p_alive_previous !== null ? ` (previous run ${pct(v.p_alive_previous)})` : ''}`);
    lines.push(`  expected purchases       ${v.expected_purchases.toFixed(2)} in ${v.horizon_months} months`);
    lines.push(`  expected spend/purchase  ${money(v.expected_mean_spend)}`);
    lines.push(`  churn tier               ${v.churn_tier}${v.reason ? ` — ${v.reason}` : ''}`);
    lines.push(`  history in model         ${v.frequency} repeat purchase days, last ${v.recency} / tenure ${v.tenure} ${v.time_unit}s, revenue ${money(v.total_revenue)} (percentile ${Math.round(100 * v.value_percentile)})`);
  } else {
    lines.push('Value: not scored — no purchase by the last clv run, or the clv model has not run (crm models run clv).');
  }
  lines.push('', `History (oldest first${card.truncated ? `, the latest ${card.history.length} events` : ''})`);
  lines.push(
    card.history.length
      ? formatTable(
          card.history.map((e) => ({ when: String(e.at).replace('T', ' ').slice(0, 16), kind: e.kind, event: e.event, ref: e.ref_id, channel: e.channel, amount: e.amount, by: e.employee, detail: e.detail })),
        )
      : '(no events)',
  );
  return lines.join('\n');
}

export const register: RegisterCommands = (program, ctx) => {
  program
    .command('customer')
    .description('the customer card: profile, CLV, P(alive), churn tier and the chronological history')
    .argument('<id>', 'customer id, e-mail address, or an external id (system:id)')
    .option('--limit <n>', 'the latest n events of the history', '50')
    .option('--json', 'print the card as JSON')
    .addHelpText('after', '\nExamples:\n  crm customer 42\n  crm customer jane@example.com --limit 200\n  crm customer shop:10045 --json')
    .action(async (id: string, opts: { limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new AppError('VALIDATION', '--limit expects a positive integer');
      const card = await customerCard(await ctx.warehouse(), id, { limit });
      ctx.out(opts.json ? JSON.stringify(card, null, 2) : describeCustomerCard(card));
    });
};
