/*  coord.js - the coordinator's pages (shown when the account's role and
    the console's entity's role are both coordinator): Reports to validate,
    Assign, Withdraw / Merge (a recommendation's repair), Import, Measures,
    Statistics, Entities (docs/WEB.md section 5).
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

    /* --- Withdraw / Merge into… ---------------------------------------------- */

    /* A step that asks before it acts: the question, and Confirm / Cancel.
       onConfirm is awaited with the buttons disabled. */
    function confirmBox(question, confirmLabel, onConfirm, onCancel) {
        const yes = h('button', { type: 'button', class: 'primary danger', 'data-test': 'repair-confirm', text: confirmLabel });
        const no = h('button', { type: 'button', 'data-test': 'repair-cancel', text: t('Cancel') });
        const box = h('div', { class: 'confirm', role: 'alertdialog', 'aria-label': question, 'data-test': 'repair-confirm-box' },
                      h('p', { text: question }), yes, ' ', no);
        yes.addEventListener('click', async () => { yes.disabled = no.disabled = true; await onConfirm(); box.remove(); });
        no.addEventListener('click', () => { box.remove(); onCancel(); });
        setTimeout(() => yes.focus(), 0);
        return box;
    }

    /* What moves from `from` (its rec.show body) into INTO: the counts a
       coordinator checks before merging. */
    function movesEl(from, into) {
        /* "Lead entity: X" as the language punctuates it, X an element */
        const lead = (el) => {
            const [before, after] = t('Lead entity: {name}').split('{name}');
            return [before, el, after || ''];
        };
        const as = from.assignment;
        return h('div', { class: 'preview', 'data-test': 'merge-preview' },
            h('h2', { text: t('What moves into {id}', { id: into.rec.id }) }),
            A.textEl('blockquote', into.rec.text, { class: 'rec-full', 'data-test': 'merge-into-text' }),
            h('ul', {},
              h('li', { 'data-test': 'merge-reports', text: t('Reports: {n}', { n: NM.i18n.num((from.reports || []).length) }) }),
              h('li', { 'data-test': 'merge-measures', text: t('Measures: {n}', { n: NM.i18n.num((from.measures || []).length) }) }),
              h('li', { 'data-test': 'merge-assignment' }, lead(as && as.lead ? A.entityEl(as.lead) : t('Not assigned')),
                /* PROTOCOL.md section 6, rec.merge: an assigned INTO keeps
                   its lead; FROM's entities join its contributors */
                as && into.assignment && into.assignment.lead
                    ? [' — ', t('{id} keeps its lead and deadline; the entities of this one join its contributors',
                                { id: into.rec.id })] : null)));
    }

    NM.views.repair = {
        title: 'Repair a recommendation',
        coord: true,
        async render(ctx) {
            const id = ctx.query.rec || '';
            const merge = ctx.query.action === 'merge';
            const b = await NM.api.rec(id);
            const r = b.rec || {};
            const head = [h('h1', { text: merge ? t('Merge into another recommendation') : t('Withdraw a recommendation') }),
                          h('p', {}, A.recLink(r.id || id)), A.textEl('blockquote', r.text, { class: 'rec-full' })];
            if (r.withdrawn)
                return h('section', {}, head, NM.views.rec.withdrawnEl(r.withdrawn));
            const OP = merge ? 'rec.merge' : 'rec.withdraw';
            const reason = h('textarea', { rows: 3, dir: 'auto', required: !merge, 'data-test': 'repair-reason' });
            const into = h('input', { type: 'text', dir: 'ltr', spellcheck: 'false', required: true,
                                      maxlength: F.limit(OP, 'into', 64), 'data-test': 'merge-into' });
            const preview = h('div', { 'aria-live': 'polite', 'data-test': 'merge-preview-box' });
            const out = h('div', { 'aria-live': 'polite', 'data-test': 'repair-outcome' });
            const send = h('button', { type: 'submit', class: 'primary danger', 'data-test': 'repair-send',
                                       text: merge ? t('Merge…') : t('Withdraw…') });
            const form = h('form', { id: 'repair-form', novalidate: true },
                merge ? A.field('into', t('Merge into (recommendation id)'), into) : null,
                merge ? preview : null,
                A.field('reason', tc('field', 'reason'), reason,
                        merge ? null : t('Say why: the reason stays in the log and the audit.')),
                send, out);
            let target = null;
            const check = async () => {
                preview.textContent = '';
                target = null;
                const v = into.value.trim();
                if (!v) return [{ field: 'into', code: 'required' }];
                if (v === r.id) return [{ field: 'into', code: 'bad_value' }];
                try { target = await NM.api.rec(v); } catch (e) {
                    preview.appendChild(h('p', { class: 'error', 'data-test': 'merge-not-found',
                                                 text: e.status === 404 ? t('No recommendation has this id.') : A.errorText(e) }));
                    return [];
                }
                if (target.rec && target.rec.withdrawn) {
                    preview.appendChild(h('p', { class: 'error', text: t('That recommendation is withdrawn.') }));
                    target = null;
                    return [];
                }
                preview.appendChild(movesEl(b, target));
                return [];
            };
            if (merge) into.addEventListener('change', check);
            form.addEventListener('submit', async (ev) => {
                ev.preventDefault();
                out.textContent = '';
                const errors = merge ? await check() : [];
                const why = reason.value.trim();
                if (!merge && !why) errors.push({ field: 'reason', code: 'required' });
                const max = F.limit(OP, 'reason', 32768);
                if (why && F.utf8len(why) > max) errors.push({ field: 'reason', code: 'too_long', max });
                if (A.showFieldErrors(form, errors).length || errors.length || (merge && !target)) return;
                send.hidden = true;
                const question = merge ? t('Merge {from} into {into}? {from} is withdrawn; its reports, measures and entities go to {into}.',
                                           { from: r.id, into: target.rec.id })
                                       : t('Withdraw {id}? It leaves the lists and the statistics; the log keeps it.', { id: r.id });
                out.appendChild(confirmBox(question, merge ? t('Merge') : t('Withdraw'), async () => {
                    try {
                        const res = merge ? await NM.api.merge(Object.assign({ from: r.id, into: target.rec.id }, why ? { reason: why } : {}))
                                          : await NM.api.withdraw(r.id, why);
                        out.appendChild(outcomeEl(res, 'repair-result'));
                        /* delivered: the page of the one withdrawn, which says so */
                        if (res.status === 200) A.go('rec', [r.id]);
                    } catch (err) {
                        out.appendChild(failEl(err, 'repair-result', form));
                        send.hidden = false;
                    }
                }, () => { send.hidden = false; }));
            });
            return h('section', {}, head, form);
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

    /* The filters stats takes (PROTOCOL.md section 6, stats), as the
       page's query and /api/report.html's. */
    const STATS_FILTERS = ['mechanism', 'entity', 'position', 'theme', 'cycle'];

    NM.views.stats = {
        title: 'Statistics',
        coord: true,
        live: true,
        async render(ctx) {
            const q = ctx.query || {};
            const f = {};
            for (const k of STATS_FILTERS) if (q[k]) f[k] = q[k];
            const filtered = Object.keys(f).length > 0;
            /* The choices of cycle and theme are those of everything (the
               filtered page's own would hide the others). */
            const [s, all] = await Promise.all([NM.api.stats(f), filtered ? NM.api.stats({}) : null]);
            const every = all || s;
            const bs = s.by_status || {};
            const dueList = (title, items, test) => items && items.length ? A.table(title,
                [t('Recommendation'), tc('field', 'lead'), tc('field', 'deadline'), t('Days'), tc('field', 'status')],
                items.map((i) => h('tr', { 'data-test': test, 'data-rec': i.rec }, h('td', {}, A.recLink(i.rec)), h('td', {}, A.entityEl(i.lead)),
                                   h('td', { text: NM.i18n.date(i.deadline) }), h('td', { class: 'num', text: NM.i18n.num(i.days) }),
                                   h('td', {}, A.statusBadge(i.status))))) : null;
            const ents = Object.values(A.state.entities).filter((e) => e.role !== 'coordinator')
                .sort((a, b) => A.entityName(a.id).localeCompare(A.entityName(b.id), NM.i18n.locale()));
            const sorted = (o) => Object.keys(o || {}).sort((a, b) => a.localeCompare(b, NM.i18n.locale(), { numeric: true }));
            const withCur = (list, cur) => (cur && list.indexOf(cur) < 0 ? list.concat([cur]) : list);
            const anyOf = (values, label) => [['', t('Any')]].concat(values.map((v) => [v, label(v)]));
            const mechs = (A.state.schema && A.state.schema.mechanisms) || NM.i18n.keys('mechanisms');
            const positions = (A.state.schema && A.state.schema.responses) || NM.i18n.keys('positions');
            const themes = withCur(sorted(every.by_theme), q.theme);
            const cycles = withCur(sorted(every.by_cycle), q.cycle);
            const filters = h('form', { id: 'stats-filters', class: 'filters', role: 'search', 'aria-label': t('Filters') },
                A.field('mechanism', tc('field', 'mechanism'), A.select('mechanism', anyOf(mechs, (v) => tc('mechanism', v)), q.mechanism, { 'data-test': 'stats-filter-mechanism' })),
                A.field('entity', tc('field', 'entity'), A.select('entity', anyOf(ents.map((e) => e.id), (v) => A.entityName(v)), q.entity, { 'data-test': 'stats-filter-entity' })),
                A.field('position', tc('field', 'response'), A.select('position', anyOf(positions, (v) => tc('response', v)), q.position, { 'data-test': 'stats-filter-position' })),
                A.field('theme', t('Theme'), A.select('theme', anyOf(themes, (v) => tc('theme', v)), q.theme, { 'data-test': 'stats-filter-theme' })),
                A.field('cycle', tc('field', 'cycle'), A.select('cycle', anyOf(cycles, (v) => v), q.cycle, { 'data-test': 'stats-filter-cycle' })),
                h('button', { type: 'submit', 'data-test': 'filter-apply', text: t('Apply') }),
                h('button', { type: 'button', class: 'link', 'data-test': 'filter-reset', text: t('Reset'), onclick: () => A.go('stats', [], {}) }));
            /* A choice applies at once: "CAT" then "Ministry of Justice" is two clicks. */
            const apply = () => {
                const nq = {};
                for (const [k, v] of new FormData(filters)) if (v) nq[k] = v;
                A.go('stats', [], nq);
            };
            filters.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
            filters.addEventListener('change', apply);
            const scope = [];
            if (f.mechanism) scope.push(tc('field', 'mechanism') + ' ' + tc('mechanism', f.mechanism));
            if (f.entity) scope.push(tc('field', 'entity') + ' ' + A.entityName(f.entity));
            if (f.position) scope.push(tc('field', 'response') + ' ' + tc('response', f.position));
            if (f.theme) scope.push(t('Theme') + ' ' + tc('theme', f.theme));
            if (f.cycle) scope.push(tc('field', 'cycle') + ' ' + f.cycle);
            const reportHref = '/api/report.html' + NM.api.query(Object.assign({ lang: NM.i18n.lang }, f));
            return h('section', { class: 'stats' },
                h('h1', { text: t('Statistics') }),
                filters,
                h('p', { 'data-test': 'stats-scope', 'data-filtered': filtered ? 'true' : 'false' },
                  filtered ? t('Only the recommendations of: {filters}', { filters: NM.i18n.list(scope) })
                           : t('All recommendations (withdrawn ones left out)')),
                h('p', {}, t('On {date}', { date: NM.i18n.date(s.today) }), ' — ',
                  h('a', { href: reportHref, 'data-test': 'report-html', download: '', text: t('Download the HTML report') })),
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

    /* An entity's names in fr/ar/en and its contact, saved with
       entity.update (only what changed is sent; a name cannot be
       emptied, the broker keeps it). */
    function entityForm(e, holder) {
        const OP = 'entity.update';
        const max = F.limit(OP, 'names', 256);
        const names = e.names || {};
        const inputs = {};
        for (const l of ['fr', 'ar', 'en']) {
            inputs[l] = h('input', { type: 'text', lang: l, dir: l === 'ar' ? 'rtl' : 'ltr', value: names[l] || '', maxlength: max,
                                     'data-test': 'entity-name-input-' + l });
        }
        const contact = h('input', { type: 'text', dir: 'ltr', value: e.contact || '', maxlength: F.limit(OP, 'contact', 256),
                                     'data-test': 'entity-contact-input' });
        const out = h('div', { 'aria-live': 'polite', 'data-test': 'entity-outcome' });
        const send = h('button', { type: 'submit', class: 'primary', 'data-test': 'entity-save', text: t('Save') });
        const form = h('form', { id: 'entity-form', novalidate: true, 'data-entity': e.id },
            h('h2', { text: t('Edit {name}', { name: A.entityName(e.id) + ' (' + e.id + ')' }) }),
            A.field('names_fr', t('Name (French)'), inputs.fr),
            A.field('names_ar', t('Name (Arabic)'), inputs.ar),
            A.field('names_en', t('Name (English)'), inputs.en),
            A.field('contact', t('Contact'), contact, t('An e-mail or a postal address, on one line.')),
            send, ' ', h('button', { type: 'button', 'data-test': 'entity-cancel', text: t('Cancel'), onclick: () => { holder.textContent = ''; } }),
            out);
        form.addEventListener('submit', async (ev) => {
            ev.preventDefault();
            out.textContent = '';
            const body = {};
            const changed = {};
            const errors = [];
            for (const l of ['fr', 'ar', 'en']) {
                const v = inputs[l].value.trim();
                if (v === (names[l] || '')) continue;
                if (!v) errors.push({ field: 'names_' + l, code: 'required' });
                else if (F.utf8len(v) > max) errors.push({ field: 'names_' + l, code: 'too_long', max });
                else changed[l] = v;
            }
            if (Object.keys(changed).length) body.names = changed;
            const c = contact.value.trim();
            if (c !== (e.contact || '')) {
                if (!c) errors.push({ field: 'contact', code: 'required' });
                else body.contact = c;
            }
            if (A.showFieldErrors(form, errors).length || errors.length) return;
            if (!body.names && body.contact === undefined) {
                out.appendChild(h('p', { class: 'muted', 'data-test': 'entity-result', text: t('Nothing changed.') }));
                return;
            }
            send.disabled = true;
            try {
                const res = await NM.api.updateEntity(e.id, body);
                out.appendChild(outcomeEl(res, 'entity-result'));
                /* saved: the form no longer holds typing, so the live
                   refresh (the replica's entity.updated) may redraw the page */
                A.state.dirty = false;
                await A.reloadEntities();
                if (res.status === 200) { /* the form closes; a notice says it is done */
                    A.notice(F.outcomeText({ state: 'delivered' }), 'entity-saved');
                    A.render({ live: true });
                }
            } catch (err) {
                /* the broker's names.LANG is the form's names_LANG */
                out.appendChild(failEl(err, 'entity-result', form,
                                       (f) => (/^names/.test(f) ? 'names_' + (String(f).split('.')[1] || 'fr') : f)));
            }
            send.disabled = false;
        });
        return form;
    }

    NM.views.entities = {
        title: 'Entities',
        coord: true,
        live: true,
        async render() {
            const b = await NM.api.entities();
            const holder = h('div', { id: 'entity-editor', 'data-test': 'entity-editor' });
            const edit = (e) => {
                holder.textContent = '';
                holder.appendChild(entityForm(e, holder));
                const first = holder.querySelector('input');
                if (first) first.focus();
            };
            const rows = (b.entities || []).map((e) => h('tr', { 'data-test': 'entity-row', 'data-entity': e.id, 'data-key': 'e-' + e.id },
                h('td', {}, h('code', { text: e.id })), h('td', { text: tc('role', e.role) }),
                h('td', {}, h('span', { class: 'badge ent-' + e.state, text: tc('entity_state', e.state) })),
                ['fr', 'ar', 'en'].map((l) => h('td', { lang: l, dir: l === 'ar' ? 'rtl' : 'ltr', 'data-test': 'entity-name-' + l,
                                                        text: (e.names || {})[l] || '' })),
                h('td', { dir: 'ltr', 'data-test': 'entity-contact', text: e.contact || '' }),
                h('td', { class: 'noprint' }, h('button', { type: 'button', 'data-test': 'entity-edit', 'data-entity': e.id,
                                                             text: t('Edit'), 'aria-label': t('Edit {name}', { name: A.entityName(e.id) }),
                                                             onclick: () => edit(e) }))));
            return h('section', {}, h('h1', { text: t('Entities') }), holder,
                     A.table(null, [t('Id'), tc('field', 'role'), tc('field', 'state'), t('Name (French)'), t('Name (Arabic)'), t('Name (English)'),
                                    t('Contact'), ''],
                             rows, { 'data-test': 'entities-table' }));
        },
    };
})();
