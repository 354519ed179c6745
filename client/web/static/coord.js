/*  coord.js - the coordinator's pages (shown when the account's role and
    the console's entity's role are both coordinator): Reports to validate,
    Assign, Import, Measures, Statistics, Entities (docs/WEB.md section 5).
*/
'use strict';
(function () {
    const { t, tc } = NM.i18n;
    const A = NM.app;
    const h = A.h;
    const F = NM.forms;

    /* The outcome of a coordinator's write (200 delivered, 202 queued). */
    function outcomeEl(res, test) {
        const st = res.status === 202 ? 'queued' : 'delivered';
        return h('p', { class: 'ok', 'data-test': test, 'data-state': st, role: 'status', text: F.outcomeText({ state: st }) });
    }
    /* A refused write; form: its 422 errors are shown beside its fields,
       and those without a field here in the message. */
    function failEl(err, test, form, mapField) {
        let text = err.status === 502 ? F.outcomeText({ state: 'refused', err }) : A.errorText(err);
        if (err.status === 422 && form) {
            const errors = (err.errors || []).map((e) => (mapField ? Object.assign({}, e, { field: mapField(e.field) }) : e));
            const rest = A.showFieldErrors(form, errors);
            if (rest.length) text += ' ' + A.restText(rest);
        }
        return h('p', { class: 'error', role: 'alert', 'data-test': test, 'data-state': err.status === 502 ? 'refused' : 'error', text });
    }

    /* --- Reports to validate --------------------------------------------- */

    NM.views.review = {
        title: 'Reports to validate',
        coord: true,
        live: true,
        async render() {
            const b = await NM.api.reports({ state: 'submitted', limit: 100 });
            const reports = b.reports || [];
            const recs = {};
            await Promise.all(Array.from(new Set(reports.map((r) => r.rec))).slice(0, 50).map(async (id) => {
                try { recs[id] = (await NM.api.rec(id)).rec; } catch (e) { /* shown without its text */ }
            }));
            const items = reports.map((r) => {
                const reason = h('textarea', { rows: 3, dir: 'auto', 'data-test': 'return-reason' });
                const out = h('div', { 'data-test': 'review-outcome', 'aria-live': 'polite' });
                const form = h('form', { class: 'review-actions noprint', novalidate: true },
                    A.field('reason', t('Reason for returning it'), reason),
                    h('button', { type: 'button', class: 'primary', 'data-test': 'validate', text: t('Validate'),
                                  onclick: async (ev) => {
                                      ev.target.disabled = true;
                                      out.textContent = '';
                                      try { out.appendChild(outcomeEl(await NM.api.validate(r.id), 'review-result')); decided(); return; } catch (err) { out.appendChild(failEl(err, 'review-result')); }
                                      ev.target.disabled = false;
                                  } }),
                    ' ',
                    h('button', { type: 'submit', 'data-test': 'return', text: t('Return') }),
                    out);
                /* decided: nothing more to do on it here; the reason typed
                   no longer holds the page, so the next live refresh takes
                   the report out of the queue */
                const decided = () => {
                    for (const c of form.querySelectorAll('button, textarea')) c.disabled = true;
                    A.state.dirty = false;
                };
                form.addEventListener('submit', async (ev) => {
                    ev.preventDefault();
                    out.textContent = '';
                    if (!reason.value.trim()) { A.showFieldErrors(form, [{ field: 'reason', code: 'required' }]); return; }
                    const max = F.limit('report.return', 'reason', 32768);
                    if (F.utf8len(reason.value) > max) { A.showFieldErrors(form, [{ field: 'reason', code: 'too_long', max }]); return; }
                    A.showFieldErrors(form, []);
                    try { out.appendChild(outcomeEl(await NM.api.returnReport(r.id, reason.value), 'review-result')); decided(); } catch (err) {
                        out.appendChild(failEl(err, 'review-result', form));
                    }
                });
                const rec = recs[r.rec];
                return h('article', { class: 'report', 'data-test': 'review-item', 'data-report': r.id, 'data-key': 'review-' + r.id },
                    h('h2', {}, t('Report {n}', { n: r.id }), ' — ', A.recLink(r.rec)),
                    rec ? A.textEl('blockquote', rec.text, { class: 'rec-full' }) : null,
                    NM.views.rec.reportEl(r),
                    form);
            });
            return h('section', {}, h('h1', { text: t('Reports to validate') }),
                     h('p', { 'data-test': 'review-total', text: t('Waiting: {n}', { n: NM.i18n.num(b.total !== undefined ? b.total : reports.length) }) }),
                     items.length ? items : h('p', { class: 'empty', 'data-test': 'empty', text: t('No report waits for validation.') }));
        },
    };

    /* --- Assign -------------------------------------------------------------- */

    NM.views.assign = {
        title: 'Assign',
        coord: true,
        async render(ctx) {
            const OP = 'rec.assign';
            const ents = Object.values(A.state.entities).filter((e) => e.state !== 'revoked')
                .sort((a, b) => A.entityName(a.id).localeCompare(A.entityName(b.id), NM.i18n.locale()));
            const rec = h('input', { type: 'text', value: ctx.query.rec || '', required: true, dir: 'ltr', spellcheck: 'false',
                                     maxlength: F.limit(OP, 'rec', 64), 'data-test': 'assign-rec-input' });
            let current = null;
            if (ctx.query.rec) {
                try { current = await NM.api.rec(ctx.query.rec); } catch (e) { current = null; }
            }
            const as = current && current.assignment;
            const lead = A.select('lead', [['', t('Choose…')]].concat(ents.map((e) => [e.id, A.entityName(e.id) === e.id ? e.id : A.entityName(e.id) + ' (' + e.id + ')'])),
                                  as ? as.lead : '', { required: true, 'data-test': 'assign-lead' });
            const contrib = h('fieldset', { class: 'field checks', 'data-name': 'contributors', 'aria-describedby': 'f-contributors-err', 'data-test': 'assign-contributors' },
                h('legend', { text: tc('field', 'contributors') }),
                ents.map((e) => h('label', { class: 'check' },
                    h('input', { type: 'checkbox', value: e.id, checked: !!(as && (as.contributors || []).indexOf(e.id) >= 0) }),
                    ' ', A.entityEl(e.id))),
                h('p', { class: 'field-error', id: 'f-contributors-err', 'data-test': 'field-error-contributors', 'data-field': 'contributors', hidden: true }));
            const deadline = h('input', { type: 'date', value: as && as.deadline ? as.deadline : '', 'data-test': 'assign-deadline' });
            const note = h('textarea', { rows: 3, dir: 'auto', 'data-test': 'assign-note', value: as && as.note ? as.note : '' });
            const out = h('div', { 'aria-live': 'polite', 'data-test': 'assign-outcome' });
            const send = h('button', { type: 'submit', class: 'primary', 'data-test': 'assign-send', text: t('Assign') });
            const form = h('form', { id: 'assign-form', novalidate: true },
                A.field('rec', t('Recommendation id'), rec),
                current ? A.textEl('blockquote', current.rec.text, { class: 'rec-full' }) : null,
                A.field('lead', tc('field', 'lead'), lead), contrib,
                A.field('deadline', tc('field', 'deadline'), deadline),
                A.field('note', tc('field', 'note'), note), send, out);
            form.addEventListener('submit', async (ev) => {
                ev.preventDefault();
                out.textContent = '';
                const errors = [];
                const body = { rec: rec.value.trim(), lead: lead.value };
                if (!body.rec) errors.push({ field: 'rec', code: 'required' });
                if (!body.lead) errors.push({ field: 'lead', code: 'required' });
                const cs = Array.from(contrib.querySelectorAll('input:checked'), (i) => i.value).filter((x) => x !== body.lead);
                if (cs.length) body.contributors = cs;
                if (deadline.value) {
                    if (!F.dateValid(deadline.value)) errors.push({ field: 'deadline', code: 'bad_date' });
                    else body.deadline = deadline.value;
                }
                if (note.value.trim()) {
                    const max = F.limit(OP, 'note', 32768);
                    if (F.utf8len(note.value) > max) errors.push({ field: 'note', code: 'too_long', max });
                    body.note = note.value;
                }
                if (A.showFieldErrors(form, errors).length || errors.length) return;
                send.disabled = true;
                try { out.appendChild(outcomeEl(await NM.api.assign(body), 'assign-result')); } catch (err) {
                    out.appendChild(failEl(err, 'assign-result', form));
                }
                send.disabled = false;
            });
            return h('section', {}, h('h1', { text: t('Assign a recommendation') }), form);
        },
    };

    /* --- Import ------------------------------------------------------------- */

    NM.views.import = {
        title: 'Import',
        coord: true,
        async render() {
            const file = h('input', { type: 'file', accept: '.json,.csv,.xml,application/json,text/csv', 'data-test': 'import-file' });
            const out = h('div', { id: 'import-result', 'aria-live': 'polite', 'data-test': 'import-preview' });
            const previewBtn = h('button', { type: 'submit', class: 'primary', 'data-test': 'import-preview-button', text: t('Preview') });
            const form = h('form', { id: 'import-form', novalidate: true },
                A.field('file', t('File (JSON, CSV or UHRI export)'), file), previewBtn);
            let bytes = null;
            let name = '';
            form.addEventListener('submit', async (ev) => {
                ev.preventDefault();
                out.textContent = '';
                if (!file.files.length) { A.showFieldErrors(form, [{ field: 'file', code: 'required' }]); return; }
                A.showFieldErrors(form, []);
                name = file.files[0].name;
                bytes = await file.files[0].arrayBuffer();
                previewBtn.disabled = true;
                try {
                    const p = (await NM.api.importPreview(bytes, name)).data;
                    const added = p.added || [], changed = p.changed || [], errors = p.errors || [];
                    /* A.h's append: a part that is null is skipped (the DOM's
                       append would write it as "null") */
                    out.appendChild(h('div', {},
                        h('h2', { text: t('Preview') }),
                        h('ul', { class: 'counts' },
                          h('li', { 'data-test': 'import-added' }, h('span', { class: 'count', text: NM.i18n.num(added.length) }), ' ', t('added')),
                          h('li', { 'data-test': 'import-changed' }, h('span', { class: 'count', text: NM.i18n.num(changed.length) }), ' ', t('changed')),
                          h('li', { 'data-test': 'import-unchanged' }, h('span', { class: 'count', text: NM.i18n.num(p.unchanged || 0) }), ' ', t('unchanged')),
                          h('li', { 'data-test': 'import-errors' }, h('span', { class: 'count', text: NM.i18n.num(errors.length) }), ' ', t('errors'))),
                        errors.length ? A.table(t('Errors'), [t('Row'), t('Problem')], errors.map((e) =>
                            h('tr', { 'data-test': 'import-error-row' }, h('td', { class: 'num', text: NM.i18n.num(e.row) }), h('td', { text: e.message })))) : null,
                        added.length ? A.table(t('Added'), [t('Recommendation'), tc('field', 'mechanism'), t('Text')], added.map((r) =>
                            h('tr', { 'data-test': 'import-added-row', 'data-rec': r.id }, h('td', {}, h('code', { class: 'id', text: r.id })),
                              h('td', { text: tc('mechanism', r.mechanism) }), h('td', {}, A.textEl('span', r.text))))) : null,
                        changed.length ? A.table(t('Changed'), [t('Recommendation'), t('Fields')], changed.map((c) =>
                            h('tr', { 'data-test': 'import-changed-row', 'data-rec': c.id }, h('td', {}, A.recLink(c.id)),
                              h('td', { text: NM.i18n.list((c.fields || []).map((f) => tc('field', f))) })))) : null));
                    if (added.length || changed.length) {
                        const confirm = h('button', { type: 'button', class: 'primary', 'data-test': 'import-confirm', text: t('Confirm the import') });
                        const done = h('div', { 'aria-live': 'polite' });
                        confirm.addEventListener('click', async () => {
                            confirm.disabled = true;
                            done.textContent = '';
                            try {
                                const res = await NM.api.importRun(bytes, name);
                                done.appendChild(outcomeEl(res, 'import-result'));
                                const r = res.data.reply || res.data;
                                if (r.added !== undefined) {
                                    done.appendChild(h('p', { 'data-test': 'import-counts', text: t('Added: {a}, updated: {u}, unchanged: {n}',
                                        { a: NM.i18n.num(r.added), u: NM.i18n.num(r.updated || 0), n: NM.i18n.num(r.unchanged || 0) }) }));
                                }
                            } catch (err) {
                                done.appendChild(failEl(err, 'import-result'));
                                confirm.disabled = false;
                            }
                        });
                        out.append(h('p', {}, confirm), done);
                    } else {
                        out.append(h('p', { class: 'muted', text: t('Nothing to import: every recommendation is already there.') }));
                    }
                    const h2 = out.querySelector('h2');
                    if (h2) { h2.tabIndex = -1; h2.focus(); }
                } catch (err) {
                    out.appendChild(failEl(err, 'import-result'));
                }
                previewBtn.disabled = false;
            });
            return h('section', {}, h('h1', { text: t('Import recommendations') }),
                     h('p', { text: t('Choose a file; the console shows what it would add and change before anything is sent.') }),
                     form, out);
        },
    };

    /* --- Measures ------------------------------------------------------------ */

    function measureForm(m, recDefault, after) {
        const OP = 'measure.add';
        const ind = (m && m.indicator) || {};
        const recs = h('input', { type: 'text', dir: 'ltr', required: true, value: m ? m.recs.join(' ') : (recDefault || ''),
                                  'data-test': 'measure-recs' });
        const title = h('input', { type: 'text', dir: 'auto', required: true, value: m ? m.title : '', 'data-test': 'measure-title' });
        const desc = h('textarea', { rows: 3, dir: 'auto', value: m && m.description ? m.description : '', 'data-test': 'measure-description' });
        const iname = h('input', { type: 'text', dir: 'auto', value: ind.name || '', 'data-test': 'indicator-name' });
        const unit = h('input', { type: 'text', dir: 'auto', value: ind.unit || '', 'data-test': 'indicator-unit' });
        const base = h('input', { type: 'text', inputmode: 'decimal', value: ind.baseline !== undefined ? String(ind.baseline) : '', 'data-test': 'indicator-baseline' });
        const target = h('input', { type: 'text', inputmode: 'decimal', value: ind.target !== undefined ? String(ind.target) : '', 'data-test': 'indicator-target' });
        const sched = F.rows('schedule', t('Milestones'), F.pointRow('ms'), t('Add a milestone'));
        for (const p of ind.schedule || []) sched.addRow(p);
        const out = h('div', { 'aria-live': 'polite', 'data-test': 'measure-outcome' });
        const form = h('form', { class: 'measure-form', novalidate: true, 'data-test': 'measure-form' },
            h('h2', { text: m ? t('Edit measure {n}', { n: m.id }) : t('Add a measure') }),
            A.field('recs', t('Recommendation ids (separated by spaces)'), recs),
            A.field('title', tc('field', 'title'), title),
            A.field('description', tc('field', 'description'), desc),
            h('fieldset', {}, h('legend', { text: t('Indicator') }),
              A.field('name', tc('field', 'name'), iname), A.field('unit', tc('field', 'unit'), unit),
              A.field('baseline', tc('field', 'baseline'), base), A.field('target', tc('field', 'target'), target), sched),
            h('button', { type: 'submit', class: 'primary', 'data-test': 'measure-send', text: m ? t('Save') : t('Add') }), out);
        form.addEventListener('submit', async (ev) => {
            ev.preventDefault();
            out.textContent = '';
            const errors = [];
            const body = { recs: recs.value.split(/[\s,]+/).filter(Boolean), title: title.value.trim() };
            if (!body.recs.length) errors.push({ field: 'recs', code: 'required' });
            if (body.recs.length > F.listMax()) errors.push({ field: 'recs', code: 'too_many', max: F.listMax() });
            if (!body.title) errors.push({ field: 'title', code: 'required' });
            else if (F.utf8len(body.title) > F.limit(OP, 'title', 512)) errors.push({ field: 'title', code: 'too_long', max: F.limit(OP, 'title', 512) });
            if (desc.value.trim()) body.description = desc.value;
            const num = (s) => s.trim().replace(',', '.');
            if (iname.value.trim() || target.value.trim()) {
                const i = { name: iname.value.trim() };
                if (!i.name) errors.push({ field: 'name', code: 'required' });
                if (unit.value.trim()) i.unit = unit.value.trim();
                if (base.value.trim()) {
                    if (!isFinite(Number(num(base.value)))) errors.push({ field: 'baseline', code: 'not_number' });
                    else i.baseline = Number(num(base.value));
                }
                if (!target.value.trim()) errors.push({ field: 'target', code: 'required' });
                else if (!isFinite(Number(num(target.value)))) errors.push({ field: 'target', code: 'not_number' });
                else i.target = Number(num(target.value));
                const s = F.readPoints(sched, 'ms', errors, 'schedule');
                if (s.length) i.schedule = s;
                body.indicator = i;
            }
            if (A.showFieldErrors(form, errors).length || errors.length) return;
            try {
                const res = m ? await NM.api.updateMeasure(m.id, body) : await NM.api.addMeasure(body);
                out.appendChild(outcomeEl(res, 'measure-result'));
                if (after) after();
            } catch (err) {
                out.appendChild(failEl(err, 'measure-result', form, (f) => String(f).replace(/^indicator\./, '')));
            }
        });
        return form;
    }

    NM.views.measures = {
        title: 'Measures',
        coord: true,
        async render(ctx) {
            const rec = ctx.query.rec || '';
            const b = await NM.api.measures(rec ? { rec } : {});
            const ms = b.measures || [];
            const holder = h('div', { id: 'measure-editor' });
            const edit = (m) => {
                holder.textContent = '';
                holder.appendChild(measureForm(m, rec));
                const f = holder.querySelector('input, textarea');
                if (f) f.focus();
            };
            const byRec = {};
            for (const m of ms) for (const r of m.recs || []) (byRec[r] = byRec[r] || []).push(m);
            const groups = Object.keys(byRec).sort().filter((r) => !rec || r === rec).map((r) => h('section', { class: 'group', 'data-test': 'measure-group', 'data-rec': r },
                h('h2', {}, A.recLink(r)),
                byRec[r].map((m) => h('div', { 'data-key': 'm-' + r + '-' + m.id },
                    NM.views.rec.measureEl(m),
                    h('button', { type: 'button', class: 'noprint', 'data-test': 'measure-edit', 'data-measure': m.id,
                                  text: t('Edit measure {n}', { n: m.id }), onclick: () => edit(m) })))));
            return h('section', {},
                h('h1', { text: t('Measures') }),
                h('form', { class: 'filters', role: 'search', onsubmit: (ev) => { ev.preventDefault(); A.go('measures', [], { rec: ev.target.elements.rec.value.trim() }); } },
                  A.field('rec', t('Recommendation id'), h('input', { type: 'text', dir: 'ltr', value: rec, 'data-test': 'measures-filter-rec' })),
                  h('button', { type: 'submit', text: t('Apply') })),
                h('p', {}, h('button', { type: 'button', class: 'primary', 'data-test': 'measure-new', text: t('Add a measure'), onclick: () => edit(null) })),
                holder,
                groups.length ? groups : h('p', { class: 'empty', 'data-test': 'empty',
                    /* the coordinator's agent lists every measure (CONTROL.md) */
                    text: t('No measure yet.') }));
        },
    };

    /* --- Statistics --------------------------------------------------------- */

    const STATUS_ORDER = ['implemented', 'partially_implemented', 'in_progress', 'not_started', 'not_implemented'];

    /* One horizontal bar per group, split by status; the numbers are in the
       table after it (the chart is aria-hidden, the table is read). */
    function barChart(id, title, groups, label, short) {
        const keys = Object.keys(groups || {}).sort((a, b) => sum(groups[b]) - sum(groups[a]));
        const max = Math.max(1, ...keys.map((k) => sum(groups[k])));
        const W = 600, ROW = 22, LBL = 180;
        const H = keys.length * ROW + 4;
        const rtl = NM.i18n.dir === 'rtl';
        const svg = h('svg:svg', { class: 'bars', viewBox: '0 0 ' + W + ' ' + H, width: '100%', 'aria-hidden': 'true', focusable: 'false',
                                   'data-test': 'chart-' + id, preserveAspectRatio: 'xMinYMin meet' });
        keys.forEach((k, i) => {
            const y = i * ROW + 2;
            svg.appendChild(h('svg:text', { x: rtl ? W - 4 : 4, y: y + 15, class: 'lbl', 'text-anchor': 'start', direction: rtl ? 'rtl' : 'ltr' },
                              shorten(short ? short(k) : label(k), 26)));
            let x = 0;
            for (const s of STATUS_ORDER) {
                const n = (groups[k] || {})[s] || 0;
                if (!n) continue;
                const w = (n / max) * (W - LBL - 50);
                svg.appendChild(h('svg:rect', { x: rtl ? W - LBL - x - w : LBL + x, y: y + 3, width: w, height: ROW - 6, class: 'st-' + s }));
                x += w;
            }
            svg.appendChild(h('svg:text', { x: rtl ? W - LBL - x - 4 : LBL + x + 4, y: y + 15, class: 'val', 'text-anchor': 'start', direction: rtl ? 'rtl' : 'ltr' },
                              NM.i18n.num(sum(groups[k]))));
        });
        const rows = keys.map((k) => h('tr', {}, h('th', { scope: 'row', text: label(k) }),
            STATUS_ORDER.map((s) => h('td', { class: 'num', text: NM.i18n.num((groups[k] || {})[s] || 0) })),
            h('td', { class: 'num', text: NM.i18n.num(sum(groups[k])) })));
        return h('section', { class: 'chart', 'data-test': 'stats-' + id },
            h('h2', { text: title }), keys.length ? svg : null,
            A.table(title, [''].concat(STATUS_ORDER.map((s) => tc('status', s)), [t('Total')]), rows, { class: 'stats-table' }));
    }
    const sum = (m) => Object.values(m || {}).reduce((a, b) => a + (Number(b) || 0), 0);
    const shorten = (s, n) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

    function legend() {
        return h('ul', { class: 'legend', 'aria-hidden': 'true' }, STATUS_ORDER.map((s) =>
            h('li', {}, h('span', { class: 'swatch st-' + s }), ' ', tc('status', s))));
    }

    NM.views.stats = {
        title: 'Statistics',
        coord: true,
        live: true,
        async render() {
            const s = await NM.api.stats({});
            const bs = s.by_status || {};
            const dueList = (title, items, test) => items && items.length ? A.table(title,
                [t('Recommendation'), tc('field', 'lead'), tc('field', 'deadline'), t('Days'), tc('field', 'status')],
                items.map((i) => h('tr', { 'data-test': test, 'data-rec': i.rec }, h('td', {}, A.recLink(i.rec)), h('td', {}, A.entityEl(i.lead)),
                                   h('td', { text: NM.i18n.date(i.deadline) }), h('td', { class: 'num', text: NM.i18n.num(i.days) }),
                                   h('td', {}, A.statusBadge(i.status))))) : null;
            return h('section', { class: 'stats' },
                h('h1', { text: t('Statistics') }),
                h('p', {}, t('On {date}', { date: NM.i18n.date(s.today) }), ' — ',
                  h('a', { href: '/api/report.html?lang=' + NM.i18n.lang, 'data-test': 'report-html', download: '', text: t('Download the HTML report') })),
                h('ul', { class: 'counts', 'data-test': 'stats-summary' },
                  h('li', { 'data-test': 'stats-total' }, h('span', { class: 'count', text: NM.i18n.num(s.total || 0) }), ' ', t('recommendations')),
                  STATUS_ORDER.map((k) => h('li', { 'data-test': 'stats-' + k }, h('span', { class: 'count', text: NM.i18n.num(bs[k] || 0) }), ' ', tc('status', k))),
                  h('li', { 'data-test': 'stats-overdue' }, h('span', { class: 'count', text: NM.i18n.num(s.overdue_total || 0) }), ' ', tc('due', 'overdue')),
                  h('li', { 'data-test': 'stats-due-soon' }, h('span', { class: 'count', text: NM.i18n.num(s.due_soon_total || 0) }), ' ', tc('due', 'due_soon'))),
                legend(),
                barChart('status', t('By status'), { [t('All')]: bs }, (k) => k),
                barChart('entity', t('By lead entity'), s.by_entity, (k) => A.entityName(k)),
                barChart('mechanism', t('By mechanism'), s.by_mechanism, (k) => tc('mechanism', k), (k) => k),
                dueList(tc('due', 'overdue'), s.overdue, 'stats-overdue-row'),
                dueList(tc('due', 'due_soon'), s.due_soon, 'stats-due-soon-row'));
        },
    };

    /* --- Entities ------------------------------------------------------------ */

    NM.views.entities = {
        title: 'Entities',
        coord: true,
        live: true,
        async render() {
            const b = await NM.api.entities();
            const rows = (b.entities || []).map((e) => h('tr', { 'data-test': 'entity-row', 'data-entity': e.id, 'data-key': 'e-' + e.id },
                h('td', {}, h('code', { text: e.id })), h('td', { text: tc('role', e.role) }),
                h('td', {}, h('span', { class: 'badge ent-' + e.state, text: tc('entity_state', e.state) })),
                ['fr', 'ar', 'en'].map((l) => h('td', { lang: l, dir: l === 'ar' ? 'rtl' : 'ltr', text: (e.names || {})[l] || '' }))));
            return h('section', {}, h('h1', { text: t('Entities') }),
                     A.table(null, [t('Id'), tc('field', 'role'), tc('field', 'state'), t('Name (French)'), t('Name (Arabic)'), t('Name (English)')],
                             rows, { 'data-test': 'entities-table' }));
        },
    };
})();
