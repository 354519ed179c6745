/*  i18n.js - the page's language: its catalog, its words, its numbers and
    dates (docs/WEB.md section 4).

    The catalog is GET /api/i18n/LANG: {lang, dir, messages: {KEY: TEXT}},
    built by nmirf-web from po/LANG.po: the interface's words. KEY is the
    English text (t), or CONTEXT + "\u0004" + WORD for a word of the
    interface's own (tc: due, error, field, entity_state, outbox_state,
    op). A text the catalog lacks is shown in English, never as nothing.

    The names of stored values (tc: status, response, mechanism,
    report_state, role, theme, sdg) are not in the catalogs but in the
    vocabularies, data/vocab/*.tsv, which the report and the command line
    read too: GET /api/vocab, all three languages at once, fetched once
    per page (the browser revalidates it by its ETag). A name is shown in
    the page's language, else French, else English, else the value as
    stored (a theme as the UHRI export wrote it).

    Texts hold named places, "{name}", filled by t's second argument; the
    catalogs keep the same names. No plurals: the texts are worded so one
    form fits every number ("Overdue: 3"), since Arabic has six.
*/
'use strict';
window.NM = window.NM || {};
NM.i18n = (function () {
    const LOCALES = { fr: 'fr-FR', ar: 'ar-MA', en: 'en-GB' };
    const LANGS = ['fr', 'ar', 'en'];
    let lang = 'fr';
    let dir = 'ltr';
    let messages = {};
    let vocab = null;     /* GET /api/vocab: {KIND: {KEY: {fr, ar, en}}} */
    let themeIndex = {};  /* a theme's key in lower case, trimmed -> its key */
    /* tc's contexts that name stored values, and their vocabulary. */
    const VOCAB = { status: 'statuses', response: 'positions', position: 'positions',
                    mechanism: 'mechanisms', report_state: 'report_states', role: 'roles',
                    theme: 'themes', sdg: 'sdgs' };

    function fill(text, vars) {
        if (!vars) return text;
        return text.replace(/\{([a-z_]+)\}/g, (m, k) =>
            Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : m);
    }

    /* The page's text for the English msgid, its places filled. */
    function t(msgid, vars) {
        const s = messages[msgid];
        return fill(s ? s : msgid, vars);
    }

    /* An SDG target as imported ("16.3 Promote the rule of law", "16.a",
       "16") -> its goal "16", or null (as nmirf_vocab_sdg_goal). */
    function sdgGoal(target) {
        const m = /^\s*(\d{1,2})(?=$|[.\s])/.exec(String(target));
        const g = m ? Number(m[1]) : 0;
        return g >= 1 && g <= 17 ? String(g) : null;
    }

    /* The vocabulary's entry {fr, ar, en} of a stored value, or null. */
    function entry(kind, key) {
        const v = vocab && vocab[kind];
        if (!v || key === undefined || key === null) return null;
        let k = String(key);
        if (kind === 'themes') k = themeIndex[k.trim().toLowerCase()];
        else if (kind === 'sdgs') k = sdgGoal(k);
        return k !== undefined && k !== null && Object.prototype.hasOwnProperty.call(v, k) ? v[k] : null;
    }

    /* A word: a stored value's name from the vocabularies, or the
       interface's word from the catalog; else the word itself, readable. */
    function tc(ctx, word) {
        if (word === undefined || word === null) return '';
        if (VOCAB[ctx]) {
            const e = entry(VOCAB[ctx], word);
            const s = e && (e[lang] || e.fr || e.en);
            if (s) return s;
            return ctx === 'theme' || ctx === 'sdg' ? String(word) : String(word).replace(/_/g, ' ');
        }
        const s = messages[ctx + '\u0004' + word];
        if (s) return s;
        return String(word).replace(/_/g, ' ');
    }

    function has(ctx, word) {
        if (VOCAB[ctx]) return entry(VOCAB[ctx], word) !== null;
        return Object.prototype.hasOwnProperty.call(messages, ctx + '\u0004' + word);
    }

    /* The keys of a vocabulary in file order ("statuses": not_started ...),
       or fallback if it could not be had. */
    function keys(kind, fallback) {
        return vocab && vocab[kind] ? Object.keys(vocab[kind]) : (fallback || []);
    }

    /* GET /api/vocab, once a page; a vocabulary that cannot be had leaves
       the values as stored (the page still works) and is asked again at
       the next load. */
    async function loadVocab() {
        if (vocab) return;
        try {
            const r = await fetch('/api/vocab', { credentials: 'same-origin',
                                                  headers: { Accept: 'application/json' } });
            if (r.ok) {
                vocab = await r.json();
                themeIndex = {};
                for (const k of Object.keys(vocab.themes || {})) themeIndex[k.trim().toLowerCase()] = k;
            }
        } catch (e) {
            /* offline: the values as stored */
        }
    }

    /* Loads LANG's catalog; a catalog that cannot be had leaves the
       English texts (the page still works). Sets <html lang dir>. */
    async function load(l) {
        if (LANGS.indexOf(l) < 0) l = 'fr';
        lang = l;
        dir = l === 'ar' ? 'rtl' : 'ltr';
        messages = {};
        await loadVocab();
        try {
            const r = await fetch('/api/i18n/' + l, { credentials: 'same-origin',
                                                       headers: { Accept: 'application/json' } });
            if (r.ok) {
                const c = await r.json();
                messages = c.messages || {};
                if (c.dir === 'rtl' || c.dir === 'ltr') dir = c.dir;
            }
        } catch (e) {
            /* offline or no catalog: English */
        }
        document.documentElement.lang = lang;
        document.documentElement.dir = dir;
        try { localStorage.setItem('nmirf.lang', lang); } catch (e) { /* private mode */ }
    }

    /* The language to start in: the one chosen before in this browser,
       else the browser's own if we have it, else French. */
    function initial() {
        let l = null;
        try { l = localStorage.getItem('nmirf.lang'); } catch (e) { /* private mode */ }
        if (LANGS.indexOf(l) >= 0) return l;
        for (const b of navigator.languages || [navigator.language || '']) {
            const p = String(b).slice(0, 2).toLowerCase();
            if (LANGS.indexOf(p) >= 0) return p;
        }
        return 'fr';
    }

    /* s isolated from the text around it (FSI ... PDI): an id or a French
       reason inside an Arabic sentence keeps its own direction. */
    function iso(s) { return '\u2068' + String(s) + '\u2069'; }

    /* Items joined as the language writes a list ("a, b", "أ، ب"). */
    function list(items) {
        const xs = (items || []).map(String);
        try {
            return new Intl.ListFormat(locale(), { style: 'short', type: 'unit' }).format(xs);
        } catch (e) {
            return xs.join(sep());
        }
    }
    function sep() { return lang === 'ar' ? '، ' : ', '; }

    function locale() { return LOCALES[lang] || 'fr-FR'; }

    function num(n, opts) {
        if (n === undefined || n === null || n === '') return '';
        const v = Number(n);
        if (!isFinite(v)) return String(n);
        return new Intl.NumberFormat(locale(), opts || { maximumFractionDigits: 6 }).format(v);
    }

    /* "2026-12-07" as "7 décembre 2026" (the day as written, no time zone). */
    function date(ymd) {
        if (!ymd) return '';
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
        if (!m) return String(ymd);
        const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
        return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'long', year: 'numeric',
                                                   timeZone: 'UTC' }).format(d);
    }

    /* Wall-clock ms as a local date and time. */
    function dateTime(ms) {
        if (ms === undefined || ms === null) return '';
        return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'long', year: 'numeric',
                                                   hour: '2-digit', minute: '2-digit' })
            .format(new Date(Number(ms)));
    }

    function time(ms) {
        if (ms === undefined || ms === null) return '';
        return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit' })
            .format(new Date(Number(ms)));
    }

    /* A record's text {fr?, ar?, en?}: the page's language, else French,
       else English, else the first there is. Returns {text, lang}; lang is
       the text's, so the element can say it when it is not the page's. */
    function pick(texts) {
        if (!texts) return { text: '', lang: lang };
        if (typeof texts === 'string') return { text: texts, lang: '' };
        for (const l of [lang, 'fr', 'en']) {
            if (texts[l]) return { text: texts[l], lang: l };
        }
        for (const l of Object.keys(texts)) {
            if (texts[l]) return { text: texts[l], lang: l };
        }
        return { text: '', lang: lang };
    }

    return {
        LANGS, load, initial, t, tc, has, keys, sdgGoal, iso, list, sep, num, date, dateTime, time, pick,
        locale,
        get lang() { return lang; },
        get dir() { return dir; },
    };
})();
