/* crm-analytics dashboard client: draws KPI tiles, Vega-Lite charts and tables from the panel data API
 * (server mode) or from the data inlined in the page (static export). Plain browser script, no build step. */
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('dashboard-config').textContent);
  var views = {};
  var generation = 0;

  // ---- number formatting (KPI tiles and tables) ----
  function fmt(value, format, opts) {
    if (value === null || value === undefined || (typeof value === 'number' && !isFinite(value))) return '–';
    if (format === 'datetime') {
      var m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(String(value));
      return m ? m[1] + ' ' + m[2] + ' UTC' : String(value);
    }
    var compact = opts && opts.compact && Math.abs(value) >= 100000;
    switch (format) {
      case 'percent':
        return new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(value);
      case 'currency':
        return new Intl.NumberFormat('en-US', Object.assign(
          config.currency ? { style: 'currency', currency: config.currency } : {},
          compact ? { notation: 'compact', maximumFractionDigits: 2 } : { maximumFractionDigits: 2, minimumFractionDigits: 2 })).format(value);
      case 'integer':
        return new Intl.NumberFormat('en-US', compact ? { notation: 'compact', maximumFractionDigits: 2 } : { maximumFractionDigits: 0 }).format(value);
      case 'decimal':
        return new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(value);
      case 'days':
        return new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(value) + ' d';
      case 'hours':
        return new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(value) + ' h';
      default:
        return String(value);
    }
  }

  /** "+12.3 % vs previous period"; percentages change in percentage points. */
  function changeText(row, format) {
    if (row.previous_value === null || row.previous_value === undefined) return { text: 'no previous period to compare', dir: '' };
    var dir = row.change > 0 ? 'up' : row.change < 0 ? 'down' : 'flat';
    var arrow = dir === 'up' ? '▲' : dir === 'down' ? '▼' : '■';
    var amount;
    if (format === 'percent') amount = (row.change >= 0 ? '+' : '−') + Math.abs(row.change * 100).toFixed(1) + ' pp';
    else if (row.change_pct !== null && row.change_pct !== undefined) amount = (row.change_pct >= 0 ? '+' : '−') + Math.abs(row.change_pct * 100).toFixed(1) + ' %';
    else amount = (row.change >= 0 ? '+' : '−') + fmt(Math.abs(row.change), format, { compact: true });
    return { text: arrow + ' ' + amount + ' vs previous period', dir: dir };
  }

  // ---- filters ----
  function currentQuery() {
    var form = document.getElementById('filters');
    var qs = new URLSearchParams();
    if (!form) {
      config.filterKeys.forEach(function (k) { if (config.state[k] !== null && config.state[k] !== undefined) qs.set(k, config.state[k]); });
      return qs;
    }
    config.filterKeys.forEach(function (k) {
      var el = form.elements[k];
      if (el && el.value !== '') qs.set(k, el.value);
    });
    return qs;
  }

  function setStatus(text) {
    var s = document.querySelector('.filter-status');
    if (s) s.textContent = text || '';
  }

  // ---- data ----
  function fetchPanel(id, qs) {
    if (config.mode === 'static') return Promise.resolve(config.data[id]);
    return fetch(config.apiBase + '/panels/' + encodeURIComponent(id) + '?' + qs.toString(), { headers: { accept: 'application/json' } })
      .then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) throw new Error(body && body.error ? body.error.message : 'HTTP ' + res.status);
          return body;
        });
      });
  }

  function csvHref(id, result, qs) {
    if (config.mode !== 'static') return config.apiBase + '/panels/' + encodeURIComponent(id) + '?' + qs.toString() + (qs.toString() ? '&' : '') + 'format=csv';
    var cols = result.columns.map(function (c) { return c.name; });
    var cell = function (v) {
      if (v === null || v === undefined) return '';
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      var s = typeof v === 'object' ? JSON.stringify(v) : String(v);
      if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
      return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    };
    var lines = [cols.map(cell).join(',')].concat(result.rows.map(function (r) { return cols.map(function (c) { return cell(r[c]); }).join(','); }));
    return 'data:text/csv;charset=utf-8,' + encodeURIComponent(lines.join('\r\n') + '\r\n');
  }

  // ---- rendering ----
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function htmlTable(columns, rows, maxRows, caption) {
    var table = el('table');
    if (caption) table.appendChild(el('caption', { class: 'visually-hidden' }, caption));
    var thead = el('thead');
    var tr = el('tr');
    columns.forEach(function (c) { tr.appendChild(el('th', { scope: 'col', class: c.numeric ? 'num' : '' }, c.title)); });
    thead.appendChild(tr);
    table.appendChild(thead);
    var tbody = el('tbody');
    rows.slice(0, maxRows).forEach(function (r) {
      var row = el('tr');
      columns.forEach(function (c) {
        var v = r[c.field];
        row.appendChild(el('td', { class: c.numeric ? 'num' : '' }, v === null || v === undefined ? '' : c.format ? fmt(v, c.format) : typeof v === 'object' ? JSON.stringify(v) : String(v)));
      });
      tbody.appendChild(row);
    });
    table.appendChild(tbody);
    return table;
  }

  function isNumericType(t) { return /INT|DECIMAL|DOUBLE|FLOAT|REAL/.test(t); }

  function renderKpi(k, result) {
    var tile = document.getElementById('kpi-' + k.id);
    var value = tile.querySelector('.value');
    var change = tile.querySelector('.change');
    change.className = 'change';
    if (result.empty) {
      value.textContent = '–';
      change.textContent = result.empty.message;
      return;
    }
    var row = result.rows[0];
    value.textContent = fmt(row.value, k.format, { compact: true });
    value.title = fmt(row.value, k.format);
    var c = changeText(row, k.format);
    change.textContent = c.text;
    if (c.dir === 'up' || c.dir === 'down') change.classList.add(c.dir);
    if (k.better === 'down') change.classList.add('bad-when-up');
    var prev = tile.querySelector('.previous') || tile.appendChild(el('p', { class: 'previous' }));
    prev.textContent = row.previous_value === null ? '' : 'Previous period: ' + fmt(row.previous_value, k.format);
  }

  function renderPanel(p, result, qs) {
    var section = document.getElementById('panel-' + p.id);
    var chart = section.querySelector('.chart');
    var link = section.querySelector('.csv-link');
    link.href = csvHref(p.id, result, qs);
    var dataTable = section.querySelector('.data-table .table-scroll');
    dataTable.textContent = '';
    if (views[p.id]) { views[p.id].finalize(); delete views[p.id]; }
    chart.textContent = '';
    chart.removeAttribute('aria-busy');
    section.dataset.rows = String(result.rows.length);
    section.dataset.version = String(result.dataVersion);
    if (result.empty) {
      chart.appendChild(el('p', { class: 'empty-state' }, result.empty.message));
      section.dataset.state = 'empty';
      return Promise.resolve();
    }
    var cols = result.columns.map(function (c) { return { field: c.name, title: c.name, numeric: isNumericType(c.type) }; });
    dataTable.appendChild(htmlTable(cols, result.rows, 200, p.title));
    if (p.kind === 'table') {
      var tcols = p.columns.map(function (c) { return { field: c.field, title: c.title, format: c.format === 'text' ? null : c.format, numeric: c.format !== 'text' && c.format !== 'datetime' }; });
      var wrap = el('div', { class: 'table-scroll' });
      wrap.appendChild(htmlTable(tcols, result.rows, p.maxRows, p.title));
      if (result.rows.length > p.maxRows) wrap.appendChild(el('p', { class: 'description' }, 'Showing ' + p.maxRows + ' of ' + result.rows.length + ' rows; the CSV has them all.'));
      chart.appendChild(wrap);
      section.dataset.state = 'drawn';
      return Promise.resolve();
    }
    var spec = JSON.parse(JSON.stringify(p.spec));
    if (result.params && typeof result.params.granularity === 'string') spec = periodAxes(spec, result.params.granularity, result.rows);
    spec.data = { values: result.rows };
    if (config.mode === 'static') spec.width = Math.max(280, (chart.clientWidth || 640) - 10);
    return vegaEmbed(chart, spec, { renderer: 'svg', actions: false }).then(function (res) {
      views[p.id] = res.view;
      var svg = chart.querySelector('svg');
      if (svg) {
        svg.setAttribute('role', 'img');
        svg.setAttribute('aria-label', p.title + '. ' + (spec.description || ''));
      }
      section.dataset.state = 'drawn';
    });
  }

  // One tick per period on period axes, labelled for the granularity (mirrors periodAxes in spec.ts, used by the SVG export).
  var periodTicks = {
    day: { tickCount: { interval: 'day', step: 1 }, format: '%b %d' },
    week: { tickCount: { interval: 'week', step: 1 }, format: '%b %d' },
    month: { tickCount: { interval: 'month', step: 1 }, format: '%b %Y' },
    quarter: { tickCount: { interval: 'month', step: 3 }, format: 'Q%q %Y' },
  };
  function periodAxes(node, granularity, rows) {
    var t = periodTicks[granularity];
    var periods = {};
    rows.forEach(function (r) { periods[r.period] = true; });
    if (!t || Object.keys(periods).length > 16) return node;
    (function walk(n) {
      if (Array.isArray(n)) return n.forEach(walk);
      if (!n || typeof n !== 'object') return;
      Object.keys(n).forEach(function (k) { walk(n[k]); });
      var x = n.encoding && n.encoding.x;
      if (x && x.field === 'period' && x.type === 'temporal' && x.axis !== null) {
        var axis = x.axis || {};
        if (!('tickCount' in axis) && !('format' in axis) && !('labelExpr' in axis)) {
          x.axis = Object.assign({}, axis, { tickCount: t.tickCount, labelExpr: "utcFormat(datum.value, '" + t.format + "')" });
        }
      }
    })(node);
    return node;
  }

  function showError(id, message) {
    var section = document.getElementById('panel-' + id) || document.getElementById('kpi-' + id);
    if (!section) return;
    var target = section.querySelector('.chart') || section.querySelector('.value');
    target.textContent = '';
    target.appendChild(el('p', { class: 'panel-error', role: 'alert' }, 'Could not load: ' + message));
    section.dataset.state = 'error';
  }

  function loadAll() {
    var mine = ++generation;
    var qs = currentQuery();
    document.body.dataset.loading = 'true';
    setStatus('');
    var jobs = config.kpis.map(function (k) {
      return fetchPanel(k.id, qs).then(function (r) { if (mine === generation) renderKpi(k, r); }, function (e) { if (mine === generation) showError(k.id, e.message); });
    }).concat(config.panels.map(function (p) {
      return fetchPanel(p.id, qs).then(function (r) { if (mine === generation) return renderPanel(p, r, qs); }, function (e) { if (mine === generation) { showError(p.id, e.message); setStatus(e.message); } });
    }));
    return Promise.all(jobs).then(function () {
      if (mine === generation) document.body.dataset.loading = 'false';
    });
  }

  var form = document.getElementById('filters');
  if (form && config.mode !== 'static') {
    var onChange = function (event) {
      if (event) event.preventDefault();
      var qs = currentQuery();
      history.replaceState(null, '', location.pathname + (qs.toString() ? '?' + qs.toString() : ''));
      loadAll();
    };
    form.addEventListener('change', onChange);
    form.addEventListener('submit', onChange);
  }
  loadAll();
})();
