/*  api.js - every request the pages make to nmirf-web's JSON API
    (docs/WEB.md section 2).

    Same-origin cookie session; the header X-CSRF-Token on every request
    that is not GET; JSON both ways (the import's file goes as its bytes).
    A 401 sends the page to the login (NM.api.onUnauthorized). A failed
    request throws an NM.api.Error {status, code, message, errors,
    retryAfter}: status 0 and code "network" when no answer came, so the
    caller may send the same request again (same request id).
*/
'use strict';
window.NM = window.NM || {};
NM.api = (function () {
    let csrf = '';

    class ApiError extends Error {
        constructor(status, body, retryAfter) {
            body = body || {};
            super(body.message || body.code || ('HTTP ' + status));
            this.status = status;
            this.code = body.code || (status ? 'http_' + status : 'network');
            this.errors = Array.isArray(body.errors) ? body.errors : [];
            this.retryAfter = retryAfter;
        }
    }

    const self = {
        Error: ApiError,
        onUnauthorized: null,
        setCsrf(token) { csrf = token || ''; },
    };

    /* method, path (already encoded), body: undefined, an object (JSON), or
       an ArrayBuffer (sent as is). Returns {status, data}. */
    async function call(method, path, body) {
        const headers = { Accept: 'application/json' };
        let payload;
        if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
        if (body instanceof ArrayBuffer) {
            headers['Content-Type'] = 'application/octet-stream';
            payload = body;
        } else if (body !== undefined) {
            headers['Content-Type'] = 'application/json';
            payload = JSON.stringify(body);
        }
        let resp;
        try {
            resp = await fetch(path, { method, headers, body: payload, credentials: 'same-origin',
                                       cache: 'no-store' });
        } catch (e) {
            throw new ApiError(0, { code: 'network', message: String(e) });
        }
        let data = null;
        if ((resp.headers.get('Content-Type') || '').indexOf('json') >= 0) {
            try { data = await resp.json(); } catch (e) { data = null; }
        }
        if (resp.status === 401 && path !== '/api/login' && self.onUnauthorized) {
            self.onUnauthorized();
        }
        if (!resp.ok) {
            const ra = resp.headers.get('Retry-After');
            throw new ApiError(resp.status, data, ra ? parseInt(ra, 10) : undefined);
        }
        return { status: resp.status, data: data || {} };
    }

    /* A query string of the values given (empty ones left out). */
    function query(params) {
        const parts = [];
        for (const k of Object.keys(params || {})) {
            const v = params[k];
            if (v === undefined || v === null || v === '') continue;
            parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
        }
        return parts.length ? '?' + parts.join('&') : '';
    }

    /* 32 hex digits from the browser's random source: a request id. */
    function newId() {
        const b = new Uint8Array(16);
        crypto.getRandomValues(b);
        return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    }

    const get = async (path, params) => (await call('GET', path + query(params))).data;

    Object.assign(self, {
        call, query, newId, get,
        login: (user, password, lang) => call('POST', '/api/login', { user, password, lang }),
        logout: () => call('POST', '/api/logout', {}),
        session: () => get('/api/session'),
        setLang: (lang) => call('PUT', '/api/session', { lang }),
        status: () => get('/api/status'),
        schema: () => get('/api/schema'),
        entities: () => get('/api/entities'),
        mine: (p) => get('/api/mine', p),
        recs: (p) => get('/api/recs', p),
        rec: (id) => get('/api/recs/' + encodeURIComponent(id)),
        measures: (p) => get('/api/measures', p),
        outbox: () => get('/api/outbox'),
        reports: (p) => get('/api/reports', p),
        stats: (p) => get('/api/stats', p),
        submitReport: (body) => call('POST', '/api/reports', body),
        validate: (n) => call('POST', '/api/reports/' + encodeURIComponent(n) + '/validate', {}),
        returnReport: (n, reason) =>
            call('POST', '/api/reports/' + encodeURIComponent(n) + '/return', { reason }),
        assign: (body) => call('POST', '/api/assign', body),
        importPreview: (bytes, name) =>
            call('POST', '/api/import/preview' + query({ format: 'auto', name }), bytes),
        importRun: (bytes, name) =>
            call('POST', '/api/import' + query({ format: 'auto', name }), bytes),
        addMeasure: (body) => call('POST', '/api/measures', body),
        updateMeasure: (n, body) => call('PUT', '/api/measures/' + encodeURIComponent(n), body),
        withdraw: (rec, reason) => call('POST', '/api/withdraw', { rec, reason }),
        merge: (body) => call('POST', '/api/merge', body),
        updateEntity: (id, body) => call('PUT', '/api/entities/' + encodeURIComponent(id), body),
    });
    return self;
})();
