import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropoffCustomers, saveFunnelRun } from '../../../src/models/funnel/runs.ts';
import { parseStageConfig } from '../../../src/models/funnel/stage-config.ts';
import { stageFunnel } from '../../../src/models/funnel/stage-funnel.ts';
import { runReport } from '../../../src/models/reports/index.ts';
import type { ReportRow } from '../../../src/models/reports/types.ts';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { tempDir } from '../../helpers.ts';

const stages = { pipelines: { sales: { stages: ['lead', 'qualified', 'proposal', 'negotiation'], won: ['won'], lost: ['closed_lost'] } } };
const range = { from: '2024-01-01', to: '2024-03-31' };
const pick = (rows: ReportRow[], keys: string[]) => rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]])));

let wh: Warehouse;
let cleanup: () => void;

/**
 * Pipeline 'sales': lead → qualified → proposal → negotiation → won.
 * D1 won through every stage; D2 lost in qualified ('price'); D3 open in proposal; D4 won, skipping qualified;
 * D5 lost in lead ('no budget'); D6 no history, current stage Proposal (open); D7 no history, closed_lost ('price').
 * Days in stage (completed visits): lead D1 2, D2 2, D3 1, D4 1, D5 2; qualified D1 7, D2 10, D3 2; proposal D1 10, D4 10
 * (D3's visit is still open); negotiation D1 5, D4 3.
 */
beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  wh = await Warehouse.open(`${t.dir}/f.duckdb`);
  await wh.run(`insert into employees (employee_id, name, team) values ('E1', 'Ann', 'North'), ('E2', 'Bob', 'South')`);
  await wh.run(`insert into customers (customer_id, region) values (1, 'EMEA'), (2, 'EMEA'), (3, 'APAC')`);
  await wh.run(`insert into deals (deal_id, customer_id, pipeline, stage, status, amount, owner_id, source, created_at, closed_at, lost_reason) values
    ('D1', 1, 'sales', 'Won', 'won', 100, 'E1', 'web', '2024-01-01', '2024-01-25', null),
    ('D2', 2, 'sales', 'closed_lost', 'lost', 200, 'E1', 'web', '2024-01-02', '2024-01-14', 'price'),
    ('D3', 3, 'sales', 'proposal', 'open', 300, 'E2', 'event', '2024-01-05', null, null),
    ('D4', 1, 'sales', 'won', 'won', 400, 'E2', 'event', '2024-02-01', '2024-02-15', null),
    ('D5', 2, 'sales', 'closed_lost', 'lost', 500, 'E2', null, '2024-02-03', '2024-02-05', 'no budget'),
    ('D6', 3, 'sales', 'Proposal', 'open', 600, 'E1', 'web', '2024-02-10', null, null),
    ('D7', 3, 'sales', 'closed_lost', 'lost', 700, 'E1', 'web', '2024-02-11', '2024-02-20', 'price'),
    ('D8', 1, 'sales', 'lead', 'open', 50, 'E1', 'web', '2023-12-31', null, null)`);
  await wh.run(`insert into deal_stage_history (deal_id, stage, entered_at, exited_at) values
    ('D1', 'lead', '2024-01-01', '2024-01-03'), ('D1', 'qualified', '2024-01-03', '2024-01-10'), ('D1', 'proposal', '2024-01-10', '2024-01-20'),
    ('D1', 'negotiation', '2024-01-20', '2024-01-25'), ('D1', 'won', '2024-01-25', null),
    ('D2', 'lead', '2024-01-02', '2024-01-04'), ('D2', 'qualified', '2024-01-04', '2024-01-14'), ('D2', 'closed_lost', '2024-01-14', null),
    ('D3', 'lead', '2024-01-05', '2024-01-06'), ('D3', 'qualified', '2024-01-06', '2024-01-08'), ('D3', 'proposal', '2024-01-08', null),
    ('D4', 'lead', '2024-02-01', '2024-02-02'), ('D4', 'proposal', '2024-02-02', '2024-02-12'), ('D4', 'negotiation', '2024-02-12', '2024-02-15'),
    ('D4', 'won', '2024-02-15', null),
    ('D5', 'lead', '2024-02-03', '2024-02-05'), ('D5', 'closed_lost', '2024-02-05', null)`);
});
afterAll(async () => {
  await wh.close();
  cleanup();
});

