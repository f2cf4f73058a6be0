import { hostname } from 'node:os';
import type { JobsConfig, NotifyEvent } from './config.ts';
import type { Logger } from './log.ts';
import { sleep } from './retry.ts';

export interface Notification {
  event: NotifyEvent;
  severity: 'info' | 'warning' | 'error';
  /** One human line; Slack and Teams incoming webhooks show it as the message. */
  text: string;
  [key: string]: unknown;
}

export type Notifier = (n: Notification) => Promise<void>;

/**
 * Sends notifications: always to the log; to the webhook (POST, JSON body) when the config has one
 * and lists the event. A webhook that fails is retried twice and then logged — it never fails a job.
 *
 * Body: `{ event, severity, text, job?, job_run_id?, run_date?, step?, error?, source?, status?, age_s?, host, sent_at }`.
 */
export function createNotifier(config: Pick<JobsConfig, 'webhook'>, log: Logger, fetchImpl: typeof fetch = fetch): Notifier {
  return async (n) => {
    log(n.severity === 'error' ? 'error' : n.severity === 'warning' ? 'warn' : 'info', `notify: ${n.text}`, { event: n.event });
    const w = config.webhook;
    if (!w || !w.events.includes(n.event)) return;
    const body = JSON.stringify({ ...n, host: hostname(), sent_at: new Date().toISOString() });
    let lastError = '';
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const res = await fetchImpl(w.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...w.headers },
          body,
          signal: AbortSignal.timeout(w.timeoutMs),
        });
        if (res.ok) return;
        lastError = `HTTP ${res.status}`;
      } catch (e) {
        lastError = (e as Error).message;
      }
      if (attempt < 3) await sleep(attempt * 1000);
    }
    log('error', 'webhook failed', { event: n.event, url: redact(w.url), error: lastError });
  };
}

/** The webhook URL without its query string or path secrets, for the log. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid url)';
  }
}
