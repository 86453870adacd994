/*
 * tier.c - the level of care of a facility tier, from its name (issue 14: the headline figure
 * counts capable care only). Levels, highest first, from the tiers of ../shared/DOMAIN.md
 * (county hospital and county sub-centre treat the key diseases: capable_tiers_for_chain) and
 * the names carecircle knows (the --tiers map of the README, e.g. health_post, health_centre):
 *   3  hospitals and county sub-centres   (county_hospital, hospital, sub_centre, 次中心, 医院)
 *   2  township / health centres          (township_health_centre, health_centre, 卫生院)
 *   1  village clinics and health posts   (village_clinic, health_post, 卫生室, 卫生所)
 *   0  anything else, emergency (120) stations included: they bring the ambulance, not the care.
 */
#include <string.h>

#include "core_internal.h"

int cc__tier_level(const char *tier)
{
    if (!tier) return 0;
    if (strstr(tier, "sub_cent") || strstr(tier, "subcent") || strstr(tier, "次中心") || strstr(tier, "hospital") ||
        strstr(tier, "医院"))
        return 3;
    if (strstr(tier, "emergency") || strstr(tier, "station") || strstr(tier, "ambulance") || strstr(tier, "急救")) return 0;
    if (strstr(tier, "township") || strstr(tier, "centre") || strstr(tier, "center") || strstr(tier, "卫生院")) return 2;
    if (strstr(tier, "village") || strstr(tier, "clinic") || strstr(tier, "post") || strstr(tier, "卫生室") || strstr(tier, "卫生所"))
        return 1;
    return 0;
}

bool cc__tier_recognised(const char *tier)
{
    return tier && (cc__tier_level(tier) > 0 || strstr(tier, "emergency") || strstr(tier, "station") ||
                    strstr(tier, "ambulance") || strstr(tier, "急救"));
}