const cols = ['stage_index', 'stage', 'reached', 'entered', 'advanced', 'won', 'lost_here', 'open_here', 'conversion_to_next', 'conversion_to_won', 'drop_off_rate'];

describe('deal stage funnel', () => {
  it('counts reached, entered, advanced, won, lost and open per stage from history, inferring deals without it', async () => {
    // D8 was created in 2023: out of range. Reached = got to the stage or later (D4 reached qualified by skipping it).
    // lead: all 7; entered D1–D5; advanced all but D5, D7; won D1, D4; lost here D5, D7 (D7: stage unknown → first stage).
    // qualified: D1 D2 D3 D4 D6; entered D1 D2 D3; advanced D1 D3 D4 D6; lost D2.
    // proposal: D1 D3 D4 D6; entered D1 D3 D4; advanced D1 D4; open D3 D6. negotiation: D1 D4, both won.
    const f = await stageFunnel(wh, { ...range, stages });
    expect(pick(f.rows, cols)).toEqual([
      { stage_index: 1, stage: 'lead', reached: 7, entered: 5, advanced: 5, won: 2, lost_here: 2, open_here: 0, conversion_to_next: 0.7143, conversion_to_won: 0.2857, drop_off_rate: 0.2857 },
      { stage_index: 2, stage: 'qualified', reached: 5, entered: 3, advanced: 4, won: 2, lost_here: 1, open_here: 0, conversion_to_next: 0.8, conversion_to_won: 0.4, drop_off_rate: 0.2 },
      { stage_index: 3, stage: 'proposal', reached: 4, entered: 3, advanced: 2, won: 2, lost_here: 0, open_here: 2, conversion_to_next: 0.5, conversion_to_won: 0.5, drop_off_rate: 0 },
      { stage_index: 4, stage: 'negotiation', reached: 2, entered: 2, advanced: 2, won: 2, lost_here: 0, open_here: 0, conversion_to_next: 1, conversion_to_won: 1, drop_off_rate: 0 },
      { stage_index: 5, stage: 'won', reached: 2, entered: 2, advanced: null, won: 2, lost_here: 0, open_here: 0, conversion_to_next: null, conversion_to_won: 1, drop_off_rate: null },
    ]);
    // Time in stage: lead [1,1,2,2,2] → p50 2, p75 2, p90 2; qualified [2,7,10] → 7, 8.5, 9.4; proposal [10,10]; negotiation [3,5] → 4, 4.5, 4.8.
    expect(pick(f.rows, ['days_in_stage_p50', 'days_in_stage_p75', 'days_in_stage_p90', 'timed_deals'])).toEqual([
      { days_in_stage_p50: 2, days_in_stage_p75: 2, days_in_stage_p90: 2, timed_deals: 5 },
      { days_in_stage_p50: 7, days_in_stage_p75: 8.5, days_in_stage_p90: 9.4, timed_deals: 3 },
      { days_in_stage_p50: 10, days_in_stage_p75: 10, days_in_stage_p90: 10, timed_deals: 2 },
      { days_in_stage_p50: 4, days_in_stage_p75: 4.5, days_in_stage_p90: 4.8, timed_deals: 2 },
      { days_in_stage_p50: null, days_in_stage_p75: null, days_in_stage_p90: null, timed_deals: 0 },
    ]);
    expect(f.rows.map((r) => r.conversion_from_first)).toEqual([1, 0.7143, 0.5714, 0.2857, 0.2857]);
    expect(f.mode).toBe('mixed');
    expect(f.deals).toEqual({ total: 7, history: 5, currentStage: 1, lostStageUnknown: 1, excluded: 0 });
    expect(f.assumptions).toEqual([
      '2 of 7 deals have no stage history. 1 of them is assumed to have passed through every stage before its current stage in the pipeline order (sales: lead → qualified → proposal → negotiation), and won deals through every stage. Their entries and time in stage are unknown.',
      '1 lost deal has no stage history and a closing-lost stage, so the stage it was lost at is unknown: it counts as lost at the first stage, the only one it is known to have entered.',
    ]);
  });

  it('lists lost reasons at the stage the deal was lost', async () => {
    const r = await runReport(wh, 'funnel-lost-reasons', { ...range, stages });
    expect(pick(r.rows, ['stage', 'lost_reason', 'deals', 'share_of_stage_losses', 'amount'])).toEqual([
      { stage: 'lead', lost_reason: 'no budget', deals: 1, share_of_stage_losses: 0.5, amount: 500 },
      { stage: 'lead', lost_reason: 'price', deals: 1, share_of_stage_losses: 0.5, amount: 700 },
      { stage: 'qualified', lost_reason: 'price', deals: 1, share_of_stage_losses: 1, amount: 200 },
    ]);
  });

  it('uses only deals with history in history mode', async () => {
    // D6 and D7 are left out: lead reached D1–D5, advanced D1–D4, lost D5.
    const f = await stageFunnel(wh, { ...range, stages, mode: 'history' });
    expect(pick(f.rows.slice(0, 2), ['stage', 'reached', 'advanced', 'lost_here'])).toEqual([
      { stage: 'lead', reached: 5, advanced: 4, lost_here: 1 },
      { stage: 'qualified', reached: 4, advanced: 3, lost_here: 1 },
    ]);
    expect(f.mode).toBe('history');
    expect(f.notes.join(' ')).toMatch(/Left out \(mode history\): 2 deals/);
  });

  it('splits by creation cohort and a breakdown, filling stages nobody reached with zeros', async () => {
    // current_stage mode ignores history. February, Ann (E1): D6 open in Proposal (lead → proposal), D7 lost at lead (unknown).
    const f = await stageFunnel(wh, { ...range, stages, mode: 'current_stage', cohort: 'month', breakdown: 'rep' });
    const febAnn = f.rows.filter((r) => r.cohort === '2024-02-01' && r.breakdown === 'Ann');
    expect(pick(febAnn, ['stage', 'reached', 'entered', 'advanced', 'lost_here', 'open_here', 'conversion_to_next'])).toEqual([
      { stage: 'lead', reached: 2, entered: null, advanced: 1, lost_here: 1, open_here: 0, conversion_to_next: 0.5 },
      { stage: 'qualified', reached: 1, entered: null, advanced: 1, lost_here: 0, open_here: 0, conversion_to_next: 1 },
      { stage: 'proposal', reached: 1, entered: null, advanced: 0, lost_here: 0, open_here: 1, conversion_to_next: 0 },
      { stage: 'negotiation', reached: 0, entered: null, advanced: 0, lost_here: 0, open_here: 0, conversion_to_next: null },
      { stage: 'won', reached: 0, entered: null, advanced: null, lost_here: 0, open_here: 0, conversion_to_next: null },
    ]);
    expect(new Set(f.rows.map((r) => `${r.cohort}/${r.breakdown}`))).toEqual(new Set(['2024-01-01/Ann', '2024-01-01/Bob', '2024-02-01/Ann', '2024-02-01/Bob']));
    expect(f.columns.map((c) => c.name).slice(0, 3)).toEqual(['pipeline', 'cohort', 'breakdown']);
    // Filter: source web → D1 (won), D2 (lost in qualified), D6 (open), D7 (lost, counted at lead).
    const web = await stageFunnel(wh, { ...range, stages, filters: { source: 'web' } });
    expect(web.rows[0]).toMatchObject({ stage: 'lead', reached: 4, won: 1, lost_here: 1, open_here: 0 });
  });

  it('infers the stage order from history when the pipeline is not configured, and says so', async () => {
    const f = await stageFunnel(wh, { ...range, stages: { pipelines: {} } });
    expect(f.pipelines[0]).toMatchObject({ pipeline: 'sales', stages: ['lead', 'qualified', 'proposal', 'negotiation'], won: ['won'], lost: ['closed_lost'], source: 'history' });
    expect(f.rows.map((r) => r.reached)).toEqual([7, 5, 4, 2, 2]);
    expect(f.assumptions[0]).toMatch(/^Stage order of pipeline 'sales' inferred from stage history: lead → qualified → proposal → negotiation/);
  });

  it('rejects bad parameters and stage orders with the key path', async () => {
    await expect(stageFunnel(wh, { breakdown: 'colour' })).rejects.toThrow(/breakdown: unknown breakdown 'colour'; valid: rep, rep_id, team/);
    await expect(stageFunnel(wh, { cohort: 'week' })).rejects.toThrow(/cohort/);
    expect(() => parseStageConfig({ pipelines: { p: { stages: ['a', 'A '], won: ['w'] } } }, 'stages.json')).toThrow(/stages\.json: pipelines\.p\.stages\.1: stage 'A' is listed twice/);
    expect(() => parseStageConfig({ pipelines: { p: { stages: [] } } }, 'stages.json')).toThrow(/pipelines\.p\.stages: list at least one open stage/);
  });

  it('saves a run with its stage results and the dropped deals for segments', async () => {
    const all = await saveFunnelRun(wh, 'stage', { ...range, stages });
    expect(all).toMatchObject({ kind: 'stage', stageRows: 5, dropoffs: 3 });
    const rows = await wh.all('select step, step_index, customer_id, deal_id, reason from funnel_dropoffs where run_id = $r order by deal_id', { r: all.runId });
    expect(rows).toEqual([
      { step: 'qualified', step_index: 2, customer_id: 2, deal_id: 'D2', reason: 'price' },
      { step: 'lead', step_index: 1, customer_id: 2, deal_id: 'D5', reason: 'no budget' },
      { step: 'lead', step_index: 1, customer_id: 3, deal_id: 'D7', reason: 'price' },
    ]);
    const lead = await saveFunnelRun(wh, 'stage', { ...range, stages }, { step: 'Lead' });
    expect(lead.dropoffs).toBe(2);
    expect(await dropoffCustomers(wh, lead.runId).execute()).toEqual([{ customer_id: 2 }, { customer_id: 3 }]);
    const [run] = await wh.all<{ kind: string; mode: string; params: string }>('select kind, mode, params::varchar as params from funnel_runs where run_id = $r', { r: lead.runId });
    expect(run).toMatchObject({ kind: 'stage', mode: 'mixed' });
    expect(JSON.parse(run.params)).toMatchObject({ step: 'Lead', mode: 'auto' });
    const stored = await wh.all('select stage, reached, advanced from funnel_stage_results where run_id = $r order by stage_index', { r: all.runId });
    expect(stored.map((r) => r.reached)).toEqual([7, 5, 4, 2, 2]);
    expect(stored.at(-1)).toMatchObject({ stage: 'won', advanced: 0 });
    await expect(saveFunnelRun(wh, 'stage', { ...range, stages }, { step: 'nowhere' })).rejects.toThrow(/unknown stage 'nowhere'; stages: lead, qualified, proposal, negotiation/);
  });
});

