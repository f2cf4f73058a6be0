/**
 * Record ids as each source system writes them. The CRM uses Salesforce-style 15-character ids
 * (3-character object prefix + "Dn000" + 7 base-62 digits); the shop uses 13-digit numbers;
 * the help desk uses integers; billing uses "sub_" ids.
 */
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function base62(n: number, width: number): string {
  let s = '';
  let v = n;
  while (v > 0) {
    s = B62[v % 62] + s;
    v = Math.floor(v / 62);
  }
  return s.padStart(width, '0');
}

/** Salesforce key prefixes of the objects the CRM exports. */
export const prefixes = {
  account: '001',
  contact: '003',
  user: '005',
  opportunity: '006',
  history: '008',
  task: '00T',
  member: '00v',
  campaign: '701',
} as const;

export function crmId(prefix: string, n: number): string {
  return `${prefix}Dn000${base62(n, 7)}`;
}

/** Sequence numbers from which made-up ids of unknown records are drawn (never used by real rows). */
export const UNKNOWN_BASE = 3_000_000_000_000;

export const SHOP_CUSTOMER_BASE = 7_100_000_000_000;
export const SHOP_ORDER_BASE = 5_200_000_000_000;
export const SHOP_ORDER_NAME_BASE = 1001;
export const TICKET_BASE = 100_001;

export function subscriptionId(n: number): string {
  return `sub_1Q${base62(n * 7919 + 104_729, 12)}`;
}
