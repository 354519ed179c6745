/*  views.js - the pages everyone has: the login, My recommendations, All
    recommendations, one recommendation, the report editor, the outbox
    (docs/WEB.md section 5). The coordinator's pages are in coord.js.
*/
'use strict';
(function () {
    const { t, tc } = NM.i18n;
    const A = NM.app;
    const h = A.h;

    /* --- login ------------------------------------------------------------ */

    NM.views.login = {
        title: 'Log in',
        async render() {
            const user = h('input', { type: 'text', autocomplete: 'username', required: true, 'data-test': 'login-user' });
            const pass = h('input', { type: 'password', autocomplete: 'current-password', required: true,
                                      'data-test': 'login-password' });
            const msg = h('div', { id: 'login-error', 'data-test': 'login-error', 'aria-live': 'assertive' });
            const button = h('button', { type: 'submit', class: 'primary', 'data-test': 'login-submit', text: t('Log in') });
            const form = h('form', { id: 'login', class: 'login', novalidate: true },
                           A.field('user', t('User name'), user),
                           A.field('password', t('Password'), pass),
                           button, msg);
            form.addEventListener('submit', async (ev) => {
                ev.preventDefault();
                msg.textContent = '';
                if (!user.value || !pass.value) {
                    A.showFieldErrors(form, [!user.value ? { field: 'user', code: 'required' } : null,
                                             !pass.value ? { field: 'password', code: 'required' } : null].filter(Boolean));
                    return;
                }
                button.disabled = true;
                try {
                    const r = await NM.api.login(user.value, pass.value, NM.i18n.lang);
                    await A.started(r.data);
                    A.go(A.defaultRoute());
                } catch (err) {
                    pass.value = '';
                    msg.appendChild(A.errorBox(err));
                    pass.focus();
                } finally {
                    button.disabled = false;
                }
            });
            return h('section', { class: 'login-page' }, h('h1', { text: t('Log in') }),
                     h('p', { text: t('Follow-up of the human rights recommendations: log in with the account your coordinator gave you.') }),
                     form);
        },
    };

    /* --- shared: filters as a form that rewrites the route's query ---------- */

    function filterForm(id, routeName, query, controls) {
        const form = h('form', { id, class: 'filters', role: 'search', 'aria-label': t('Filters') }, controls,
                       h('button', { type: 'submit', 'data-test': 'filter-apply', text: t('Apply') }),
                       h('button', { type: 'button', class: 'link', 'data-test': 'filter-reset', text: t('Reset'),
                                     onclick: () => A.go(routeName, [], {}) }));
        form.addEventListener('submit', (ev) => {
            ev.preventDefault();
            const q = {};
            for (const [k, v] of new FormData(form)) if (v) q[k] = v;
            A.go(routeName, [], q);
        });
        return form;
    }
    function anyOf(ctx, values, labelAny) {
        return [['', labelAny || t('Any')]].concat((values || []).map((v) => [v, tc(ctx, v)]));
    }
    /* A value set: the schema's (what the broker takes), else the
       vocabulary's keys (data/vocab, in the same order). */
    const schemaSet = (key, kind) => (A.state.schema && A.state.schema[key]) || NM.i18n.keys(kind);

    function staleNote(body) {
        if (!body || !body.stale) return null;
        return h('p', { class: 'warning', 'data-test': 'stale-note', role: 'note',
                        text: t('This page may be behind: the central server has not been heard from recently.') });
    }

    /* --- My recommendations ------------------------------------------------ */

    NM.views.mine = {
        title: 'My recommendations',
        live: true,
        async render(ctx) {
            const q = ctx.query;
            const body = await NM.api.mine({});
            const all = body.assignments || [];
            const counts = { assigned: all.length, overdue: 0, due_soon: 0 };
            for (const a of all) if (a.due) counts[a.due]++;
            const items = all.filter((a) => (!q.status || a.status === q.status) && (!q.due || a.due === q.due));
            const rows = items.map((a) => h('tr', { 'data-test': 'mine-row', 'data-rec': a.rec, 'data-key': a.rec,
                                                    class: a.due ? 'row-' + a.due : null },
                h('td', {}, A.copyable(a.rec, true)),
                h('td', {}, A.textEl('span', a.texts || a.text, { class: 'rec-text' })),
                h('td', { 'data-test': 'mine-role', text: tc('role', a.role) }),
                h('td', {}, A.statusBadge(a.status)),
                h('td', {}, NM.i18n.date(a.deadline)),
                h('td', { class: 'num' }, A.daysLeft(a), ' ', A.dueBadge(a.due))));
            const count = (label, n, key) => h('li', { 'data-test': 'count-' + key },
                                               h('span', { class: 'count', text: NM.i18n.num(n) }), ' ', label);
            return h('section', {},
                h('h1', { text: t('My recommendations') }),
                staleNote(body),
                h('ul', { class: 'counts', 'aria-label': t('Summary') },
                  count(t('assigned'), counts.assigned, 'assigned'),
                  count(tc('due', 'overdue'), counts.overdue, 'overdue'),
                  count(tc('due', 'due_soon'), counts.due_soon, 'due_soon')),
                filterForm('mine-filters', 'mine', q, [
                    A.field('status', tc('field', 'status'), A.select('status', anyOf('status', schemaSet('statuses', 'statuses')), q.status, { 'data-test': 'filter-status' })),
                    A.field('due', tc('field', 'due'), A.select('due', anyOf('due', ['overdue', 'due_soon']), q.due, { 'data-test': 'filter-due' })),
                ]),
                items.length
                    ? A.table(t('Shown: {n} of {total}', { n: NM.i18n.num(items.length), total: NM.i18n.num(all.length) }),
                              [t('Recommendation'), t('Text'), tc('field', 'role'), tc('field', 'status'),
                               tc('field', 'deadline'), t('Days left')], rows, { id: 'mine-table', 'data-test': 'mine-table' })
                    : h('p', { class: 'empty', 'data-test': 'empty', text: t('No recommendation here.') }));
        },
    };

    /* --- All recommendations ------------------------------------------------ */

    const PAGE = 50;
    NM.views.recs = {
        title: 'All recommendations',
        live: true,
        async render(ctx) {
            const q = ctx.query;
            const page = Math.max(1, parseInt(q.page, 10) || 1);
            /* Withdrawn recommendations are left out unless the coordinator
               asks for them (the agent's rec.list hides them). */
            const withdrawn = A.isCoordinator() && q.withdrawn === 'true';
            const body = await NM.api.recs({ scope: q.scope, status: q.status, mechanism: q.mechanism, due: q.due,
                                             q: q.q, withdrawn: withdrawn ? 'true' : undefined,
                                             offset: (page - 1) * PAGE, limit: PAGE });
            const total = body.total || 0;
            const pages = Math.max(1, Math.ceil(total / PAGE));
            const rows = (body.recs || []).map((r) => h('tr', { 'data-test': 'rec-row', 'data-rec': r.id, 'data-key': r.id,
                                                                class: r.withdrawn ? 'row-withdrawn' : null },
                h('td', {}, A.recLink(r.id), r.withdrawn ? [' ', h('span', { class: 'badge withdrawn', 'data-test': 'withdrawn-badge',
                                                                              text: t('Withdrawn') })] : null),
                h('td', { text: tc('mechanism', r.mechanism) }),
                h('td', {}, A.textEl('span', r.texts || r.text, { class: 'rec-text' })),
                h('td', {}, A.statusBadge(r.status)),
                h('td', {}, r.lead ? A.entityEl(r.lead) : h('span', { class: 'muted', text: t('Not assigned') })),
                h('td', {}, NM.i18n.date(r.deadline), ' ', A.dueBadge(r.due))));
            const pageLink = (p, label, test) => h('a', { href: '#/recs' + NM.api.query(Object.assign({}, q, { page: p })),
                                                        'data-test': test, text: label });
            return h('section', {},
                h('h1', { text: t('All recommendations') }),
                staleNote(body),
                filterForm('recs-filters', 'recs', q, [
                    A.field('q', t('Search'), h('input', { type: 'search', value: q.q || '', maxlength: 256, 'data-test': 'filter-q' })),
                    A.field('scope', tc('field', 'scope'), A.select('scope', [['all', t('All')], ['ours', t('Ours')],
                        ['lead', tc('role', 'lead')], ['contributor', tc('role', 'contributor')]], q.scope, { 'data-test': 'filter-scope' })),
                    A.field('status', tc('field', 'status'), A.select('status', anyOf('status', schemaSet('statuses', 'statuses')), q.status, { 'data-test': 'filter-status' })),
                    A.field('mechanism', tc('field', 'mechanism'), A.select('mechanism', anyOf('mechanism', schemaSet('mechanisms', 'mechanisms')), q.mechanism, { 'data-test': 'filter-mechanism' })),
                    A.field('due', tc('field', 'due'), A.select('due', anyOf('due', ['overdue', 'due_soon']), q.due, { 'data-test': 'filter-due' })),
                    A.isCoordinator()
                        ? h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'withdrawn', value: 'true', checked: withdrawn,
                                                                      'data-test': 'filter-withdrawn' }), ' ', t('Show withdrawn'))
                        : null,
                ]),
                h('p', { 'data-test': 'recs-total', text: t('Found: {n}', { n: NM.i18n.num(total) }) }),
                rows.length
                    ? A.table(null, [t('Recommendation'), tc('field', 'mechanism'), t('Text'), tc('field', 'status'),
                                     tc('field', 'lead'), tc('field', 'deadline')], rows, { id: 'recs-table', 'data-test': 'recs-table' })
                    : h('p', { class: 'empty', 'data-test': 'empty', text: t('No recommendation here.') }),
                h('nav', { class: 'pager', 'aria-label': t('Pages') },
                  page > 1 ? pageLink(page - 1, t('Previous page'), 'page-prev') : null,
                  h('span', { 'data-test': 'page-of', text: t('Page {page} of {pages}', { page: NM.i18n.num(page), pages: NM.i18n.num(pages) }) }),
                  page < pages ? pageLink(page + 1, t('Next page'), 'page-next') : null));
        },
    };

    /* --- one recommendation ------------------------------------------------ */

    function evidenceList(urls) {
        const ok = (u) => /^https?:\/\//i.test(u);
        if (!urls || !urls.length) return null;
        return h('ul', { class: 'evidence', 'data-test': 'evidence' }, urls.map((u) => h('li', {},
            ok(u) ? h('a', { href: u, rel: 'noopener noreferrer', target: '_blank', text: u }) : h('span', { text: u }))));
    }

    function dl(pairs) {
        return h('dl', { class: 'facts' }, pairs.filter((p) => p && p[1] !== undefined && p[1] !== null && p[1] !== '')
            .map(([k, v, test]) => [h('dt', { text: k }), h('dd', { 'data-test': test || null }, v)]));
    }

    function reportEl(r) {
        return h('article', { class: 'report report-' + r.state, 'data-test': 'report', 'data-report': r.id, 'data-key': 'report-' + r.id },
            h('h3', {}, t('Report {n}', { n: r.id }), ' ',
              h('span', { class: 'badge rs-' + r.state, 'data-test': 'report-state', 'data-state': r.state, text: tc('report_state', r.state) })),
            dl([[tc('field', 'status'), A.statusBadge(r.status)],
                [tc('field', 'date'), NM.i18n.date(r.date)],
                [tc('field', 'entity'), r.entity ? A.entityEl(r.entity) : null],
                [tc('field', 'by'), r.by],
                [t('Submitted'), NM.i18n.dateTime(r.submitted)],
                [t('Decided'), r.decided ? NM.i18n.dateTime(r.decided) : null],
                [tc('field', 'reason'), r.reason ? h('span', { dir: 'auto', text: r.reason }) : null, 'report-reason']]),
            h('div', { class: 'narrative', dir: 'auto', 'data-test': 'report-narrative', text: r.narrative || '' }),
            evidenceList(r.evidence),
            r.indicator_values && r.indicator_values.length ? pointsTable(t('Indicator values'), r.indicator_values) : null);
    }

    function pointsTable(caption, points, unit) {
        return A.table(caption, [tc('field', 'date'), tc('field', 'value')],
            points.map((p) => h('tr', {}, h('td', { text: NM.i18n.date(p.date) }),
                                 h('td', { class: 'num', text: NM.i18n.num(p.value) + (unit ? ' ' + unit : '') }))));
    }

    /* A small line of the progress values, with baseline and target as
       lines; decorative (the table says the same), so aria-hidden. */
    function sparkline(ind, progress) {
        const pts = (progress || []).filter((p) => isFinite(Number(p.value)));
        if (pts.length < 1) return null;
        const W = 240, H = 60, P = 4;
        const vals = pts.map((p) => Number(p.value)).concat([Number(ind.target)]);
        if (ind.baseline !== undefined) vals.push(Number(ind.baseline));
        let lo = Math.min(...vals), hi = Math.max(...vals);
        if (hi === lo) { hi += 1; lo -= 1; }
        const y = (v) => H - P - ((v - lo) / (hi - lo)) * (H - 2 * P);
        const x = (i) => pts.length === 1 ? W / 2 : P + i * ((W - 2 * P) / (pts.length - 1));
        const line = pts.map((p, i) => x(i).toFixed(1) + ',' + y(Number(p.value)).toFixed(1)).join(' ');
        return h('svg:svg', { class: 'spark', viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, 'aria-hidden': 'true',
                              focusable: 'false', 'data-test': 'sparkline' },
            h('svg:line', { class: 'target', x1: 0, x2: W, y1: y(Number(ind.target)), y2: y(Number(ind.target)) }),
            ind.baseline !== undefined ? h('svg:line', { class: 'baseline', x1: 0, x2: W, y1: y(Number(ind.baseline)), y2: y(Number(ind.baseline)) }) : null,
            h('svg:polyline', { class: 'values', points: line }),
            pts.map((p, i) => h('svg:circle', { cx: x(i), cy: y(Number(p.value)), r: 2.5 })));
    }

    /* "Measure 3: title" as the language punctuates it ("Mesure 3 : ..."),
       the title in its own direction. */
    function titled(m) {
        const [before, after] = t('Measure {n}: {title}', { n: m.id }).split('{title}');
        return [before, h('span', { dir: 'auto', text: m.title }), after || ''];
    }

    function measureEl(m) {
        const ind = m.indicator;
        return h('article', { class: 'measure', 'data-test': 'measure', 'data-measure': m.id, 'data-key': 'measure-' + m.id },
            h('h3', {}, titled(m)),
            m.description ? h('p', { dir: 'auto', text: m.description }) : null,
            ind ? [dl([[t('Indicator'), h('span', { dir: 'auto', text: ind.name })],
                       [tc('field', 'unit'), ind.unit ? h('span', { dir: 'auto', text: ind.unit }) : null],
                       [tc('field', 'baseline'), ind.baseline !== undefined ? NM.i18n.num(ind.baseline) : null],
                       [tc('field', 'target'), NM.i18n.num(ind.target)]]),
                   ind.schedule && ind.schedule.length ? pointsTable(t('Milestones'), ind.schedule, ind.unit) : null,
                   m.progress && m.progress.length
                       ? [pointsTable(t('Progress'), m.progress, ind.unit), sparkline(ind, m.progress)]
                       : h('p', { class: 'muted', text: t('No progress reported yet.') })]
                : null);
    }

    /* What a withdrawn recommendation shows instead of its actions and
       report form: when, why, and the recommendation it was merged into. */
    function withdrawnEl(w) {
        if (!w) return null;
        return h('div', { class: 'warning withdrawn', role: 'note', 'data-test': 'rec-withdrawn' },
            h('p', {}, h('strong', { text: w.into ? t('Merged into another recommendation') : t('Withdrawn from the list') }),
              w.at ? [' — ', NM.i18n.dateTime(w.at)] : null),
            dl([[tc('field', 'reason'), w.reason ? h('span', { dir: 'auto', text: w.reason }) : null, 'withdrawn-reason'],
                [t('Merged into'), w.into ? A.recLink(w.into) : null, 'withdrawn-into']]));
    }

    NM.views.rec = {
        title: 'Recommendation',
        live: true,
        async render(ctx) {
            const id = ctx.args[0] || '';
            const b = await NM.api.rec(id);
            const r = b.rec || {};
            const as = b.assignment;
            const themes = (r.themes || []).map((x) => h('li', { 'data-test': 'theme', text: tc('theme', x) }));
            /* The target's number as imported (as nmirf_vocab_label keeps
               it: digits, letters, dots), then its goal's name. */
            const sdgs = (r.sdgs || []).map((x) => {
                const num = (/^\s*([0-9A-Za-z.]+)/.exec(String(x)) || ['', String(x)])[1];
                const known = NM.i18n.sdgGoal(x) !== null;
                return h('li', { 'data-test': 'sdg', 'data-sdg': x },
                         h('span', { class: 'sdg-num', text: known ? num : String(x) }),
                         known ? [' ', tc('sdg', x)] : null);
            });
            const actions = [];
            const gone = r.withdrawn;
            if (A.isEditor() && b.role && !gone) {
                actions.push(h('a', { class: 'button primary', href: '#/rec/' + encodeURIComponent(r.id) + '/report',
                                      'data-test': 'write-report', text: t('Write a report') }));
            }
            if (A.isCoordinator() && !gone) {
                actions.push(h('a', { class: 'button', href: '#/assign' + NM.api.query({ rec: r.id }), 'data-test': 'assign-rec',
                                      text: t('Assign / reassign') }));
                actions.push(h('a', { class: 'button', href: '#/measures' + NM.api.query({ rec: r.id }), 'data-test': 'measures-rec',
                                      text: t('Measures') }));
                actions.push(h('a', { class: 'button', href: '#/repair' + NM.api.query({ rec: r.id, action: 'withdraw' }),
                                      'data-test': 'withdraw-rec', text: t('Withdraw') }));
                actions.push(h('a', { class: 'button', href: '#/repair' + NM.api.query({ rec: r.id, action: 'merge' }),
                                      'data-test': 'merge-rec', text: t('Merge into…') }));
            }
            return h('section', { class: 'rec', 'data-test': 'rec', 'data-rec': r.id },
                h('h1', {}, t('Recommendation'), ' ', A.copyable(r.id)),
                staleNote(b),
                withdrawnEl(r.withdrawn),
                A.textEl('blockquote', r.text, { class: 'rec-full', 'data-test': 'rec-text' }),
                dl([[tc('field', 'status'), A.statusBadge(b.status), 'rec-status'],
                    [tc('field', 'symbol'), r.symbol],
                    [tc('field', 'paragraph'), r.paragraph],
                    [tc('field', 'mechanism'), tc('mechanism', r.mechanism), 'rec-mechanism'],
                    [tc('field', 'cycle'), r.cycle],
                    [tc('field', 'date'), NM.i18n.date(r.date)],
                    [tc('field', 'session'), r.session],
                    [tc('field', 'mandate'), r.mandate ? h('span', { dir: 'auto', text: r.mandate }) : null, 'rec-mandate'],
                    [tc('field', 'source_updated'), r.source_updated ? NM.i18n.date(r.source_updated) : null],
                    [tc('field', 'states'), NM.i18n.list((r.states || []).map(NM.i18n.iso))],
                    [tc('field', 'response'), tc('response', r.response), 'rec-response'],
                    [tc('field', 'response_text'), r.response_text ? h('span', { dir: 'auto', text: r.response_text }) : null]]),
                themes.length ? [h('h2', { text: t('Themes') }), h('ul', { class: 'tags' }, themes)] : null,
                sdgs.length ? [h('h2', { text: t('Sustainable Development Goals') }), h('ul', { class: 'tags' }, sdgs)] : null,
                actions.length ? h('p', { class: 'actions noprint' }, actions) : null,
                h('h2', { text: t('Assignment') }),
                as ? dl([[tc('field', 'lead'), A.entityEl(as.lead), 'assign-lead'],
                         [tc('field', 'contributors'), as.contributors && as.contributors.length
                             ? h('span', {}, as.contributors.map((c, i) => [i ? NM.i18n.sep() : '', A.entityEl(c)])) : null],
                         [tc('field', 'deadline'), as.deadline ? h('span', {}, NM.i18n.date(as.deadline), ' ', A.dueBadge(b.due)) : null],
                         [t('Days left'), b.days_left !== undefined ? A.daysLeft(b) : null],
                         [tc('field', 'role'), b.role ? tc('role', b.role) : null],
                         [tc('field', 'note'), as.note ? h('span', { dir: 'auto', text: as.note }) : null]])
                   : h('p', { class: 'muted', 'data-test': 'not-assigned', text: t('Not assigned') }),
                h('h2', { text: t('Reports') }),
                (b.reports || []).length ? h('div', { class: 'reports' }, b.reports.map(reportEl))
                    : h('p', { class: 'muted', text: t('No report yet.') }),
                h('h2', { text: t('Measures') }),
                (b.measures || []).length ? h('div', { class: 'measures' }, b.measures.map(measureEl))
                    : h('p', { class: 'muted', text: t('No measure yet.') }));
        },
    };
    NM.views.rec.measureEl = measureEl;
    NM.views.rec.withdrawnEl = withdrawnEl;
    NM.views.rec.reportEl = reportEl;
    NM.views.rec.evidenceList = evidenceList;

    /* --- the report editor ---------------------------------------------------- */

    const utf8len = (s) => new TextEncoder().encode(s).length;
    const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
    function dateValid(s) {
        const m = DATE_RE.exec(s);
        if (!m) return false;
        const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
        return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
    }
    /* The limit of op's field name from /api/schema, else the broker's
       documented one (PROTOCOL.md section 6). */
    function fieldSpec(op, name) {
        const s = A.state.schema;
        const list = s && s.fields && s.fields[op];
        return (list || []).find((f) => f.name === name) || {};
    }
    function limit(op, name, fallback) {
        const f = fieldSpec(op, name);
        return f.max || fallback;
    }
    function listMax() {
        const l = A.state.schema && A.state.schema.limits;
        return (l && (l.list_max || l.list)) || 256;
    }
    NM.forms = { utf8len, dateValid, fieldSpec, limit, listMax };

    /* Rows of a repeated value (evidence links, points) that one adds and
       removes; make(values) builds a row's controls. */
    function rows(name, legend, make, addLabel) {
        const list = h('div', { class: 'rows', 'data-test': name + '-rows' });
        const err = h('p', { class: 'field-error', id: 'f-' + name + '-err', 'data-test': 'field-error-' + name,
                             'data-field': name, hidden: true });
        const fs = h('fieldset', { class: 'field', 'data-name': name, 'aria-describedby': err.id },
                     h('legend', { text: legend }), list, err);
        const addRow = (v) => {
            const n = list.children.length + 1;
            const ctrls = make(v || {}, n);
            for (const c of [].concat(ctrls)) {
                for (const i of c.querySelectorAll ? c.querySelectorAll('input') : []) i.setAttribute('aria-describedby', err.id);
            }
            const row = h('div', { class: 'row', 'data-test': name + '-row' }, ctrls,
                h('button', { type: 'button', class: 'link', 'data-test': name + '-remove',
                              text: t('Remove'), 'aria-label': t('Remove row {n}', { n }),
                              onclick: () => { row.remove(); fs.querySelector('[data-test="' + name + '-add"]').focus(); } }));
            list.appendChild(row);
            return row;
        };
        fs.appendChild(h('button', { type: 'button', 'data-test': name + '-add', text: addLabel,
                                     onclick: () => { const r = addRow(); const c = r.querySelector('input'); if (c) c.focus(); } }));
        fs.addRow = addRow;
        fs.list = list;
        return fs;
    }
    function pointRow(prefix) {
        return (v, n) => [
            h('label', {}, t('Date {n}', { n }), ' ', h('input', { type: 'date', class: prefix + '-date', value: v.date || '' })),
            h('label', {}, t('Value {n}', { n }), ' ', h('input', { type: 'text', inputmode: 'decimal', class: prefix + '-value',
                                                                  value: v.value !== undefined ? String(v.value) : '' })),
        ];
    }
    function readPoints(fs, prefix, errors, fieldName) {
        const out = [];
        for (const row of fs.list.children) {
            const d = row.querySelector('.' + prefix + '-date').value.trim();
            const v = row.querySelector('.' + prefix + '-value').value.trim().replace(',', '.');
            if (!d && !v) continue;
            if (!dateValid(d)) errors.push({ field: fieldName, code: 'bad_date' });
            else if (v === '' || !isFinite(Number(v)) || Math.abs(Number(v)) > 1e15) errors.push({ field: fieldName, code: 'not_number' });
            else out.push({ date: d, value: Number(v) });
        }
        return out;
    }
    NM.forms.rows = rows;
    NM.forms.pointRow = pointRow;
    NM.forms.readPoints = readPoints;

    /* The outcome of a write as the page's language says it. */
    function outcomeText(st) {
        if (st.state === 'queued') return t('Queued: it will be sent when the central server answers.');
        if (st.state === 'delivered') return t('Delivered.');
        if (st.state === 'refused') return t('Refused: {reason}', { reason: A.errorText(st.err) });
        if (st.state === 'network') return t('Not sent: the console did not answer. Send again: it will not be counted twice.');
        return '';
    }
    NM.forms.outcomeText = outcomeText;

    NM.views.report = {
        title: 'Write a report',
        async render(ctx) {
            const recId = ctx.args[0] || '';
            const b = await NM.api.rec(recId);
            const r = b.rec || {};
            const head = [h('h1', { text: t('Write a report') }),
                          h('p', {}, A.recLink(r.id || recId)), A.textEl('blockquote', r.text, { class: 'rec-full' })];
            if (r.withdrawn) /* no report on a withdrawn one: say why instead */
                return h('section', {}, head, withdrawnEl(r.withdrawn));
            if (!A.isEditor() || !b.role) {
                return h('section', {}, head, h('p', { class: 'error', role: 'alert', 'data-test': 'error',
                                                      text: t('Only an editor of an entity this recommendation is assigned to can write a report on it.') }));
            }
            const OP = 'report.submit';
            const statuses = (fieldSpec(OP, 'status').set) || (A.state.schema && A.state.schema.statuses) || NM.i18n.keys('statuses');
            const narrMax = limit(OP, 'narrative', 32768);
            const evMax = limit(OP, 'evidence', 2048);
            const status = A.select('status', [['', t('Choose…')]].concat(statuses.map((s) => [s, tc('status', s)])), b.status === 'not_started' ? '' : b.status,
                                    { required: true, 'data-test': 'report-status' });
            const narrative = h('textarea', { rows: 10, required: true, dir: 'auto', 'data-test': 'report-narrative-input' });
            const counter = h('p', { class: 'hint counter', 'data-test': 'narrative-counter', 'aria-live': 'off' });
            const updateCounter = () => {
                const n = utf8len(narrative.value);
                counter.textContent = t('Length: {n} of {max}', { n: NM.i18n.num(n), max: NM.i18n.num(narrMax) });
                counter.classList.toggle('over', n > narrMax);
            };
            narrative.addEventListener('input', updateCounter);
            updateCounter();
            const evidence = rows('evidence', tc('field', 'evidence'), (v, n) => [
                h('label', {}, t('Link {n}', { n }), ' ', h('input', { type: 'url', class: 'ev-url', placeholder: 'https://', value: v.url || '', dir: 'ltr' }))],
                t('Add a link'));
            const date = h('input', { type: 'date', 'data-test': 'report-date', value: new Date().toISOString().slice(0, 10) });
            const measures = b.measures || [];
            const measure = A.select('measure', [['', t('None')]].concat(measures.map((m) => [String(m.id), t('Measure {n}: {title}', { n: m.id, title: NM.i18n.iso(m.title) })])),
                                     '', { 'data-test': 'report-measure' });
            const points = rows('indicator_values', tc('field', 'indicator_values'), pointRow('iv'), t('Add a value'));
            const pointsBox = h('div', { class: 'measure-values', hidden: true }, points);
            measure.addEventListener('change', () => { pointsBox.hidden = !measure.value; });
            const send = h('button', { type: 'submit', class: 'primary', 'data-test': 'report-send', text: t('Send the report') });
            const outcome = h('div', { id: 'report-outcome', class: 'outcome', 'data-test': 'report-outcome', role: 'status', 'aria-live': 'polite' });
            const general = h('div', { 'data-test': 'form-error' });
            const form = h('form', { id: 'report-form', novalidate: true, 'data-test': 'report-form' },
                A.field('status', tc('field', 'status'), status),
                A.field('narrative', tc('field', 'narrative'), narrative, t('Say what was done, by whom, and what is left.')),
                counter,
                evidence,
                A.field('date', tc('field', 'date'), date),
                measures.length ? A.field('measure', tc('field', 'measure'), measure) : null,
                measures.length ? pointsBox : null,
                general, send, outcome);

            /* The request id lives until an answer: a send after a network
               error reuses it, so the report is never made twice. */
            let pendingId = null;
            let reportId = null;
            const view = NM.views.report;
            view.onNotify = (n) => {
                if (!reportId) return;
                const d = n.data || {};
                const rid = String(d.id || n.subject);
                if (rid !== String(reportId)) return;
                if (n.kind === 'validated') outcome.appendChild(h('p', { 'data-test': 'report-live', text: t('Report {n} validated', { n: reportId }) }));
                if (n.kind === 'returned') outcome.appendChild(h('p', { 'data-test': 'report-live', text: t('Report {n} returned: {reason}', { n: reportId, reason: n.reason || '' }) }));
            };
            view.onEvent = async () => {
                if (!pendingId && !form.dataset.sentId) return;
                const id = form.dataset.sentId;
                try {
                    const ob = await NM.api.outbox();
                    const res = (ob.results || []).find((e) => e.id === id);
                    const ref = (ob.refused || []).find((e) => e.id === id);
                    if (res && form.dataset.outcome === 'queued') {
                        form.dataset.outcome = res.code === 'ok' ? 'delivered' : 'refused';
                        outcome.appendChild(h('p', { 'data-test': 'report-live', text: res.code === 'ok' ? outcomeText({ state: 'delivered' })
                            : outcomeText({ state: 'refused', err: { code: res.code, message: res.message } }) }));
                    } else if (ref && form.dataset.outcome === 'queued') {
                        form.dataset.outcome = 'refused';
                        outcome.appendChild(h('p', { 'data-test': 'report-live', text: outcomeText({ state: 'refused', err: { code: ref.code, message: ref.message } }) }));
                    }
                } catch (e) { /* the next event asks again */ }
            };

            form.addEventListener('submit', async (ev) => {
                ev.preventDefault();
                const errors = [];
                const body = { rec: r.id, status: status.value, narrative: narrative.value };
                if (!body.status) errors.push({ field: 'status', code: 'required' });
                else if (statuses.indexOf(body.status) < 0) errors.push({ field: 'status', code: 'bad_value' });
                if (!body.narrative.trim()) errors.push({ field: 'narrative', code: 'required' });
                else if (utf8len(body.narrative) > narrMax) errors.push({ field: 'narrative', code: 'too_long', max: narrMax });
                const ev2 = Array.from(evidence.list.querySelectorAll('.ev-url'), (i) => i.value.trim()).filter(Boolean);
                if (ev2.length > listMax()) errors.push({ field: 'evidence', code: 'too_many', max: listMax() });
                for (const u of ev2) {
                    if (utf8len(u) > evMax) errors.push({ field: 'evidence', code: 'too_long', max: evMax });
                    else if (!/^https?:\/\/\S+$/i.test(u)) errors.push({ field: 'evidence', code: 'bad_value' });
                }
                if (ev2.length) body.evidence = ev2;
                if (date.value) {
                    if (!dateValid(date.value)) errors.push({ field: 'date', code: 'bad_date' });
                    else body.date = date.value;
                }
                if (measure.value) {
                    body.measure = Number(measure.value);
                    const iv = readPoints(points, 'iv', errors, 'indicator_values');
                    if (iv.length > listMax()) errors.push({ field: 'indicator_values', code: 'too_many', max: listMax() });
                    if (iv.length) body.indicator_values = iv;
                }
                general.textContent = '';
                if (A.showFieldErrors(form, errors).length || errors.length) return;
                if (!pendingId) pendingId = NM.api.newId();
                body.id = pendingId;
                send.disabled = true;
                outcome.textContent = '';
                try {
                    const res = await NM.api.submitReport(body);
                    const st = res.status === 202 ? 'queued' : 'delivered';
                    form.dataset.sentId = res.data.id || pendingId;
                    form.dataset.outcome = st;
                    /* the broker's reply to report.submit is {report: {id, ...}} */
                    const reply = res.data.reply || {};
                    const made = reply.report || reply;
                    if (made.id !== undefined) reportId = made.id;
                    pendingId = null;
                    outcome.appendChild(h('p', { class: 'ok', 'data-test': 'report-result', 'data-state': st, text: outcomeText({ state: st }) }));
                    if (reportId !== null) outcome.appendChild(h('p', {}, h('a', { href: '#/rec/' + encodeURIComponent(r.id), text: t('Report {n}', { n: reportId }) })));
                    send.textContent = t('Send another report');
                    form.reset();
                    date.value = new Date().toISOString().slice(0, 10);
                    evidence.list.textContent = '';
                    points.list.textContent = '';
                    pointsBox.hidden = true;
                    updateCounter();
                } catch (err) {
                    if (err.status === 0) {
                        outcome.appendChild(h('p', { class: 'error', 'data-test': 'report-result', 'data-state': 'network', text: outcomeText({ state: 'network' }) }));
                    } else {
                        pendingId = null; /* answered: a new send is a new request */
                        const rest = err.status === 422 ? A.showFieldErrors(form, err.errors) : [err];
                        if (err.status === 502) {
                            outcome.appendChild(h('p', { class: 'error', 'data-test': 'report-result', 'data-state': 'refused', text: outcomeText({ state: 'refused', err }) }));
                        } else if (rest.length) {
                            general.appendChild(err.status === 422
                                ? h('p', { class: 'error', role: 'alert', 'data-test': 'error' },
                                    A.restText(rest))
                                : A.errorBox(err));
                        }
                    }
                } finally {
                    send.disabled = false;
                }
            });
            return h('section', {}, head, form);
        },
    };

    /* --- the outbox --------------------------------------------------------- */

    NM.views.outbox = {
        title: 'Outbox',
        live: true,
        async render() {
            const b = await NM.api.outbox();
            const rowsOf = [];
            for (const e of b.pending || []) rowsOf.push({ e, state: e.attempts ? 'sent' : 'queued', at: e.queued });
            for (const e of b.results || []) rowsOf.push({ e, state: 'answered', at: e.at });
            for (const e of b.refused || []) rowsOf.push({ e, state: 'refused', at: e.at || e.queued });
            const rows = rowsOf.map(({ e, state, at }) => h('tr', { 'data-test': 'outbox-row', 'data-id': e.id, 'data-state': state, 'data-key': state + e.id },
                h('td', {}, h('code', { class: 'id', text: e.id })),
                h('td', { text: tc('op', e.op) }),
                h('td', {}, h('span', { class: 'badge ob-' + state, text: tc('outbox_state', state) })),
                h('td', { text: NM.i18n.dateTime(at) }),
                h('td', { class: 'num', text: e.attempts !== undefined ? NM.i18n.num(e.attempts) : '' }),
                h('td', { text: e.code ? (e.code === 'ok' ? t('Done') : A.errorText({ code: e.code, message: e.message })) : '' })));
            return h('section', {},
                h('h1', { text: t('Outbox') }),
                h('p', { text: t('What this console sent to the central server, and what became of it.') }),
                b.key_refused ? h('p', { class: 'error', role: 'alert', 'data-test': 'key-refused',
                                         text: t('The central server refuses this console\'s key: reports wait in the outbox.') }) : null,
                rows.length ? A.table(null, [t('Request'), t('Operation'), t('State'), t('When'), t('Attempts'), t('Answer')], rows,
                                      { id: 'outbox-table', 'data-test': 'outbox-table' })
                    : h('p', { class: 'empty', 'data-test': 'empty', text: t('The outbox is empty.') }));
        },
    };
})();
