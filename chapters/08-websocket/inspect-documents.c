/* inspect-documents.c - the fictional documents of the inspector's demo.
 *
 * A document holds widget containers; a container holds one widget; a
 * widget shows data from a source: a database (a connection and an SQL
 * statement) or a spreadsheet (a link).  Every host name is under
 * example.com, reserved for examples (RFC 2606): none of it exists.
 */
#include "inspect-documents.h"

#include <string.h>

static const struct widget widgets[] = {
    {"w-201", "chart", "Revenue by month",
     {"database", "postgresql://reports.example.com:5432/sales",
      "SELECT date_trunc('month', ordered_at) AS month, sum(amount) FROM orders "
      "GROUP BY month ORDER BY month", NULL}},
    {"w-202", "table", "Top ten customers",
     {"database", "postgresql://reports.example.com:5432/sales",
      "SELECT c.name, sum(o.amount) AS total FROM orders o JOIN customers c "
      "USING (customer_id) GROUP BY c.name ORDER BY total DESC LIMIT 10", NULL}},
    {"w-203", "chart", "Targets by region",
     {"spreadsheet", NULL, NULL, "https://sheets.example.com/d/regional-targets-2026/edit#gid=0"}},
    {"w-204", "label", "Open orders",
     {"database", "mysql://erp.example.com:3306/erp",
      "SELECT count(*) FROM open_orders WHERE status <> 'shipped'", NULL}},
    {"w-211", "chart", "Churn by quarter",
     {"spreadsheet", NULL, NULL, "https://sheets.example.com/d/churn-by-quarter/edit#gid=3"}},
    {"w-212", "table", "Sales pipeline",
     {"database", "postgresql://crm.example.com:5432/crm",
      "SELECT stage, count(*) AS deals, sum(value) AS value FROM deals GROUP BY stage", NULL}},
};

static const struct container containers[] = {
    {"c-101", "w-201"}, {"c-102", "w-202"}, {"c-103", "w-203"}, {"c-104", "w-204"},
    {"c-111", "w-211"}, {"c-112", "w-212"},
};

static const char *const dashboard_containers[] = {"c-101", "c-102", "c-103", "c-104", NULL};
static const char *const slide_containers[] = {"c-111", "c-112", NULL};
static const char *const no_containers[] = {NULL};

static const struct document documents[] = {
    {"1", "biDashboard", "Sales overview 2026", dashboard_containers},
    {"2", "slide", "Quarterly review, Q3", slide_containers},
    {"3", "textDocument", "Release notes", no_containers},
};

#define COUNT(array) (sizeof(array) / sizeof(array)[0])

const struct document *find_document(const char *id)
{
    for (size_t i = 0; i < COUNT(documents); i++)
        if (strcmp(documents[i].id, id) == 0)
            return &documents[i];
    return NULL;
}

const struct container *find_container(const char *id)
{
    for (size_t i = 0; i < COUNT(containers); i++)
        if (strcmp(containers[i].id, id) == 0)
            return &containers[i];
    return NULL;
}

const struct widget *find_widget(const char *id)
{
    for (size_t i = 0; i < COUNT(widgets); i++)
        if (strcmp(widgets[i].id, id) == 0)
            return &widgets[i];
    return NULL;
}
