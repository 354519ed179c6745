"""hooks.py - what the browser tests and benchmarks know of the pages, in
one place: the routes (hash paths) and the stable hooks (data-test
attributes, ids) of client/web/static/ that docs/WEB.md section 5 lists.

When a page changes a hook, change it here and nowhere else. The hooks
are those the pages (app.js, views.js, coord.js) gave when these tests
were written against them; section 5 of docs/WEB.md is to list the same.
"""

import urllib.parse


def route(name, *args, **query):
    """The URL fragment of a page: #/NAME/ARG... with each ARG percent-
    encoded (a recommendation's id holds '/'), then ?QUERY."""
    path = "#/" + "/".join([name] + [urllib.parse.quote(str(a), safe="") for a in args])
    if query:
        path += "?" + urllib.parse.urlencode(query)
    return path


# Routes (app.js's header lists them).
LOGIN = route("login")
MINE = route("mine")
RECS = route("recs")
OUTBOX = route("outbox")
IMPORT = route("import")
REVIEW = route("review")  # the coordinator's queue of reports to validate or return
STATS = route("stats")
ENTITIES = route("entities")
MEASURES = route("measures")


def REC(rec_id):
    return route("rec", rec_id)


def REPORT_FORM(rec_id):
    return route("rec", rec_id, "report")


def ASSIGN(rec_id):
    return route("assign", rec=rec_id)


def REPAIR(rec_id, action):
    """The coordinator's withdraw or merge page of a recommendation."""
    return route("repair", rec=rec_id, action=action)


def STATS_FILTERED(**filters):
    return route("stats", **filters)


def view_of(r):
    """The view a route renders (main's data-view once it is there): the
    route's name, except #/rec/ID/report, the report form ("report")."""
    parts = r[2:].split("?")[0].split("/")
    if parts[0] == "rec" and len(parts) > 2 and parts[2] == "report":
        return "report"
    return parts[0]


# CSS selectors. {rec} / {n} / {name} are filled by the helpers below.
SEL = {
    # login page
    "login_user": "[data-test=login-user]",
    "login_password": "[data-test=login-password]",
    "login_submit": "[data-test=login-submit]",
    "login_error": "[data-test=login-error]",
    "error": "[data-test=error]",  # an error box; data-code is the API code
    # header
    "user": "[data-test=user]",
    "entity": "[data-test=entity]",
    "logout": "[data-test=logout]",
    "lang": "[data-test=lang-{name}]",  # fr, ar, en
    "stale_badge": "[data-test=stale-badge]",  # data-stale="true"|"false"
    "notice": "[data-test=notice]",
    "nav": "[data-test=nav-{name}]",
    # the page's main element: data-view is the route's name once rendered
    "main_view": "main[data-view={name}]",
    # mine / recs tables
    "mine_table": "[data-test=mine-table]",
    "mine_row": "[data-test=mine-row]",
    "mine_row_rec": "[data-test=mine-row][data-rec=\"{rec}\"]",
    "recs_table": "[data-test=recs-table]",
    "rec_row": "[data-test=rec-row]",
    # the recommendation page
    "rec_text": "[data-test=rec-text]",  # the text; lang= on a fallback
    "rec_response": "[data-test=rec-response]",  # the State's position, in words
    "rec_status": "[data-test=rec-status] .badge",  # data-status; its name from /api/vocab
    "rec_mechanism": "[data-test=rec-mechanism]",  # the mechanism's name from /api/vocab
    "report_item": "[data-test=report][data-report=\"{n}\"]",
    "report_state": "[data-test=report-state]",  # inside a report; data-state
    "report_narrative": "[data-test=report-narrative]",
    "write_report": "[data-test=write-report]",
    # the report form
    "form_status": "[data-test=report-status]",
    "form_narrative": "[data-test=report-narrative-input]",
    "form_submit": "[data-test=report-send]",
    "form_result": "[data-test=report-result]",  # data-state=queued|delivered|refused|network
    "form_error": "[data-test=error]",
    "field_error": "[data-test=field-error-{name}]",
    # the coordinator's pages
    "import_file": "[data-test=import-file]",
    "import_preview_button": "[data-test=import-preview-button]",
    "import_added_row": "[data-test=import-added-row]",
    "import_confirm": "[data-test=import-confirm]",
    "import_counts": "[data-test=import-counts]",
    "review_item": "[data-test=review-item][data-report=\"{n}\"]",
    "review_validate": "[data-test=validate]",
    "review_return": "[data-test=return]",
    "review_reason": "[data-test=return-reason]",
    "review_result": "[data-test=review-result]",  # data-state
    "stats_summary": "[data-test=stats-summary]",
    "stats_total": "[data-test=stats-total] .count",
    "stats_filter": "[data-test=stats-filter-{name}]",  # mechanism, entity, position, theme, cycle
    "stats_scope": "[data-test=stats-scope]",  # data-filtered="true"|"false"
    "report_html": "[data-test=report-html]",  # its href carries the page's filters
    # repairs of the list (the coordinator)
    "withdraw_rec": "[data-test=withdraw-rec]",
    "merge_rec": "[data-test=merge-rec]",
    "repair_reason": "[data-test=repair-reason]",
    "merge_into": "[data-test=merge-into]",
    "merge_preview": "[data-test=merge-preview]",
    "merge_reports": "[data-test=merge-reports]",
    "repair_send": "[data-test=repair-send]",
    "repair_confirm": "[data-test=repair-confirm]",
    "repair_cancel": "[data-test=repair-cancel]",
    "repair_result": "[data-test=repair-result]",  # data-state
    "rec_withdrawn": "[data-test=rec-withdrawn]",  # a withdrawn recommendation's box
    "withdrawn_reason": "[data-test=withdrawn-reason]",
    "withdrawn_into": "[data-test=withdrawn-into]",
    "filter_withdrawn": "[data-test=filter-withdrawn]",
    "rec_row_rec": "[data-test=rec-row][data-rec=\"{rec}\"]",
    "withdrawn_badge": "[data-test=withdrawn-badge]",
    # entities
    "entity_edit": "[data-test=entity-edit][data-entity=\"{name}\"]",
    "entity_name_input": "[data-test=entity-name-input-{name}]",  # fr, ar, en
    "entity_contact_input": "[data-test=entity-contact-input]",
    "entity_save": "[data-test=entity-save]",
    "entity_result": "[data-test=entity-result]",  # data-state
    "entity_name_cell": "[data-test=entity-row][data-entity=\"{rec}\"] [data-test=entity-name-{name}]",
    "assign_contributors_text": "[data-test=rec] dd",
}


def sel(hook, **kw):
    """The selector of a hook, with {rec}, {name}... filled from kw (values
    quoted for CSS attribute strings)."""
    s = SEL[hook]
    for k, v in kw.items():
        s = s.replace("{" + k + "}", str(v).replace("\\", "\\\\").replace('"', '\\"'))
    return s


# Catalog keys (English msgids) of words the language checks compare
# with what the page shows: (selector name, its fill, msgid).
I18N_CHECKS = [
    ("logout", {}, "Log out"),
    ("nav", {"name": "mine"}, "My recommendations"),
]