describe('deal stage funnel on a history-less export', () => {
  it('infers each deal\'s path from its current stage and the default stage order, and states the assumption', async () => {
    const t = tempDir();
    const w = await Warehouse.open(`${t.dir}/h.duckdb`);
    try {
      // Only the current stage (the demo's New Business order: Prospecting → Qualification → Needs Analysis →
      // Proposal/Price Quote → Negotiation/Review). H1 won; H2 open in Needs Analysis; H3 lost, stage Closed Lost
      // (lost where? unknown → first stage); H4 lost with its stage kept at Proposal/Price Quote; H5 open in Prospecting;
      // H6 in a stage the order does not know (left out).
      await w.run(`insert into deals (deal_id, customer_id, pipeline, stage, status, amount, created_at, closed_at) values
        ('H1', 1, 'New Business', 'Closed Won', 'won', 10, '2024-01-01', '2024-02-01'),
        ('H2', 2, 'New Business', 'Needs Analysis', 'open', 20, '2024-01-02', null),
        ('H3', 3, 'New Business', 'Closed Lost', 'lost', 30, '2024-01-03', '2024-01-20'),
        ('H4', 4, 'New Business', 'Proposal/Price Quote', 'lost', 40, '2024-01-04', '2024-02-20'),
        ('H5', 5, 'New Business', 'Prospecting', 'open', 50, '2024-01-05', null),
        ('H6', 6, 'New Business', 'Mystery', 'open', 60, '2024-01-06', null)`);
      const r = await runReport(w, 'funnel', range);
      // Prospecting: H1–H5 reached; advanced H1 H2 H4; lost H3; open H5. Qualification: H1 H2 H4, all advance.
      // Needs Analysis: H1 H2 H4; advanced H1 H4; open H2. Proposal: H1 H4; advanced H1; lost H4. Negotiation: H1, won.
      expect(pick(r.rows, cols)).toEqual([
        { stage_index: 1, stage: 'Prospecting', reached: 5, entered: null, advanced: 3, won: 1, lost_here: 1, open_here: 1, conversion_to_next: 0.6, conversion_to_won: 0.2, drop_off_rate: 0.2 },
        { stage_index: 2, stage: 'Qualification', reached: 3, entered: null, advanced: 3, won: 1, lost_here: 0, open_here: 0, conversion_to_next: 1, conversion_to_won: 0.3333, drop_off_rate: 0 },
        { stage_index: 3, stage: 'Needs Analysis', reached: 3, entered: null, advanced: 2, won: 1, lost_here: 0, open_here: 1, conversion_to_next: 0.6667, conversion_to_won: 0.3333, drop_off_rate: 0 },
        { stage_index: 4, stage: 'Proposal/Price Quote', reached: 2, entered: null, advanced: 1, won: 1, lost_here: 1, open_here: 0, conversion_to_next: 0.5, conversion_to_won: 0.5, drop_off_rate: 0.5 },
        { stage_index: 5, stage: 'Negotiation/Review', reached: 1, entered: null, advanced: 1, won: 1, lost_here: 0, open_here: 0, conversion_to_next: 1, conversion_to_won: 1, drop_off_rate: 0 },
        { stage_index: 6, stage: 'won', reached: 1, entered: null, advanced: null, won: 1, lost_here: 0, open_here: 0, conversion_to_next: null, conversion_to_won: 1, drop_off_rate: null },
      ]);
      expect(r.rows.every((x) => x.days_in_stage_p50 === null)).toBe(true);
      expect(r.meta.assumptions[0]).toMatch(/^5 of 5 deals have no stage history\. 4 of them are assumed to have passed through every stage before their current stage in the pipeline order \(New Business: Prospecting → Qualification → Needs Analysis → Proposal\/Price Quote → Negotiation\/Review\)/);
      expect(r.meta.assumptions[1]).toMatch(/^1 lost deal has no stage history and a closing-lost stage/);
      expect(r.meta.notes.join(' ')).toMatch(/Left out: 1 deal whose current stage is not in the pipeline's stage order/);
      // A pipeline with neither an order nor history cannot be funnelled: say how to fix it.
      await w.run(`insert into deals (deal_id, pipeline, stage, status, created_at) values ('X1', 'Partners', 'Intro', 'open', '2024-01-10')`);
      await expect(runReport(w, 'funnel', { ...range, pipeline: 'Partners' })).rejects.toThrow(/no stage order for pipeline 'Partners'.*add it to a stages file/);
      const both = await runReport(w, 'funnel', range);
      expect(both.meta.notes[0]).toMatch(/^Left out: no stage order for pipeline 'Partners'/);
    } finally {
      await w.close();
      t.cleanup();
    }
  });
});
