import { escapeHtml } from './html.ts';

export interface LayoutOptions {
  title: string;
  /** Already-escaped HTML for <main>. */
  body: string;
  /** Extra already-escaped HTML for <head> (scripts, inline styles). */
  head?: string;
  /** Navigation links shown in the header: [href, label]. */
  nav?: [string, string][];
  /** The current path, marked aria-current in the navigation. */
  current?: string;
  /** A file opened on its own (static export): no links back to a server. */
  standalone?: boolean;
}

/** The page shell every server page and the static export share. */
export function layout(o: LayoutOptions): string {
  const nav = (o.nav ?? [])
    .map(([href, label]) => `<a href="${escapeHtml(href)}"${href === o.current ? ' aria-current="page"' : ''}>${escapeHtml(label)}</a>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(o.title)}</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%23102a43'/%3E%3Crect x='3' y='8' width='2' height='5' fill='%23fff'/%3E%3Crect x='7' y='5' width='2' height='8' fill='%23fff'/%3E%3Crect x='11' y='3' width='2' height='10' fill='%23fff'/%3E%3C/svg%3E">
${o.head ?? ''}
</head>
<body>
<header class="site-header">${o.standalone ? '<span class="brand">crm-analytics</span>' : '<a class="brand" href="/">crm-analytics</a>'}${nav ? `<nav aria-label="Dashboards">${nav}</nav>` : ''}</header>
<main id="main">
${o.body}
</main>
</body>
</html>
`;
}
