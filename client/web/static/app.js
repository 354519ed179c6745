/*  app.js - the console's shell: the DOM helper, the session, the header
    (entity, user, language, connection badge), the menu, the hash router,
    the live stream and its notices (docs/WEB.md section 5).

    The pages are in views.js (everyone's) and coord.js (the coordinator's);
    each registers NM.views[NAME] = {title, render(ctx), live, coord,
    editor}. A view's render returns the node that becomes the page; it
    reads data through NM.api and writes data only with textContent (NM.h),
    never as HTML.

    Routes: #/NAME/ARG...?QUERY, each ARG percent-encoded (a
    recommendation's id holds "/"): #/mine, #/recs?status=..&page=2,
    #/rec/ID, #/rec/ID/report, #/outbox, #/import, #/assign?rec=ID,
    #/review, #/measures?rec=ID, #/stats, #/entities, #/login.
*/
'use strict';
window.NM = window.NM || {};
NM.views = NM.views || {};
NM.app = (function () {
    const { t, tc } = NM.i18n;

    /* h('tag', {attr: value, class:, text:, onclick: fn, dataset...}, child...)
       Children: nodes, strings (as text), arrays, null (skipped). */
    function h(tag, attrs, ...children) {
        const e = tag.indexOf('svg:') === 0
            ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
            : document.createElement(tag);
        for (const k of Object.keys(attrs || {})) {
            const v = attrs[k];
            if (v === undefined || v === null || v === false) continue;
            if (k === 'text') e.textContent = String(v);
            else if (k.indexOf('on') === 0 && typeof v === 'function') e.addEventListener(k.slice(2), v);
            else if (k === 'value' && 'value' in e && tag !== 'svg:rect') e.value = v;
            else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'multiple')
                e[k] = !!v;
            else e.setAttribute(k, v === true ? '' : String(v));
        }
        append(e, children);
        return e;
    }
    function append(e, children) {
        for (const c of children) {
            if (c === null || c === undefined || c === false) continue;
            if (Array.isArray(c)) append(e, c);
            else if (c instanceof Node) e.appendChild(c);
            else e.appendChild(document.createTextNode(String(c)));
        }
    }

    const state = {
        session: null,   /* {user, role, csrf, lang, entity, entity_role, expires} */
        entities: {},    /* id -> entity */
        schema: null,
        status: null,    /* the last /api/status or SSE state */
        view: null,
        route: null,
        source: null,    /* the EventSource */
        dirty: false,    /* something was typed in the page since it was drawn */
    };

    const isCoordinator = () => !!state.session && state.session.role === 'coordinator' &&
                                state.session.entity_role === 'coordinator';
    const isEditor = () => !!state.session &&
        (state.session.role === 'editor' || state.session.role === 'coordinator');

    /* --- shared pieces of pages ------------------------------------------ */

    function entityName(id) {
        if (!id || id === '-') return id === '-' ? t('Not assigned') : '';
        const e = state.entities[id];
        if (!e || !e.names) return id;
        return NM.i18n.pick(e.names).text || id;
    }
    function entityEl(id) {
        const e = state.entities[id];
        const p = e && e.names ? NM.i18n.pick(e.names) : { text: id, lang: '' };
        const name = p.text || id;
        const other = p.lang && p.lang !== NM.i18n.lang;
        return h('span', { class: 'entity', lang: other ? p.lang : null, dir: other ? (p.lang === 'ar' ? 'rtl' : 'ltr') : null,
                           title: id }, name !== id ? [name, ' ', h('span', { class: 'muted', dir: 'ltr', text: '(' + id + ')' })] : id);
    }

    /* A record's text in the page's language, else French, else English;
       a fallback says its language so the browser shapes and reads it right. */
    function textEl(tag, texts, attrs) {
        const p = NM.i18n.pick(texts);
        const a = Object.assign({}, attrs || {});
        if (p.lang && p.lang !== NM.i18n.lang) {
            a.lang = p.lang;
            a.dir = p.lang === 'ar' ? 'rtl' : 'ltr';
            a.class = ((a.class || '') + ' fallback').trim();
        } else if (!p.lang) {
            a.dir = 'auto';
        }
        /* a list's text is clipped to three lines: the whole on hover */
        if (/\brec-text\b/.test(a.class || '')) a.title = p.text;
        return h(tag, a, p.text);
    }

    function statusBadge(s) {
        return h('span', { class: 'badge status-' + s, 'data-status': s, text: tc('status', s) });
    }
    function dueBadge(due) {
        if (!due) return null;
        return h('span', { class: 'badge due-' + due, 'data-due': due, text: tc('due', due) });
    }
    function daysLeft(item) {
        if (item.days_left === undefined || item.days_left === null) return '';
        return h('span', { class: 'n', dir: 'ltr', text: NM.i18n.num(item.days_left) });
    }
    /* An id shown whole, selectable in one click, with a copy button; with
       link, the id is the link to its recommendation. */
    function copyable(id, link) {
        const code = link ? recLink(id) : h('code', { class: 'id', text: id });
        const btn = h('button', { type: 'button', class: 'copy', 'aria-label': t('Copy the id {id}', { id }),
                                  text: t('Copy') });
        btn.addEventListener('click', async () => {
            try {
                await navigator.clipboard.writeText(id);
                btn.textContent = t('Copied');
            } catch (e) {
                const r = document.createRange();
                r.selectNodeContents(code);
                const s = window.getSelection();
                s.removeAllRanges();
                s.addRange(r);
            }
        });
        return h('span', { class: 'copyable' }, code, ' ', btn);
    }
    function recLink(id) {
        return h('a', { href: '#/rec/' + encodeURIComponent(id), class: 'id', text: id });
    }

    /* An error as the page's language says it: the catalog's error word,
       else the server's English message. */
    function errorText(err) {
        if (!err) return '';
        if (err.code === 'rate_limited') {
            return err.retryAfter
                ? t('Too many failed attempts. Try again in {n} seconds.', { n: NM.i18n.num(err.retryAfter) })
                : tc('error', 'rate_limited');
        }
        if (err.code && NM.i18n.has('error', err.code)) return tc('error', err.code);
        if (err.code === 'network') return t('The console does not answer. Check the connection and try again.');
        return err.message || String(err);
    }
    function errorBox(err) {
        return h('p', { class: 'error', role: 'alert', 'data-test': 'error', 'data-code': err && err.code },
                 errorText(err));
    }
    function fieldErrorText(e) {
        let s = tc('error', e.code);
        if (e.max !== undefined && e.max !== null) s += ' ' + t('(at most {max})', { max: NM.i18n.num(e.max) });
        return s;
    }

    /* A labelled form field: label, control, and the place of its error
       (data-test="field-error-NAME", the control's aria-describedby). */
    /* Field ids are f-NAME, f-NAME-2...: counted afresh by each render, so
       a page drawn again gives its fields the same ids (focus kept). */
    let fieldSeq = {};
    function field(name, label, control, hint) {
        fieldSeq[name] = (fieldSeq[name] || 0) + 1;
        const id = control.id || ('f-' + name + (fieldSeq[name] > 1 ? '-' + fieldSeq[name] : ''));
        control.id = id;
        if (!control.name) control.name = name;
        const err = h('p', { class: 'field-error', id: id + '-err', 'data-test': 'field-error-' + name,
                             'data-field': name, hidden: true });
        const parts = [err.id];
        let hintEl = null;
        if (hint) {
            hintEl = h('p', { class: 'hint', id: id + '-hint' }, hint);
            parts.unshift(hintEl.id);
        }
        control.setAttribute('aria-describedby', parts.join(' '));
        return h('div', { class: 'field', 'data-name': name },
                 h('label', { for: id, text: label }), hintEl, control, err);
    }
    /* Shows errors [{field, code, max?}] beside their fields in form;
       returns those that have no field there. */
    function showFieldErrors(form, errors) {
        for (const p of form.querySelectorAll('.field-error')) { p.hidden = true; p.textContent = ''; }
        for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
        const rest = [];
        let first = null;
        for (const e of errors || []) {
            const name = String(e.field || '').replace(/\[.*$/, '').replace(/\..*$/, '');
            const p = form.querySelector('.field-error[data-field="' + CSS.escape(name) + '"]');
            if (!p) { rest.push(e); continue; }
            p.hidden = false;
            p.textContent = (p.textContent ? p.textContent + ' ' : '') + fieldErrorText(e);
            /* the field's control, or a group's (evidence links, points) */
            const c = document.getElementById(p.id.replace(/-err$/, ''));
            const box = p.closest('[data-name]');
            const cs = c ? [c] : box ? Array.from(box.querySelectorAll('input, select, textarea')) : [];
            for (const x of cs) x.setAttribute('aria-invalid', 'true');
            if (!first && cs.length) first = cs[0];
        }
        if (first) first.focus();
        return rest;
    }
    /* Errors that have no field in the form, said in one line. */
    function restText(rest) {
        return rest.map((e) => t('{field}: {error}', { field: tc('field', e.field), error: fieldErrorText(e) })).join(' ');
    }

    function table(caption, heads, rows, attrs) {
        return h('div', { class: 'table-wrap' },
                 h('table', attrs || {},
                   caption ? h('caption', { text: caption }) : null,
                   h('thead', {}, h('tr', {}, heads.map((x) => h('th', { scope: 'col' }, x)))),
                   h('tbody', {}, rows)));
    }

    function select(name, options, value, attrs) {
        /* options: [[value, label], ...] */
        return h('select', Object.assign({ name }, attrs || {}),
                 options.map(([v, l]) => h('option', { value: v, selected: String(v) === String(value || '') }, l)));
    }

    /* --- notices (aria-live) ---------------------------------------------- */

    function notice(text, kind) {
        const box = document.getElementById('notices');
        const n = h('div', { class: 'notice' + (kind ? ' notice-' + kind : ''), 'data-test': 'notice',
                             'data-kind': kind || '' },
                    h('span', { text }),
                    h('button', { type: 'button', class: 'link', 'aria-label': t('Dismiss'), text: '×',
                                  onclick: () => n.remove() }));
        box.appendChild(n);
        while (box.children.length > 5) box.firstChild.remove();
    }

    /* --- header, menu ------------------------------------------------------ */

    function badge() {
        const s = state.status;
        const b = document.getElementById('stale-badge');
        if (!b) return;
        if (!s) { b.hidden = true; return; }
        b.hidden = false;
        const stale = !!s.stale;
        b.className = 'badge ' + (stale ? 'stale' : 'fresh');
        b.dataset.stale = stale ? 'true' : 'false';
        if (!stale) {
            b.textContent = t('Up to date');
        } else if (s.contact_at) {
            const d = new Date(Number(s.contact_at));
            const today = new Date().toDateString() === d.toDateString();
            b.textContent = t('Not up to date — last update {time}',
                              { time: today ? NM.i18n.time(s.contact_at) : NM.i18n.dateTime(s.contact_at) });
        } else {
            b.textContent = t('Not up to date — no contact with the central server yet');
        }
        const ob = document.getElementById('outbox-count');
        if (ob) {
            const n = s.outbox || 0;
            ob.hidden = !n;
            ob.textContent = n ? t('Waiting to be sent: {n}', { n: NM.i18n.num(n) }) : '';
        }
    }

    function langSwitch() {
        const names = { fr: 'Français', ar: 'العربية', en: 'English' };
        return h('div', { class: 'langs', role: 'group', 'aria-label': t('Language') },
                 NM.i18n.LANGS.map((l) => h('button', {
                     type: 'button', lang: l, 'data-test': 'lang-' + l, 'aria-pressed': l === NM.i18n.lang ? 'true' : 'false',
                     onclick: () => setLang(l), text: names[l] })));
    }

    function renderHeader() {
        const hd = document.getElementById('header');
        hd.textContent = '';
        const s = state.session;
        const left = h('div', { class: 'brand' },
                       h('span', { class: 'app-name', text: t('Recommendations follow-up') }),
                       s ? h('span', { class: 'console-entity', id: 'console-entity', 'data-test': 'entity' },
                             entityName(s.entity)) : null);
        const right = h('div', { class: 'session' },
                        s ? h('span', { id: 'stale-badge', 'data-test': 'stale-badge', role: 'status', hidden: true }) : null,
                        s ? h('a', { id: 'outbox-count', class: 'badge outbox', href: '#/outbox', hidden: true }) : null,
                        s ? h('span', { class: 'who', 'data-test': 'user' },
                              s.user, ' — ', tc('role', s.role)) : null,
                        langSwitch(),
                        s ? h('button', { type: 'button', id: 'logout', 'data-test': 'logout', onclick: logout,
                                          text: t('Log out') }) : null);
        hd.append(left, right);
        badge();
        const skip = document.getElementById('skip');
        skip.textContent = t('Skip to content');
        document.title = t('Recommendations follow-up');
    }

    const MENU = [
        ['mine', 'My recommendations', null],
        ['recs', 'All recommendations', null],
        ['outbox', 'Outbox', null],
        ['review', 'Reports to validate', 'coord'],
        ['assign', 'Assign', 'coord'],
        ['import', 'Import', 'coord'],
        ['measures', 'Measures', 'coord'],
        ['stats', 'Statistics', 'coord'],
        ['entities', 'Entities', 'coord'],
    ];
    function renderNav() {
        const nav = document.getElementById('nav');
        nav.textContent = '';
        if (!state.session) { nav.hidden = true; return; }
        nav.hidden = false;
        nav.setAttribute('aria-label', t('Menu'));
        const cur = state.route ? state.route.name : '';
        nav.appendChild(h('ul', {}, MENU.filter(([, , who]) => who !== 'coord' || isCoordinator())
            .map(([name, label]) => h('li', {}, h('a', {
                href: '#/' + name, 'data-test': 'nav-' + name,
                'aria-current': name === cur || (name === 'recs' && (cur === 'rec' || cur === 'repair')) ? 'page' : null,
                text: t(label) })))));
    }

    /* --- session ----------------------------------------------------------- */

    /* The entities again (an entity.updated event, an edit): every name
       shown after it is the new one. */
    async function reloadEntities() {
        try {
            const b = await NM.api.entities();
            state.entities = {};
            for (const e of b.entities || []) state.entities[e.id] = e;
        } catch (e) { /* the names known stay */ }
    }

    async function loadContext() {
        const [ents, schema, status] = await Promise.allSettled([NM.api.entities(), NM.api.schema(),
                                                                 NM.api.status()]);
        state.entities = {};
        if (ents.status === 'fulfilled') {
            for (const e of ents.value.entities || []) state.entities[e.id] = e;
        }
        if (schema.status === 'fulfilled') state.schema = schema.value;
        if (status.status === 'fulfilled') state.status = status.value;
    }

    async function started(session) {
        state.session = session;
        NM.api.setCsrf(session.csrf);
        if (session.lang && session.lang !== NM.i18n.lang) await NM.i18n.load(session.lang);
        await loadContext();
        renderHeader();
        openStream();
    }

    async function logout() {
        try { await NM.api.logout(); } catch (e) { /* gone already */ }
        ended();
    }
    function ended() {
        if (state.source) { state.source.close(); state.source = null; }
        state.session = null;
        state.status = null;
        NM.api.setCsrf('');
        renderHeader();
        if (location.hash !== '#/login') location.hash = '#/login';
        else render();
    }

    async function setLang(l) {
        await NM.i18n.load(l);
        if (state.session) {
            try {
                const r = await NM.api.setLang(l);
                if (r.data && r.data.csrf) NM.api.setCsrf(r.data.csrf);
            } catch (e) { /* kept in this browser anyway */ }
        }
        renderHeader();
        await render({ keepFocus: true });
        const b = document.querySelector('[data-test="lang-' + l + '"]');
        if (b) b.focus();
    }

    /* --- router ------------------------------------------------------------ */

    function parse() {
        const raw = location.hash.replace(/^#\/?/, '');
        const q = raw.indexOf('?');
        const path = q >= 0 ? raw.slice(0, q) : raw;
        const query = {};
        if (q >= 0) {
            for (const [k, v] of new URLSearchParams(raw.slice(q + 1))) query[k] = v;
        }
        const parts = path.split('/').filter((x) => x !== '').map((x) => {
            try { return decodeURIComponent(x); } catch (e) { return x; }
        });
        let name = parts.shift() || '';
        if (name === 'rec' && parts[1] === 'report') name = 'report';
        return { name, args: parts, query };
    }

    function go(name, args, query) {
        location.hash = '#/' + [name].concat((args || []).map(encodeURIComponent)).join('/') +
                        NM.api.query(query || {});
    }

    function defaultRoute() {
        return state.session && state.session.entity_role === 'coordinator' ? 'recs' : 'mine';
    }

    let renderSeq = 0;
    /* Renders the route's view. opts.live: a refresh for the live stream
       (rows not seen before are highlighted, focus kept); opts.keepFocus. */
    async function render(opts) {
        opts = opts || {};
        const seq = ++renderSeq;
        const main = document.getElementById('main');
        let route = parse();
        if (!state.session) {
            route = { name: 'login', args: [], query: {} };
        } else if (!route.name || route.name === 'login' || !NM.views[route.name]) {
            go(defaultRoute());
            return;
        }
        const view = NM.views[route.name];
        if (view.coord && !isCoordinator()) { go(defaultRoute()); return; }
        state.route = route;
        state.view = view;
        renderNav();
        const before = new Set(Array.from(main.querySelectorAll('[data-key]'), (e) => e.dataset.key));
        const focus = focusPath(main);
        fieldSeq = {};
        let node;
        try {
            node = await view.render({ args: route.args, query: route.query, live: !!opts.live });
        } catch (err) {
            if (err && err.status === 401) return;
            node = h('section', {}, h('h1', { text: t(view.title) }), errorBox(err));
        }
        if (seq !== renderSeq) return; /* a newer render took over */
        main.textContent = '';
        main.appendChild(node);
        state.dirty = false;
        main.dataset.view = route.name;
        document.title = t(view.title) + ' — ' + t('Recommendations follow-up');
        if (opts.live) {
            for (const e of main.querySelectorAll('[data-key]')) {
                if (!before.has(e.dataset.key)) {
                    e.classList.add('is-new');
                    const first = e.firstElementChild || e;
                    first.appendChild(h('span', { class: 'badge new', 'data-test': 'new-badge', text: t('New') }));
                }
            }
        }
        if (opts.live || opts.keepFocus) {
            focusBack(main, focus);
        } else {
            const h1 = main.querySelector('h1');
            if (h1) { h1.tabIndex = -1; h1.focus(); }
        }
    }

    /* Where the focus is in main: its id, else its row (data-key) and its
       place among the row's controls; focusBack finds it in the new page. */
    const FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]';
    function focusPath(main) {
        const a = document.activeElement;
        if (!a || !main.contains(a) || a === main) return null;
        if (a.id) return { id: a.id };
        const row = a.closest('[data-key]');
        if (!row) return null;
        return { key: row.dataset.key, idx: Array.from(row.querySelectorAll(FOCUSABLE)).indexOf(a) };
    }
    function focusBack(main, f) {
        if (!f) return;
        let e = null;
        if (f.id) e = document.getElementById(f.id);
        else {
            const row = Array.from(main.querySelectorAll('[data-key]')).find((r) => r.dataset.key === f.key);
            if (row) e = row.querySelectorAll(FOCUSABLE)[f.idx] || null;
        }
        if (e) e.focus();
    }

    let refreshTimer = null;
    /* The live stream said something changed: the open page's data again,
       once for a burst of events (150 ms). A form is left alone. */
    function refreshSoon() {
        if (refreshTimer) clearTimeout(refreshTimer);
        refreshTimer = setTimeout(() => {
            refreshTimer = null;
            /* a page where something is being typed is left as it is */
            if (state.view && state.view.live && state.session && !state.dirty) render({ live: true });
            if (state.view && state.view.onEvent) state.view.onEvent();
        }, 150);
    }

    /* --- live -------------------------------------------------------------- */

    function notifyText(n) {
        const iso = NM.i18n.iso;
        const id = iso(n.rec || n.subject || '');
        const d = n.data || {};
        switch (n.kind) {
        case 'assigned': return t('New recommendation assigned: {id}', { id });
        case 'unassigned': return t('Assignment withdrawn: {id}', { id });
        case 'validated': return t('Report {n} validated', { n: d.id || n.subject });
        case 'returned': return t('Report {n} returned: {reason}', { n: d.id || n.subject, reason: iso(n.reason || d.reason || '') });
        case 'rec_updated': return t('Recommendation updated: {id}', { id });
        case 'deadline.due_soon': return t('Deadline soon: {id}', { id });
        case 'deadline.overdue': return t('Deadline passed: {id}', { id });
        /* a measure's event names its recommendation, else only the
           measure's number, which must not read as a recommendation's id */
        case 'measure.added': return n.rec ? t('Measure added: {id}', { id }) : t('Measure {n} added', { n: n.subject });
        case 'measure.updated': return n.rec ? t('Measure updated: {id}', { id }) : t('Measure {n} updated', { n: n.subject });
        case 'refused': return t('A submission was refused: {reason}', { reason: d.code ? tc('error', d.code) : iso(n.reason || '') });
        case 'key_refused': return t('The central server refuses this console\'s key: reports wait in the outbox.');
        default: return null; /* a kind this page does not know: ignored */
        }
    }

    function openStream() {
        if (state.source || typeof EventSource === 'undefined') return;
        const src = new EventSource('/api/events');
        state.source = src;
        const seen = new Set();
        const data = (ev) => { try { return JSON.parse(ev.data); } catch (e) { return null; } };
        src.addEventListener('applied', async (ev) => {
            /* an entity's new names are the whole page's: fetched first */
            const e = data(ev);
            if (e && e.kind === 'entity.updated') await reloadEntities();
            refreshSoon();
        });
        src.addEventListener('notify', (ev) => {
            /* a message seen before (a resumed stream) is not told twice */
            if (ev.lastEventId) {
                if (seen.has(ev.lastEventId)) return;
                seen.add(ev.lastEventId);
                if (seen.size > 1000) seen.clear();
            }
            const n = data(ev);
            if (n) {
                const text = notifyText(n);
                if (text) notice(text, n.kind);
                if (state.view && state.view.onNotify) state.view.onNotify(n);
            }
            refreshSoon();
        });
        src.addEventListener('state', (ev) => {
            const s = data(ev);
            if (s) { state.status = Object.assign({}, state.status || {}, s); badge(); }
        });
        src.addEventListener('reload', () => refreshSoon());
        src.addEventListener('error', async () => {
            /* EventSource reconnects by itself; a closed stream may mean the
               session ended: ask. */
            if (src.readyState === EventSource.CLOSED) {
                state.source = null;
                try { await NM.api.session(); setTimeout(openStream, 5000); } catch (e) { /* 401: login */ }
            }
        });
    }

    /* --- start ------------------------------------------------------------- */

    async function start() {
        document.getElementById('skip').addEventListener('click', (e) => {
            e.preventDefault();
            document.getElementById('main').focus();
        });
        NM.api.onUnauthorized = () => { if (state.session) ended(); };
        const main = document.getElementById('main');
        main.addEventListener('input', () => { state.dirty = true; });
        main.addEventListener('change', () => { state.dirty = true; });
        await NM.i18n.load(NM.i18n.initial());
        try {
            const s = await NM.api.session();
            await started(s);
        } catch (e) {
            state.session = null;
            renderHeader();
        }
        window.addEventListener('hashchange', () => render());
        /* A page the browser keeps in its back-forward cache must not keep
           its event stream: a browser opens at most six connections to a
           host, and six cached pages would leave none for the next one. */
        window.addEventListener('pagehide', () => {
            if (state.source) { state.source.close(); state.source = null; }
        });
        window.addEventListener('pageshow', (e) => {
            if (e.persisted && state.session) { openStream(); refreshSoon(); }
        });
        await render();
    }

    return {
        h, state, isCoordinator, isEditor, entityName, entityEl, textEl, statusBadge, dueBadge,
        daysLeft, copyable, recLink, errorText, errorBox, fieldErrorText, field, showFieldErrors, restText,
        table, select, notice, go, render, started, start, defaultRoute, badge, reloadEntities,
    };
})();
document.addEventListener('DOMContentLoaded', () => NM.app.start());
