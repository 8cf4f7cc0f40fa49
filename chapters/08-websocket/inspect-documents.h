/* inspect-documents.h - the demo documents that /inspect serves. */
#ifndef INSPECT_DOCUMENTS_H
#define INSPECT_DOCUMENTS_H

/* Where a widget's data comes from: a database (connection and sql set) or
 * a spreadsheet (link set); kind says which. */
struct data_source {
    const char *kind; /* "database" or "spreadsheet" */
    const char *connection, *sql;
    const char *link;
};

struct widget {
    const char *id;
    const char *type; /* "chart", "table", "label" */
    const char *title;
    struct data_source source;
};

struct container {
    const char *id;
    const char *widget_id;
};

struct document {
    const char *id;
    const char *type; /* "biDashboard", "slide", or a type with no widgets */
    const char *title;
    const char *const *container_ids; /* ends with NULL */
};

/* Each returns NULL for an id it does not know. */
const struct document *find_document(const char *id);
const struct container *find_container(const char *id);
const struct widget *find_widget(const char *id);

#endif
