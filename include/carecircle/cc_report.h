/*
 * cc_report.h - deliverables of an output folder: QGIS styles in the GeoPackage's layer_styles
 * table, a QGIS project (project.qgs, relative paths) and travel_time.qml next to the COG, a map
 * for officials (PNG and PDF, cairo + pango) and a self-contained HTML report, in Chinese and/or
 * English. The report module reads the outputs; it computes no measures.
 */
#ifndef CC_REPORT_H
#define CC_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "cc_api.h"
#include "cc_ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of cc_report_write(). Zero-initialise. */
typedef struct cc_report_opts {
    const char *lang;      /**< "zh", "en" or "zh,en" (both); NULL: "zh" */
    const char *title_zh;  /**< map and report title; NULL: a default naming the run */
    const char *title_en;
    const char *scenario;  /**< scenario name shown under the title; NULL: none */
    const char *scenario_zh, *scenario_en; /**< scenario title per language (overrides @c scenario) */
    const char *base_dir;  /**< outputs of the base scenario: "before" figures; NULL: none */
    bool no_maps;          /**< write styles and project only (no PNG, PDF, HTML) */
    const char *headline;  /**< comma list of the tiers counted as capable care in the key figures and
                                the map's bands; NULL: those of summary.json "headline" (the run's).
                                Other than the run's set, one tier only (its figures are in summary.json).
                                @since 0.5 */
} cc_report_opts;

/** Write the deliverables of the coverage outputs in folder @p dir (coverage.gpkg,
 *  summary.json, travel_time.tif): styles into coverage.gpkg's layer_styles table,
 *  project.qgs, travel_time.qml, map_<lang>.png, map_<lang>.pdf and report_<lang>.html for each
 *  language. A layer named proposed_sites (points) in coverage.gpkg, when present, is styled,
 *  drawn and tabulated (its fields name, tier, gain).
 *  @return CC_OK, CC_ERR_IO (outputs unreadable or unwritable), CC_ERR_INPUT (not a carecircle
 *  output folder), CC_ERR_PARAM (unknown language), CC_ERR_NOMEM. Thread-safe with one ctx per thread. @since 0.2 */
CC_API cc_status cc_report_write(cc_ctx *ctx, const char *dir, const cc_report_opts *opts);

/** A count (people, facilities) as the reports write it: rounded to a whole number, thousands
 *  separated by commas ("1,234,567"; -0.4 gives "0"), written into @p buf of @p n bytes
 *  (truncated to fit; 32 bytes hold any double's whole part up to 10^20).
 *  @return @p buf. Thread-safe. @since 0.5 */
CC_API const char *cc_report_count(double v, char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* CC_REPORT_H */
